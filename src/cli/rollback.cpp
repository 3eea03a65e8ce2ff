// sbdeploy rollback: undoes applied versions with their down SQL, newest first, each with the
// deletion of its history row in one transaction, under the push lock; refuses before
// touching anything when a version has no down SQL (unless --record-only).
#include "cli/rollback.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::format_ms;

using util::plural;

std::string list_of(const std::vector<std::string>& items) {
    std::string r;
    for (const auto& i : items) r += (r.empty() ? "" : ", ") + i;
    return r;
}

std::string md(std::string_view text) { return github::escape_markdown(text); }

struct Request {
    migrations::RollbackRequest what;
    bool record_only = false;
    bool dry_run = false;
    migrations::Settings settings;
};

Result<Request> read_request(const Context& ctx) {
    Request r;
    auto to = ctx.options.get("to");
    auto last = ctx.options.get("last");
    if (to && last)
        return fail(ErrorKind::usage, "rollback: --to and --last exclude each other",
                    "--to VERSION keeps VERSION and undoes the versions after it; --last N undoes the N newest");
    if (!to && !last)
        return fail(ErrorKind::usage, "rollback: say what to roll back",
                    "--to VERSION (undo the versions after it) or --last N (undo the N newest)");
    if (!ctx.options.positional().empty())
        return fail(ErrorKind::usage, "rollback: unexpected argument " + util::quoted(ctx.options.positional().front()),
                    "sbdeploy rollback --to VERSION | --last N");
    if (to) {
        if (to->empty() || to->find_first_not_of("0123456789") != std::string::npos)
            return fail(ErrorKind::usage, "rollback --to: " + util::quoted(*to) + " is not a migration version",
                        "versions are the leading digits of the file name, e.g. 20250101120000");
        r.what.to = *to;
    } else {
        auto n = ctx.options.integer("last", 0, 1, 1'000'000);
        if (!n) return fail(std::move(n.error()));
        r.what.last = static_cast<std::size_t>(*n);
    }
    r.record_only = ctx.options.flag("record-only");
    r.dry_run = ctx.options.flag("dry-run");
    auto lock_timeout = ctx.options.duration_ms("lock-timeout", 0);
    if (!lock_timeout) return fail(std::move(lock_timeout.error()));
    auto statement_timeout = ctx.options.duration_ms("statement-timeout", 0);
    if (!statement_timeout) return fail(std::move(statement_timeout.error()));
    auto lock_wait = ctx.options.duration_ms("lock-wait", 60'000);
    if (!lock_wait) return fail(std::move(lock_wait.error()));
    r.settings.lock_timeout_ms = *lock_timeout;
    r.settings.statement_timeout_ms = *statement_timeout;
    r.settings.lock_wait_ms = *lock_wait;
    return r;
}

void write_json(Context& ctx, const Target& target, const std::string& where, const Request& req,
                std::span<const migrations::RollbackStep> steps, const RollbackOutcome& outcome) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("environment");
    w.String(target.environment.c_str());
    w.Key("target");
    w.String(ctx.console.redact(where).c_str());
    w.Key("dry_run");
    w.Bool(req.dry_run);
    w.Key("record_only");
    w.Bool(req.record_only);
    w.Key(req.dry_run ? "would_roll_back" : "rolled_back");
    w.StartArray();
    for (const auto& v : outcome.rolled_back) {
        for (const auto& s : steps) {
            if (s.version != v) continue;
            w.StartObject();
            w.Key("version");
            w.String(s.version.c_str());
            w.Key("name");
            w.String(s.name.c_str());
            w.EndObject();
        }
    }
    w.EndArray();
    w.Key("remaining");
    w.StartArray();
    for (const auto& v : outcome.remaining) w.String(v.c_str());
    w.EndArray();
    w.Key("error");
    if (outcome.failure) {
        w.StartObject();
        w.Key("file");
        w.String(outcome.failure->file.c_str());
        w.Key("line");
        w.Int(outcome.failure->line);
        w.Key("message");
        w.String(ctx.console.redact(outcome.failure->message).c_str());
        w.Key("sqlstate");
        w.String(outcome.failure->sqlstate.c_str());
        w.EndObject();
    } else {
        w.Null();
    }
    w.EndObject();
    ctx.out << buf.GetString() << '\n';
}

