#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/environments.hpp"
#include "cli/hotfix_route.hpp"
#include "cli/interrupt.hpp"
#include "cli/project.hpp"
#include "cli/push_extras.hpp"
#include "cli/revert.hpp"
#include "db/history.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::format_ms;

struct Outcome {
    const migrations::Migration* migration;
    double ms;
};

void write_json(Context& ctx, const Target& target, const std::string& where, const std::vector<Outcome>& applied,
                const std::vector<const migrations::Migration*>& remaining, const Error* failure, bool dry_run) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("environment");
    w.String(target.environment.c_str());
    w.Key("target");
    w.String(ctx.console.redact(where).c_str());
    w.Key("dry_run");
    w.Bool(dry_run);
    w.Key("applied");
    w.StartArray();
    for (const auto& a : applied) {
        w.StartObject();
        w.Key("version");
        w.String(a.migration->file.version.c_str());
        w.Key("name");
        w.String(a.migration->file.name.c_str());
        w.Key("file");
        w.String(a.migration->file.display.c_str());
        w.Key("ms");
        w.Double(a.ms);
        w.EndObject();
    }
    w.EndArray();
    w.Key("pending");
    w.StartArray();
    for (const auto* m : remaining) w.String(m->file.version.c_str());
    w.EndArray();
    w.Key("error");
    if (failure) {
        w.StartObject();
        w.Key("file");
        w.String(failure->file.c_str());
        w.Key("line");
        w.Int(failure->line);
        w.Key("message");
        w.String(ctx.console.redact(failure->message).c_str());
        w.Key("sqlstate");
        w.String(failure->sqlstate.c_str());
        w.EndObject();
    } else {
        w.Null();
    }
    w.EndObject();
    ctx.out << buf.GetString() << '\n';
}

} // namespace

