#include "cli/commands.hpp"
#include "cli/environments.hpp"
#include "cli/hotfix_route.hpp"
#include "cli/lint.hpp"
#include "cli/project.hpp"
#include "cli/revert.hpp"
#include "cli/validate_down.hpp"
#include "cli/validate_shadow.hpp"
#include "cli/validate_size.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "lint/report.hpp"
#include "migrations/down.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

// Down SQL where the Supabase CLI reads it too: a sibling <version>_<name>.down.sql is a
// migration of its own to the CLI (pushed by `supabase db push`), and a `-- sbdeploy:down`
// section runs right after the migration. down/ is a subfolder, which the CLI ignores.
void warn_down_sql_the_cli_runs(Context& ctx, const Project& project) {
    const std::string folder = project.migrations_display + "/" + std::string(migrations::kDownFolder) + "/";
    for (const auto& m : project.migrations) {
        if (!m.down) continue;
        github::Location where;
        if (!m.file.down_path.empty()) {
            if (m.file.down_display.starts_with(folder)) continue;
            where.file = m.file.down_display;
            ctx.console.warning("the Supabase CLI takes this down file for a migration of version " + m.file.version +
                                    " and applies it on `supabase db push`; move it to " +
                                    util::quoted(folder + m.file.filename) + ", which sbdeploy reads and the CLI ignores",
                                where);
        } else {
            where.file = m.file.display;
            ctx.console.warning("the Supabase CLI applies this file's `-- sbdeploy:down` section as part of the "
                                "migration; move the section to " +
                                    util::quoted(folder + m.file.filename) + ", which sbdeploy reads and the CLI ignores",
                                where);
        }
    }
}

} // namespace