// --dry-run: every step inside one transaction that is rolled back.
RollbackOutcome dry_run_steps(Context& ctx, db::Session& db, std::span<const migrations::RollbackStep> steps,
                              const Request& req) {
    RollbackOutcome out;
    auto results = migrations::dry_run_rollback(
        db, steps, req.record_only ? migrations::RecordOnly::yes : migrations::RecordOnly::no, req.settings);
    if (!results) {
        out.failure = results.error();
        for (const auto& s : steps) out.remaining.push_back(s.version);
        return out;
    }
    for (const auto& r : *results) {
        const auto& s = *r.step;
        switch (r.verdict) {
        case migrations::Verdict::ok:
            ctx.console.line("ok      " + step_label(s));
            out.table += "| " + s.version + " | " + md(s.name) + " | :white_check_mark: ok | |\n";
            out.rolled_back.push_back(s.version);
            break;
        case migrations::Verdict::not_dry_run:
            ctx.console.line("skipped " + step_label(s) + " (its down SQL cannot run in a transaction block)");
            out.table += "| " + s.version + " | " + md(s.name) + " | not dry-run: cannot run in a transaction | |\n";
            out.rolled_back.push_back(s.version);
            break;
        case migrations::Verdict::not_run: break;  // validate's dry run only
        case migrations::Verdict::failed:
            ctx.console.line("FAILED  " + step_label(s) + " line " + std::to_string(r.error->line));
            out.table += "| " + s.version + " | " + md(s.name) + " | :x: **failed** at line " +
                         std::to_string(r.error->line) + " | |\n";
            out.failure = *r.error;
            out.failure->hint = "nothing was changed (dry run); fix the down SQL and run the dry run again";
            break;
        }
    }
    if (out.failure)
        for (std::size_t i = results->size() - 1; i < steps.size(); ++i) out.remaining.push_back(steps[i].version);
    return out;
}

} // namespace

std::string step_label(const migrations::RollbackStep& step) {
    if (step.migration != nullptr) return step.migration->file.filename;
    return step.version + (step.name.empty() ? "" : "_" + step.name);
}

RollbackOutcome roll_back_steps(Context& ctx, db::Session& db, std::span<const migrations::RollbackStep> steps,
                                const migrations::Settings& settings) {
    RollbackOutcome out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        auto r = migrations::roll_back(db, s, settings);
        if (!r) {
            out.failure = r.error();
            out.table += "| " + s.version + " | " + md(s.name) + " | **failed** at line " +
                         std::to_string(r.error().line) + " | |\n";
            for (std::size_t k = i; k < steps.size(); ++k) out.remaining.push_back(steps[k].version);
            return out;
        }
        for (const auto& n : r->notices) ctx.console.debug(step_label(s) + ": " + n);
        ctx.console.line("Rolled back " + step_label(s) + " (" + format_ms(r->ms) + ")");
        out.table += "| " + s.version + " | " + md(s.name) + " | rolled back | " + format_ms(r->ms) + " |\n";
        out.rolled_back.push_back(s.version);
    }
    return out;
}

