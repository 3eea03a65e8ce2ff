// sbdeploy push: applies the pending migrations of the resolved environment, in order, each
// file with its history row, under the push lock; before them the rollback of what the push
// deleted (a revert) and the promotion gate; after them seed data and verify (push_extras).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.hpp"
#include "cli/hotfix_route.hpp"
#include "cli/promotion_gate.hpp"
#include "cli/push_bet.hpp"
#include "cli/push_run.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

void write_json(Context& ctx, const PushRun& run, const std::vector<AppliedFile>& applied,
                const std::vector<const migrations::Migration*>& remaining, const Error* failure) {
    const Target& target = run.target;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("environment");
    w.String(target.environment.c_str());
    w.Key("target");
    w.String(ctx.console.redact(run.where).c_str());
    w.Key("dry_run");
    w.Bool(run.dry_run);
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

Result<migrations::Settings> read_settings(const Context& ctx) {
    migrations::Settings settings;
    TRY_ASSIGN(settings.lock_timeout_ms, ctx.options.duration_ms("lock-timeout", 0));
    TRY_ASSIGN(settings.statement_timeout_ms, ctx.options.duration_ms("statement-timeout", 0));
    // Transports without sessions take the lock per file.
    TRY_ASSIGN(settings.lock_wait_ms, ctx.options.duration_ms("lock-wait", 60'000));
    settings.include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    return settings;
}

// The plan against the history: its blocking problems, the pending files and what they need.
Result<void> plan_pending(Context& ctx, PushRun& run) {
    auto plan = plan_for(run.project, run.history, run.settings.include_all);
    auto allow_edited = ctx.options.flag("allow-edited") ? AllowEdited::yes : AllowEdited::no;
    if (auto problem = plan_problem(run.project, plan, allow_edited)) return fail(std::move(*problem));
    for (const auto& v : plan.edited)
        ctx.console.warning("migration " + v + " was edited after it was applied; pushing anyway (--allow-edited)");
    for (auto i : plan.to_apply) run.pending.push_back(&run.project.migrations[i]);
    TRY(plan_push_extras(*run.session, run.extras, run.pending));
    if (auto refused = check_split_files(ctx, run.pending)) return fail(std::move(*refused));
    if (run.session->scope() == db::Scope::call)  // refused before anything runs, not when its turn comes
        for (const auto* m : run.pending)
            if (m->plan.mode == migrations::FileMode::parts) return fail(migrations::parts_over_api(*m));
    return {};
}

// Everything before the gate: files, target (a run that maps to none stops there), options,
// the connection, the lock with the history, the revert and the plan.
Result<void> prepare_push(Context& ctx, PushRun& run) {
    TRY_ASSIGN(run.project, load_project(ctx));
    TRY_ASSIGN(run.target, resolve_target(ctx));
    if (run.target.nothing_to_do) return {};
    TRY_ASSIGN(run.extras, prepare_push_extras(ctx, run.project, run.target));
    TRY_ASSIGN(run.settings, read_settings(ctx));
    run.dry_run = ctx.options.flag("dry-run");
    run.title = "push" + (run.target.environment.empty() ? std::string() : " to " + run.target.environment);
    // A push event that added migrations to production: the gate will most likely read staging,
    // so that starts now, beside production's connect and history read.
    run.added = migrations_added_by_push(ctx);
    run.gate_source = SourcePrefetch::start(ctx, run.target, adds_migrations(run.added, run.project));
    TRY_ASSIGN(run.session, connect_target(ctx, run.target));
    run.where = run.session->describe();
    run.env_label = run.target.environment.empty() ? run.where : run.target.environment + " (" + run.where + ")";
    // The lock comes before reading the history, so a push that waited sees what the
    // other one applied and never applies a file twice (over libpq one round trip, with the
    // history table's check).
    // A bet on the history (push_bet.hpp) sends the first batch with it.
    TRY_ASSIGN(run.history, run.dry_run ? db::read_history(*run.session) : start_push(ctx, run));
    if (run.pusher) return {};  // the bet's plan, which the server checked, is the push's
    // Applied files this push deleted (a revert) are rolled back below; they leave the history plan.
    TRY_ASSIGN(run.reverted, find_reverted(ctx, run.project, run.history));
    return plan_pending(ctx, run);
}

// Production only gets what the promote-from environment (staging) ran first.
Result<GateResult> run_gate(Context& ctx, PushRun& run, Report& rep) {
    TRY_ASSIGN(auto gate,
               promotion_gate(
                   ctx, run.target, run.pending, [&] { return find_hotfix_route(ctx, run.project, run.target); },
                   GateRun::push, run.gate_source.get()));
    run.gate = gate.status;
    if (!gate.status.empty()) rep.set("promotion", gate.status);
    if (!gate.merge_back.empty()) rep.set("merge_back", gate.merge_back);  // a hotfix: staging must get it too
    if (!gate.summary.empty()) rep.summary = gate.summary;
    return gate;
}

void set_counts(Report& rep, const std::vector<std::string>& applied, std::size_t pending) {
    rep.set("applied", json_array(applied));
    rep.set("applied_count", std::to_string(applied.size()));
    rep.set("pending_count", std::to_string(pending));
}

int push_refused(Context& ctx, const PushRun& run, const GateResult& gate, Report& rep) {
    ctx.console.error(*gate.refusal);
    set_counts(rep, {}, run.pending.size());
    rep.headline = md::headline(md::Outcome::failed, run.title,
                                "refused by the promotion gate, nothing was applied (" +
                                    md::count(run.pending.size(), "pending migration") + ")");
    return finish(ctx, rep, 1);
}

int push_up_to_date(Context& ctx, const PushRun& run, Report& rep) {
    ctx.console.line("Remote database is up to date: " + run.env_label);
    set_counts(rep, {}, 0);
    rep.headline = md::headline(md::Outcome::skipped, run.title, "nothing to push, the database is up to date");
    if (ctx.json) write_json(ctx, run, {}, {}, nullptr);
    return finish(ctx, rep, 0);
}

int push_dry_run(Context& ctx, const PushRun& run, Report& rep) {
    const std::string would_revert = describe_revert(ctx, run.reverted);  // first, as it would run
    const auto& pending = run.pending;
    if (!pending.empty())
        ctx.console.line("Would push " + md::count(pending.size(), "migration") + " to " + run.env_label + ":");
    else  // only seed data is pending
        ctx.console.line("No migrations to push to " + run.env_label);
    md::Table table({"Version", "Name", "File"});
    std::vector<std::string> versions;
    for (const auto* m : pending) {
        ctx.console.line("  " + m->file.filename);
        table.row({md::Cell::text(m->file.version), md::Cell::text(m->file.name), md::Cell::file(m->file.display)});
        versions.push_back(m->file.version);
    }
    set_counts(rep, {}, pending.size());
    rep.set("pending", json_array(versions));
    const std::string would = md::count(pending.size(), "migration") + " would be applied";
    rep.headline = md::headline(md::Outcome::passed, run.title + " (dry run)", would + ", nothing was changed");
    rep.summary = md::end_block(rep.summary) + would_revert +
                  (pending.empty() ? std::string("No migrations to push.\n")
                                   : "Would push:\n\n" + table.render_collapsed(md::bold(would)));
    rep.summary = md::end_block(rep.summary) + describe_push_extras(ctx, run.extras, rep);
    if (run.extras.rollback_on_verify)
        ctx.console.notice(
            "push --dry-run: verify skipped: a dry run applied nothing, so there is nothing new to verify");
    if (ctx.json) write_json(ctx, run, {}, pending, nullptr);
    return finish(ctx, rep, 0);
}

// The outputs, the summary and the last line of a push that ran.
int push_report(Context& ctx, const PushRun& run, Report& rep, const RevertOutcome& undone, const Applied& done,
                const AfterPush& after) {
    std::vector<std::string> versions;
    for (const auto& a : done.applied) versions.push_back(a.migration->file.version);
    const auto left = remaining(run, done);
    set_counts(rep, versions, left.size() + after.rolled_back);
    std::string text = md::end_block(rep.summary) + undone.summary;
    const std::string applied = md::count(done.applied.size(), "migration") + " applied";
    text = md::end_block(text) + (run.pending.empty() ? std::string("No migrations to push.\n")
                                                      : done.table.render_collapsed(md::bold(applied)));
    if (done.failure) {
        std::string detail;
        rep.summary = md::end_block(text) + failure_summary(run, done, detail);
        rep.headline = md::headline(md::Outcome::failed, run.title, detail);
        ctx.console.error(*done.failure);
        if (ctx.json) write_json(ctx, run, done.applied, left, &*done.failure);
        return finish(ctx, rep, 1);
    }
    rep.summary = md::end_block(text) + after.summary;
    if (ctx.json) write_json(ctx, run, done.applied, left, nullptr);
    if (after.code != 0) {
        rep.headline = md::headline(md::Outcome::failed, run.title, applied + ", then " + after.failed);
        return finish(ctx, rep, after.code);
    }
    if (run.pending.empty() && run.extras.seed)  // only seed data ran (--include-seed)
        ctx.console.line("No migrations to push to " + run.env_label +
                         "; seed data applied: " + util::plural(after.seeded, "file"));
    else
        ctx.console.line("Pushed " + md::count(done.applied.size(), "migration") + " to " + run.env_label);
    const bool warned = run.gate == "hotfix" || run.gate == "overridden";
    std::string detail = (undone.rolled_back > 0
                              ? md::count(undone.rolled_back, "reverted migration") + " rolled back, "
                              : std::string()) +
                         applied;
    if (run.extras.seed) detail += ", " + md::count(after.seeded, "seed file") + " run";
    if (warned) detail += " (promotion gate: " + run.gate + ")";
    rep.headline = md::headline(warned ? md::Outcome::warned : md::Outcome::passed, run.title, detail);
    return finish(ctx, rep, 0);
}

} // namespace

int run_push(Context& ctx) {
    PushRun run;
    if (auto ready = prepare_push(ctx, run); !ready) return report(ctx, ready.error());
    if (run.target.nothing_to_do) return nothing_to_do(ctx, run.target);
    Report rep;
    record_decision(ctx, rep, run.target);
    auto gate = run_gate(ctx, run, rep);
    if (!gate) return report(ctx, gate.error());
    if (gate->refusal) return push_refused(ctx, run, *gate, rep);
    if (run.pending.empty() && run.extras.pending_seeds.empty() && run.reverted.plan.steps.empty())
        return push_up_to_date(ctx, run, rep);
    if (run.dry_run) return push_dry_run(ctx, run, rep);

    db::Session& db = *run.session;
    // A history read that returned rows selected all three columns: the table is complete, and
    // checking that again would cost a round trip (over libpq the lock's round trip checked it).
    if (run.history.empty() && db.scope() == db::Scope::call)
        if (auto ready = db::ensure_history_table(db); !ready) return report(ctx, ready.error());
    auto undone = roll_back_reverted(ctx, db, run.reverted, run.settings, run.title, run.pending.size(), rep);
    if (undone.code != 0) {  // nothing pending is applied after a failed rollback
        if (ctx.json) write_json(ctx, run, {}, run.pending, &*undone.failure);
        return finish(ctx, rep, undone.code);
    }
    if (!run.pending.empty())  // else only seed data (--include-seed) is left to run
        ctx.console.group_begin("Applying " + md::count(run.pending.size(), "migration") + " to " + run.env_label);
    const Applied done = apply_pending(ctx, run);
    if (!run.pending.empty()) ctx.console.group_end();
    // Seed data, then verify and its rollback: after the migrations, still under the lock.
    std::vector<const migrations::Migration*> applied_now;
    for (const auto& a : done.applied) applied_now.push_back(a.migration);
    AfterPush after;
    if (!done.failure) after = after_push(ctx, db, run.extras, applied_now, run.settings, rep);
    if (!done.lock_released) (void)db::release_push_lock(db);
    return push_report(ctx, run, rep, undone, done, after);
}

} // namespace sbdeploy::cli