int run_validate(Context& ctx) {
    auto project = load_project(ctx);
    if (!project) return report(ctx, project.error());
    auto target = resolve_target(ctx, MissingOnFork::offline);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    warn_down_sql_the_cli_runs(ctx, *project);
    // A file the CLI skips would never run: the pull request is where to catch it.
    if (!project->unmatched.empty() && !ctx.options.flag("ignore-unmatched")) {
        Report rep;
        rep.set("valid", "false");
        rep.summary = "### sbdeploy validate: " + target->environment + "\n\n";
        for (const auto& u : project->unmatched) {
            Error e = unmatched_problem(u);
            ctx.console.error(e);
            rep.summary += ":x: " + github::escape_markdown(e.message) + "; " + github::escape_markdown(e.hint) + "\n\n";
        }
        ctx.console.line(util::plural(project->unmatched.size(), "file") +
                         " in the migrations folder would never be applied; --ignore-unmatched makes this a warning");
        return finish(ctx, rep, 1);
    }
    // Only the staging branch (or a hotfix branch) may merge into production's branch.
    auto refused = pr_guard(ctx, *target);
    if (!refused) return report(ctx, refused.error());
    if (*refused) {
        Report rep;
        record_decision(ctx, rep, *target);
        rep.set("valid", "false");
        rep.summary = ":x: **Pull request guard**: " + github::escape_markdown((*refused)->message) + "\n\n" +
                      github::escape_markdown((*refused)->hint) + "\n";
        ctx.console.error(**refused);
        return finish(ctx, rep, 1);
    }
    // A fork's SQL never runs on a target: on the shadow database, else offline checks only.
    if (auto untrusted = untrusted_sql_refusal(ctx, *target, ctx.options.get("shadow-db-url").has_value()))
        return report(ctx, *untrusted);
    if (target->offline && !ctx.options.get("shadow-db-url")) return validate_offline(ctx, *project, *target);
    // Into production's branch: what the promotion gate will decide on the push after the merge.
    auto gate = target->offline ? Result<GateResult>(GateResult{}) : gate_after_merge(ctx, *project, *target);
    if (!gate) return report(ctx, gate.error());
    if (gate->refusal) return gate_refused(ctx, *target, *gate);

    migrations::Settings settings;
    // A short lock timeout by default: the dry run must never block staging for long.
    auto lock_timeout = ctx.options.duration_ms("lock-timeout", 5'000);
    if (!lock_timeout) return report(ctx, lock_timeout.error());
    auto statement_timeout = ctx.options.duration_ms("statement-timeout", 0);
    if (!statement_timeout) return report(ctx, statement_timeout.error());
    settings.lock_timeout_ms = *lock_timeout;
    settings.statement_timeout_ms = *statement_timeout;

    auto shadow = prepare_shadow(ctx, *project, *target);  // --shadow-db-url: the dry run runs there
    if (!shadow) return report(ctx, shadow.error());
    auto session = *shadow ? Result<std::unique_ptr<db::Session>>(std::move((*shadow)->session)) : connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    db::Session& db = **session;
    std::string env_label = *shadow ? target->environment + " on the " + (*shadow)->label
                            : target->environment.empty() ? db.describe() : target->environment + " (" + db.describe() + ")";

    auto history = *shadow && (*shadow)->target_history ? Result<std::vector<db::HistoryRow>>(*(*shadow)->target_history)
                                                        : db::read_history(db);
    if (!history) return report(ctx, history.error());
    // Applied files this pull request deletes (a revert): the push would roll them back.
    auto reverted = find_reverted(ctx, *project, *history);
    if (!reverted) return report(ctx, reverted.error());
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(*project, *history, include_all);
    history->clear();  // the plan has what it needed: every recorded statement goes before the lint and dry run
    history->shrink_to_fit();
    Report rep;
    record_decision(ctx, rep, *target);
    record_gate(rep, *gate);
    // Edited files fail validation: the CLI would silently never apply the change.
    if (auto problem = plan_problem(*project, plan, AllowEdited::no)) {
        rep.set("valid", "false");
        rep.summary = "### sbdeploy validate: " + target->environment + "\n\n:x: " + problem->message + "\n";
        ctx.console.error(*problem);
        return finish(ctx, rep, 1);
    }
    if (int undo = dry_run_reverted(ctx, db, *reverted, settings, rep); undo != 0) return finish(ctx, rep, undo);

    std::vector<const migrations::Migration*> pending;
    for (auto i : plan.to_apply) pending.push_back(&project->migrations[i]);
    if (pending.empty()) {
        ctx.console.line("Nothing to validate: " + env_label + " is up to date");
        rep.set("valid", "true");
        rep.set("pending_count", "0");
        rep.set("failed_count", "0");
        rep.set("verdicts", "[]");
        rep.summary = "### sbdeploy validate: " + target->environment + "\n\nRemote database is up to date.\n";
        if (ctx.json) ctx.out << "{\"valid\":true,\"pending_count\":0,\"verdicts\":[]}\n";
        return finish(ctx, rep, 0);
    }
    if (auto strict = check_split_files(ctx, pending)) return report(ctx, *strict);
    // The static checks of the files about to run (sbdeploy lint): findings at or above
    // --lint-fail-on fail validation, whatever the dry run says.
    auto lint = run_lint_checks(ctx, *project, pending, LintScope::pending, target->environment);
    if (!lint) return report(ctx, lint.error());

    ctx.console.group_begin("Dry run of " + std::to_string(pending.size()) + " migration" +
                            (pending.size() == 1 ? "" : "s") + " against " + env_label +
                            (*shadow ? " (applied there for real, file by file)" : " (rolled back)"));
    // Each file with down SQL also runs it, then runs again (--no-down-check: off).
    auto down_checker = make_down_checker(ctx, db, settings);
    // Stops at the first failure (--keep-going: not), and within the server's lock capacity;
    // a shadow, which the job owns, takes the files for real and has no such capacity.
    auto results = *shadow ? apply_within_shadow(ctx, db, pending, settings, down_checker.get())
                           : dry_run_within_capacity(ctx, db, pending, settings, down_checker.get());
    if (!results) {
        ctx.console.group_end();
        return report(ctx, results.error());
    }
    auto files = file_verdicts(*results, down_checker.get());
    limit_errors(ctx, *target, *results, files);  // capped, or SQLSTATE only (--redact-errors)
    const Tally tally = report_files(ctx, files);
    const std::size_t failed = tally.failed, skipped = tally.skipped;
    ctx.console.group_end();
    report_errors(ctx, files);
    if (results->capacity) ctx.console.error(*results->capacity);  // once, instead of a failure per file
    if (!results->sequences.empty()) {
        std::string names;
        for (const auto& name : results->sequences) names += (names.empty() ? "" : ", ") + name;
        ctx.console.notice("put back " + util::plural(results->sequences.size(), "sequence") +
                           " the dry run moved (nextval and setval are not rolled back): " + names);
    }
    if (skipped > 0)
        ctx.console.notice(std::to_string(skipped) + " migration" + (skipped == 1 ? " was" : "s were") +
                           " not dry-run (see above): push runs them for real only");
    if (!tally.down_line.empty()) ctx.console.line(tally.down_line);

    auto verdicts = verdicts_json(files, ctx.console);
    bool valid = failed == 0 && !lint->failed && !results->capacity;
    rep.set("valid", valid ? "true" : "false");
    rep.set("pending_count", std::to_string(pending.size()));
    rep.set("failed_count", std::to_string(failed));
    rep.set("verdicts", verdicts);
    rep.set("lint_errors", std::to_string(lint->errors));
    rep.set("lint_warnings", std::to_string(lint->warnings));
    rep.set("lint_findings", lint::findings_json(lint->findings));
    rep.summary = "### sbdeploy validate: " + target->environment + "\n\n" + tally.table + "\n" +
                  not_run_note(files, *results) +
                  (tally.down_line.empty() ? "" : tally.down_line + "\n\n") + lint->summary;
    if (ctx.json)
        ctx.out << "{\"valid\":" << (valid ? "true" : "false") << ",\"pending_count\":" << pending.size()
                << ",\"verdicts\":" << verdicts << ",\"lint\":" << lint->json << "}\n";
    if (failed > 0 || results->capacity) {
        ctx.console.line(failed_outcome(files, *results));
        return finish(ctx, rep, 1);
    }
    const std::string target_name = target->environment.empty() ? "the target" : target->environment;
    ctx.console.line("All " + std::to_string(pending.size()) + " pending migrations passed the dry run against " +
                     env_label + "; " + (*shadow ? target_name + " was not changed" : "nothing was changed"));
    if (lint->failed) {
        ctx.console.line("Validation fails on the lint findings above");
        return finish(ctx, rep, 1);
    }
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
