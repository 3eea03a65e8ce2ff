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
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

using util::plural;

std::string list_of(const std::vector<std::string>& items) {
    std::string r;
    for (const auto& i : items) r += (r.empty() ? "" : ", ") + i;
    return r;
}

namespace md = github::md;

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
    auto results =
        migrations::dry_run_rollback(db, steps,
                                     req.record_only ? migrations::RecordOnly::yes : migrations::RecordOnly::no,
                                     req.settings);
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
            out.table.row({md::Cell::text(s.version), md::Cell::text(s.name), md::Cell::raw("✅ ok")});
            out.rolled_back.push_back(s.version);
            break;
        case migrations::Verdict::not_dry_run:
            ctx.console.line("skipped " + step_label(s) + " (its down SQL cannot run in a transaction block)");
            out.table.row({md::Cell::text(s.version), md::Cell::text(s.name),
                           md::Cell::text("not dry-run: cannot run in a transaction")});
            out.rolled_back.push_back(s.version);
            break;
        case migrations::Verdict::not_run: break;  // validate's dry run only
        case migrations::Verdict::failed:
            ctx.console.line("FAILED  " + step_label(s) + " line " + std::to_string(r.error->line));
            out.table.row({md::Cell::text(s.version), md::Cell::text(s.name),
                           md::Cell::raw("❌ **failed** at line " + std::to_string(r.error->line))});
            out.failure = *r.error;
            out.failure->hint = "nothing was changed (dry run); fix the down SQL and run the dry run again";
            break;
        }
    }
    if (out.failure)
        for (std::size_t i = results->size() - 1; i < steps.size(); ++i) out.remaining.push_back(steps[i].version);
    return out;
}

// What one rollback run works on, filled step by step.
struct RollbackRun {
    Request req;
    Project project;  // not loaded with --record-only
    Target target;
    std::unique_ptr<db::Session> session;
    std::string where, env_label;
    std::vector<migrations::RollbackStep> steps;  // newest first
};

// Options, files, target; then (unless the run maps to no environment) the connection, the push
// lock and the steps planned from the history.
Result<void> prepare_rollback(Context& ctx, RollbackRun& run) {
    TRY_ASSIGN(run.req, read_request(ctx));
    // Record-only needs no files: it is also the way out when they are broken.
    if (!run.req.record_only) {
        TRY_ASSIGN(run.project, load_project(ctx));
    }
    TRY_ASSIGN(run.target, resolve_target(ctx));
    if (run.target.nothing_to_do) return {};
    TRY_ASSIGN(run.session, connect_target(ctx, run.target));
    db::Session& db = *run.session;
    run.where = db.describe();
    run.env_label = run.target.environment.empty() ? run.where : run.target.environment + " (" + run.where + ")";
    // The push lock first, so the history read is the one the rollback acts on.
    if (!run.req.dry_run) TRY(db::acquire_push_lock(db, run.req.settings.lock_wait_ms));
    TRY_ASSIGN(auto history, db::read_history(db));
    std::vector<migrations::RemoteEntry> applied;
    applied.reserve(history.size());
    for (auto& h : history) applied.push_back({h.version, h.name, h.statements});
    TRY_ASSIGN(run.steps, migrations::plan_rollback(run.project.migrations, applied, run.req.what));
    return {};
}

std::string title(const RollbackRun& run) {
    return "rollback" + (run.target.environment.empty() ? std::string() : " on " + run.target.environment) +
           (run.req.dry_run ? " (dry run)" : "") + (run.req.record_only ? " (record only)" : "");
}

// "20250101000002, 20250101000001", ten at most.
std::string versions_text(const std::vector<std::string>& versions) {
    std::string r;
    for (std::size_t i = 0; i < versions.size() && i < 10; ++i) r += (i ? ", " : "") + versions[i];
    if (versions.size() > 10) r += ", ... (" + std::to_string(versions.size()) + " in all)";
    return md::text(r);
}

// Refused before anything changes: a step without down SQL (unless --record-only).
std::optional<Error> without_down(const RollbackRun& run) {
    if (run.req.record_only) return std::nullopt;
    auto missing = migrations::without_down(run.steps);
    if (missing.empty()) return std::nullopt;
    return make_error(ErrorKind::operation,
                      "rollback refused, nothing was changed: " + plural(missing.size(), "version") +
                          (missing.size() == 1 ? " has" : " have") + " no down SQL: " + list_of(missing),
                      "write each undo in supabase/migrations/down/<version>_<name>.sql (a folder the "
                      "Supabase CLI ignores); or delete only the history rows with --record-only and "
                      "undo the schema yourself");
}

RollbackOutcome forget_steps(Context& ctx, db::Session& db, const RollbackRun& run) {
    RollbackOutcome outcome;
    auto forgotten = migrations::forget(db, run.steps, run.req.settings);
    if (!forgotten) {
        outcome.failure = forgotten.error();
        for (const auto& s : run.steps) outcome.remaining.push_back(s.version);
        return outcome;
    }
    for (const auto& s : run.steps) {
        ctx.console.line("Deleted the history row of " + step_label(s) + " (record only: no SQL was run)");
        outcome.table.row({md::Cell::text(s.version), md::Cell::text(s.name), md::Cell::text("history row deleted")});
        outcome.rolled_back.push_back(s.version);
    }
    return outcome;
}