int run_rollback(Context& ctx) {
    auto req = read_request(ctx);
    if (!req) return report(ctx, req.error());
    // Record-only needs no files: it is also the way out when they are broken.
    Project project;
    if (!req->record_only) {
        auto p = load_project(ctx);
        if (!p) return report(ctx, p.error());
        project = std::move(*p);
    }
    auto target = resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    auto session = connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    db::Session& db = **session;
    const std::string where = db.describe();
    const std::string env_label = target->environment.empty() ? where : target->environment + " (" + where + ")";

    // The push lock first, so the history read is the one the rollback acts on.
    if (!req->dry_run) {
        auto locked = db::acquire_push_lock(db, req->settings.lock_wait_ms);
        if (!locked) return report(ctx, locked.error());
    }
    auto history = db::read_history(db);
    if (!history) return report(ctx, history.error());
    std::vector<migrations::RemoteEntry> applied;
    applied.reserve(history->size());
    for (auto& h : *history) applied.push_back({h.version, h.name, h.statements});
    auto steps = migrations::plan_rollback(project.migrations, applied, req->what);
    if (!steps) return report(ctx, steps.error());

    Report rep;
    record_decision(ctx, rep, *target);
    const std::string title = std::string("### sbdeploy rollback") + (req->dry_run ? " --dry-run" : "") +
                              (req->record_only ? " --record-only" : "") + ": " +
                              (target->environment.empty() ? std::string("database") : md(target->environment)) + "\n\n";
    auto finish_with = [&](const RollbackOutcome& o, int code) {
        // A dry run rolls nothing back: what passed is what would be.
        rep.set("rolled_back", req->dry_run ? "[]" : json_array(o.rolled_back));
        rep.set("rolled_back_count", req->dry_run ? "0" : std::to_string(o.rolled_back.size()));
        if (req->dry_run) rep.set("would_roll_back", json_array(o.rolled_back));
        rep.set("remaining", json_array(o.remaining));
        if (ctx.json) write_json(ctx, *target, where, *req, *steps, o);
        return finish(ctx, rep, code);
    };

    if (steps->empty()) {
        ctx.console.line("Nothing to roll back: " + *req->what.to + " is the newest applied version on " + env_label);
        rep.summary = title + "Nothing to roll back.\n";
        return finish_with({}, 0);
    }
    if (!req->record_only) {
        auto missing = migrations::without_down(*steps);
        if (!missing.empty()) {
            Error e = make_error(ErrorKind::operation,
                                 "rollback refused, nothing was changed: " + plural(missing.size(), "version") +
                                     (missing.size() == 1 ? " has" : " have") + " no down SQL: " + list_of(missing),
                                 "write each undo in supabase/migrations/down/<version>_<name>.sql (a folder the "
                                 "Supabase CLI ignores); or delete only the history rows with --record-only and "
                                 "undo the schema yourself");
            ctx.console.error(e);
            RollbackOutcome refused;
            for (const auto& s : *steps) refused.remaining.push_back(s.version);
            refused.failure = e;
            rep.summary = title + ":x: " + md(e.message) + "\n";
            return finish_with(refused, 1);
        }
    }
    for (const auto& s : *steps)
        if (s.edited && !req->record_only)
            ctx.console.warning("migration " + s.version + " was edited after it was applied: its down SQL may not "
                                "undo what was applied");

    const std::string count = plural(steps->size(), "version");
    RollbackOutcome outcome;
    if (req->dry_run) {
        ctx.console.group_begin("Dry run of rolling back " + count + " on " + env_label + " (rolled back)");
        outcome = dry_run_steps(ctx, db, *steps, *req);
        ctx.console.group_end();
    } else if (req->record_only) {
        auto forgotten = migrations::forget(db, *steps, req->settings);
        if (!forgotten) {
            outcome.failure = forgotten.error();
            for (const auto& s : *steps) outcome.remaining.push_back(s.version);
        } else {
            for (const auto& s : *steps) {
                ctx.console.line("Deleted the history row of " + step_label(s) + " (record only: no SQL was run)");
                outcome.table += "| " + s.version + " | " + md(s.name) + " | history row deleted | |\n";
                outcome.rolled_back.push_back(s.version);
            }
        }
    } else {
        ctx.console.group_begin("Rolling back " + count + " on " + env_label);
        outcome = roll_back_steps(ctx, db, *steps, req->settings);
        ctx.console.group_end();
    }
    if (!req->dry_run) (void)db::release_push_lock(db);

    rep.summary = title + "| Version | Name | Result | Time |\n|---|---|---|---|\n" + outcome.table;
    if (outcome.failure) {
        if (!outcome.failure->file.empty())
            rep.summary += "\n**" + outcome.failure->file + ":" + std::to_string(outcome.failure->line) + "**: " +
                           md(outcome.failure->message) + "\n";
        else
            rep.summary += "\n**" + md(outcome.failure->message) + "**\n";
        ctx.console.error(*outcome.failure);
        return finish_with(outcome, 1);
    }
    if (req->dry_run)
        ctx.console.line("All " + count + " would roll back on " + env_label + "; nothing was changed");
    else
        ctx.console.line("Rolled back " + count + " on " + env_label +
                         (req->record_only ? " (history only)" : "") +
                         (steps->size() == 1 ? "; its file is pending again: remove or fix it"
                                             : "; their files are pending again: remove or fix them") +
                         " before the next push");
    return finish_with(outcome, 0);
}

} // namespace sbdeploy::cli