int run_push(Context& ctx) {
    auto project = load_project(ctx);
    if (!project) return report(ctx, project.error());
    auto target = resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    auto extras = prepare_push_extras(ctx, *project, *target);  // --include-seed, --rollback-on-verify-failure
    if (!extras) return report(ctx, extras.error());

    migrations::Settings settings;
    auto lock_timeout = ctx.options.duration_ms("lock-timeout", 0);
    if (!lock_timeout) return report(ctx, lock_timeout.error());
    auto statement_timeout = ctx.options.duration_ms("statement-timeout", 0);
    if (!statement_timeout) return report(ctx, statement_timeout.error());
    auto lock_wait = ctx.options.duration_ms("lock-wait", 60'000);
    if (!lock_wait) return report(ctx, lock_wait.error());
    settings.lock_timeout_ms = *lock_timeout;
    settings.statement_timeout_ms = *statement_timeout;
    settings.lock_wait_ms = *lock_wait;  // transports without sessions take the lock per file
    settings.include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    bool dry_run = ctx.options.flag("dry-run");

    auto session = connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    db::Session& db = **session;
    std::string where = db.describe();
    std::string env_label = target->environment.empty() ? where : target->environment + " (" + where + ")";

    // The lock comes before reading the history, so a push that waited sees what the
    // other one applied and never applies a file twice.
    if (!dry_run) {
        auto locked = db::acquire_push_lock(db, *lock_wait);
        if (!locked) return report(ctx, locked.error());
    }
    auto history = db::read_history(db);
    if (!history) return report(ctx, history.error());
    // Applied files this push deleted (a revert) are rolled back below; they leave the history plan.
    auto reverted = find_reverted(ctx, *project, *history);
    if (!reverted) return report(ctx, reverted.error());
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(*project, *history, include_all);
    auto allow_edited = ctx.options.flag("allow-edited") ? AllowEdited::yes : AllowEdited::no;
    if (auto problem = plan_problem(*project, plan, allow_edited)) return report(ctx, *problem);
    for (const auto& v : plan.edited)
        ctx.console.warning("migration " + v + " was edited after it was applied; pushing anyway (--allow-edited)");

    std::vector<const migrations::Migration*> pending;
    for (auto i : plan.to_apply) pending.push_back(&project->migrations[i]);
    if (auto planned = plan_push_extras(db, *extras, pending); !planned) return report(ctx, planned.error());
    if (auto refused = check_split_files(ctx, pending)) return report(ctx, *refused);
    if (db.scope() == db::Scope::call)  // refused before anything runs, not when its turn comes
        for (const auto* m : pending)
            if (m->plan.mode == migrations::FileMode::parts) return report(ctx, migrations::parts_over_api(*m));

    Report rep;
    record_decision(ctx, rep, *target);
    // Production only gets what the promote-from environment (staging) ran first.
    auto gate = promotion_gate(ctx, *target, pending, [&] { return find_hotfix_route(ctx, *project, *target); });
    if (!gate) return report(ctx, gate.error());
    if (!gate->status.empty()) rep.set("promotion", gate->status);
    if (!gate->merge_back.empty()) rep.set("merge_back", gate->merge_back);  // a hotfix: staging must get it too
    if (!gate->summary.empty()) rep.decision += "\n" + gate->summary;
    if (gate->refusal) {
        ctx.console.error(*gate->refusal);
        rep.set("applied", "[]");
        rep.set("applied_count", "0");
        rep.set("pending_count", std::to_string(pending.size()));
        return finish(ctx, rep, 1);
    }
    if (pending.empty() && extras->pending_seeds.empty() && reverted->plan.steps.empty()) {
        ctx.console.line("Remote database is up to date: " + env_label);
        rep.set("applied", "[]");
        rep.set("applied_count", "0");
        rep.set("pending_count", "0");
        rep.summary = "### sbdeploy push: " + (target->environment.empty() ? std::string("database") : target->environment) +
                      "\n\nRemote database is up to date.\n";
        if (ctx.json) write_json(ctx, *target, where, {}, {}, nullptr, dry_run);
        return finish(ctx, rep, 0);
    }
    if (dry_run) {
        const std::string would_revert = describe_revert(ctx, *reverted);  // first, as it would run
        if (!pending.empty())
            ctx.console.line("Would push " + std::to_string(pending.size()) + " migration" +
                             (pending.size() == 1 ? "" : "s") + " to " + env_label + ":");
        else  // only seed data is pending
            ctx.console.line("No migrations to push to " + env_label);
        std::string table = "| Version | Name | File |\n|---|---|---|\n";
        for (const auto* m : pending) {
            ctx.console.line("  " + m->file.filename);
            table += "| " + m->file.version + " | " + m->file.name + " | `" + m->file.display + "` |\n";
        }
        std::vector<std::string> versions;
        for (const auto* m : pending) versions.push_back(m->file.version);
        rep.set("applied", "[]");
        rep.set("applied_count", "0");
        rep.set("pending_count", std::to_string(pending.size()));
        rep.set("pending", json_array(versions));
        rep.summary = "### sbdeploy push --dry-run: " + target->environment + "\n\n" + would_revert +
                      (pending.empty() ? std::string("No migrations to push.\n") : "Would push:\n\n" + table);
        rep.summary += describe_push_extras(ctx, *extras, rep);
        if (extras->rollback_on_verify)
            ctx.console.notice("push --dry-run: verify skipped: a dry run applied nothing, so there is nothing new to verify");
        if (ctx.json) write_json(ctx, *target, where, {}, pending, nullptr, dry_run);
        return finish(ctx, rep, 0);
    }

    // A history read that returned rows selected all three columns: the table is complete, and
    // checking that again would cost a round trip.
    if (history->empty()) {
        auto table_ready = db::ensure_history_table(db);
        if (!table_ready) return report(ctx, table_ready.error());
    }
    auto undone = roll_back_reverted(ctx, db, *reverted, settings, *target, pending.size(), rep);
    if (undone.code != 0) {  // nothing pending is applied after a failed rollback
        if (ctx.json) write_json(ctx, *target, where, {}, pending, &*undone.failure, dry_run);
        return finish(ctx, rep, undone.code);
    }

    if (!pending.empty())  // else only seed data (--include-seed) is left to run
        ctx.console.group_begin("Applying " + std::to_string(pending.size()) + " migration" +
                                (pending.size() == 1 ? "" : "s") + " to " + env_label);
    std::vector<Outcome> applied;
    std::size_t processed = 0;  // applied here or found applied by another run
    std::optional<Error> failure;
    std::string table = "| Version | Name | Result | Time |\n|---|---|---|---|\n";
    // Files go in batches (one round trip each over libpq); a file already sent commits or not
    // whatever we do now, so a stop waits for its answer and stops before the next batch.
    migrations::Pusher pusher(db, pending, settings);
    for (const auto* m : pending) {
        if (!pusher.in_flight() && interrupted()) {  // SIGINT/SIGTERM: stop between batches
            failure = push_stopped_before(*m, applied.size(), pending.size());
            break;
        }
        if (m->plan.mode == migrations::FileMode::non_transactional)
            ctx.console.notice("applying " + m->file.filename +
                               " statement by statement: it cannot run in a transaction block; it is recorded only "
                               "after its last statement succeeds");
        auto r = pusher.next();
        if (!r) {
            failure = push_interruption(*m, r.error(), applied.size()).value_or(r.error());
            table += "| " + m->file.version + " | " + m->file.name + " | **failed** at line " +
                     std::to_string(r.error().line) + " | |\n";
            break;
        }
        ++processed;
        if (r->by == migrations::AppliedBy::another_run) {
            ctx.console.line("Skipped " + m->file.filename + ": another run applied it meanwhile");
            table += "| " + m->file.version + " | " + m->file.name + " | applied by another run | |\n";
            continue;
        }
        for (const auto& n : r->notices) ctx.console.debug(m->file.filename + ": " + n);
        if (!r->warning.empty()) {  // applied, as the history shows, but the answer did not say so
            github::Location file;
            file.file = m->file.display;
            ctx.console.warning(r->warning, file);
        }
        for (const auto& index : r->dropped_indexes) {
            github::Location file;
            file.file = m->file.display;
            ctx.console.warning("dropped the invalid index " + index +
                                    " that an interrupted or failed run of this file left, and built it again",
                                file);
        }
        ctx.console.line("Applied " + m->file.filename + " (" + format_ms(r->ms) +
                         (r->by == migrations::AppliedBy::earlier_attempt
                              ? "; its request was retried and the first attempt had committed it)"
                              : ")"));
        table += "| " + m->file.version + " | " + m->file.name + " | applied | " + format_ms(r->ms) + " |\n";
        applied.push_back({m, r->ms});
    }
    if (!pending.empty()) ctx.console.group_end();
    // Seed data, then verify and its rollback: after the migrations, still under the lock.
    std::vector<const migrations::Migration*> applied_now;
    for (const auto& a : applied) applied_now.push_back(a.migration);
    AfterPush after;
    if (!failure) after = after_push(ctx, db, *extras, applied_now, settings, rep);
    (void)db::release_push_lock(db);

    std::vector<std::string> applied_versions;
    for (const auto& a : applied) applied_versions.push_back(a.migration->file.version);
    std::vector<const migrations::Migration*> remaining(pending.begin() + static_cast<std::ptrdiff_t>(processed),
                                                        pending.end());
    rep.set("applied", json_array(applied_versions));
    rep.set("applied_count", std::to_string(applied.size()));
    rep.set("pending_count", std::to_string(remaining.size() + after.rolled_back));
    rep.summary = "### sbdeploy push: " + (target->environment.empty() ? std::string("database") : target->environment) +
                  "\n\n" + undone.summary + (pending.empty() ? std::string("No migrations to push.\n") : table);
    if (failure) {
        rep.summary += "\n**" + failure->file + ":" + std::to_string(failure->line) + "**: " + failure->message + "\n";
        ctx.console.error(*failure);
        if (ctx.json) write_json(ctx, *target, where, applied, remaining, &*failure, dry_run);
        return finish(ctx, rep, 1);
    }
    rep.summary += after.summary;
    if (after.code != 0) {
        if (ctx.json) write_json(ctx, *target, where, applied, remaining, nullptr, dry_run);
        return finish(ctx, rep, after.code);
    }
    if (pending.empty() && extras->seed)  // only seed data ran (--include-seed)
        ctx.console.line("No migrations to push to " + env_label + "; seed data applied: " +
                         util::plural(after.seeded, "file"));
    else
        ctx.console.line("Pushed " + std::to_string(applied.size()) + " migration" + (applied.size() == 1 ? "" : "s") +
                         " to " + env_label);
    if (ctx.json) write_json(ctx, *target, where, applied, remaining, nullptr, dry_run);
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