// The steps, as the options say: dry run, history rows only, or with their down SQL.
RollbackOutcome execute(Context& ctx, const RollbackRun& run) {
    db::Session& db = *run.session;
    const std::string count = plural(run.steps.size(), "version");
    RollbackOutcome outcome;
    if (run.req.dry_run) {
        ctx.console.group_begin("Dry run of rolling back " + count + " on " + run.env_label + " (rolled back)");
        outcome = dry_run_steps(ctx, db, run.steps, run.req);
        ctx.console.group_end();
    } else if (run.req.record_only) {
        outcome = forget_steps(ctx, db, run);
    } else {
        ctx.console.group_begin("Rolling back " + count + " on " + run.env_label);
        outcome = roll_back_steps(ctx, db, run.steps, run.req.settings);
        ctx.console.group_end();
    }
    if (!run.req.dry_run) (void)db::release_push_lock(db);
    return outcome;
}

int finish_rollback(Context& ctx, const RollbackRun& run, Report& rep, const RollbackOutcome& o, int code) {
    // A dry run rolls nothing back: what passed is what would be.
    rep.set("rolled_back", run.req.dry_run ? "[]" : json_array(o.rolled_back));
    rep.set("rolled_back_count", run.req.dry_run ? "0" : std::to_string(o.rolled_back.size()));
    if (run.req.dry_run) rep.set("would_roll_back", json_array(o.rolled_back));
    rep.set("remaining", json_array(o.remaining));
    if (ctx.json) write_json(ctx, run.target, run.where, run.req, run.steps, o);
    return finish(ctx, rep, code);
}

// A refusal or a failed step: what failed, what was rolled back, what is still applied, the fix.
int rollback_failed(Context& ctx, const RollbackRun& run, Report& rep, const RollbackOutcome& o) {
    const Error& e = *o.failure;
    std::string detail = std::to_string(o.rolled_back.size()) + " of " + plural(run.steps.size(), "version") +
                         (run.req.dry_run ? " would roll back" : " rolled back");
    if (!e.file.empty())
        detail += ", failed at " + md::code(e.file) + (e.line > 0 ? " line " + std::to_string(e.line) : "");
    else
        detail = o.table.empty() ? md::text(e.message) : detail + ": " + md::text(e.message);
    rep.headline = md::headline(md::Outcome::failed, title(run), detail);
    if (!o.table.empty())
        rep.summary = o.table.render_collapsed(md::bold(md::count(run.steps.size(), "version"))) + "\n";
    if (!e.file.empty())
        rep.summary += md::code(e.file) + " line " + std::to_string(e.line) + ": " + md::text(e.message) + "\n\n";
    if (!o.remaining.empty() && !run.req.dry_run)
        rep.summary += "Still applied: " + versions_text(o.remaining) + "\n\n";
    if (!e.hint.empty()) rep.summary += "hint: " + md::text(e.hint) + "\n";
    ctx.console.error(e);
    return finish_rollback(ctx, run, rep, o, 1);
}

int rollback_done(Context& ctx, const RollbackRun& run, Report& rep, const RollbackOutcome& o) {
    const std::string count = plural(run.steps.size(), "version");
    if (run.req.dry_run)
        ctx.console.line("All " + count + " would roll back on " + run.env_label + "; nothing was changed");
    else
        ctx.console.line("Rolled back " + count + " on " + run.env_label +
                         (run.req.record_only ? " (history only)" : "") +
                         (run.steps.size() == 1 ? "; its file is pending again: remove or fix it"
                                                : "; their files are pending again: remove or fix them") +
                         " before the next push");
    const std::string did = run.req.dry_run       ? " would roll back: "
                            : run.req.record_only ? " forgotten: "
                                                  : " rolled back: ";
    rep.headline = md::headline(md::Outcome::passed, title(run), count + did + versions_text(o.rolled_back));
    rep.summary = o.table.render_collapsed(md::bold(count + did));
    if (!run.req.dry_run)
        rep.summary += "\n" + std::string(run.steps.size() == 1 ? "Its file is" : "Their files are") +
                       " pending again: remove or fix " + (run.steps.size() == 1 ? "it" : "them") +
                       " before the next push.\n";
    return finish_rollback(ctx, run, rep, o, 0);
}

} // namespace

int run_rollback(Context& ctx) {
    RollbackRun run;
    if (auto ready = prepare_rollback(ctx, run); !ready) return report(ctx, ready.error());
    if (run.target.nothing_to_do) return nothing_to_do(ctx, run.target);
    Report rep;
    record_decision(ctx, rep, run.target);
    if (run.steps.empty()) {
        ctx.console.line("Nothing to roll back: " + *run.req.what.to + " is the newest applied version on " +
                         run.env_label);
        rep.headline =
            md::headline(md::Outcome::skipped, title(run),
                         "nothing to roll back: " + md::text(*run.req.what.to) + " is the newest applied version");
        return finish_rollback(ctx, run, rep, {}, 0);
    }
    if (auto refused = without_down(run)) {
        RollbackOutcome o;
        for (const auto& s : run.steps) o.remaining.push_back(s.version);
        o.failure = std::move(*refused);
        return rollback_failed(ctx, run, rep, o);
    }
    for (const auto& s : run.steps)
        if (s.edited && !run.req.record_only)
            ctx.console.warning("migration " + s.version +
                                " was edited after it was applied: its down SQL may not "
                                "undo what was applied");
    const RollbackOutcome outcome = execute(ctx, run);
    if (outcome.failure) return rollback_failed(ctx, run, rep, outcome);
    return rollback_done(ctx, run, rep, outcome);
}

} // namespace sbdeploy::cli
