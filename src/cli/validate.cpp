// sbdeploy validate: every check of push, then a real dry run of the pending migrations (rolled
// back, or on a shadow database), the lint, and the down check; the report says the outcome first.
#include "cli/commands.hpp"
#include "cli/gate_forecast.hpp"
#include "cli/lint.hpp"
#include "cli/pr_guard.hpp"
#include "cli/project.hpp"
#include "cli/revert.hpp"
#include "cli/validate_down.hpp"
#include "cli/validate_offline.hpp"
#include "cli/validate_report.hpp"
#include "cli/validate_shadow.hpp"
#include "cli/validate_size.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "github/summary.hpp"
#include "lint/report.hpp"
#include "migrations/down.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

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
                                    util::quoted(folder + m.file.filename) +
                                    ", which sbdeploy reads and the CLI ignores",
                                where);
        } else {
            where.file = m.file.display;
            ctx.console.warning("the Supabase CLI applies this file's `-- sbdeploy:down` section as part of the "
                                "migration; move the section to " +
                                    util::quoted(folder + m.file.filename) +
                                    ", which sbdeploy reads and the CLI ignores",
                                where);
        }
    }
}

// A short lock timeout by default: the dry run must never block staging for long.
Result<migrations::Settings> dry_run_settings(const Context& ctx) {
    migrations::Settings settings;
    TRY_ASSIGN(settings.lock_timeout_ms, ctx.options.duration_ms("lock-timeout", 5'000));
    TRY_ASSIGN(settings.statement_timeout_ms, ctx.options.duration_ms("statement-timeout", 0));
    return settings;
}

// Where the dry run runs: the target, or the shadow database (--shadow-db-url), and the history
// the plan is made against.
struct DryRunDb {
    std::unique_ptr<db::Session> session;
    std::vector<db::HistoryRow> history;
    std::string label;  // for console lines: "staging (host:port/db as user)"
    bool shadow = false;
};

Result<DryRunDb> open_dry_run_db(Context& ctx, const Project& project, const Target& target) {
    TRY_ASSIGN(auto shadow, prepare_shadow(ctx, project, target));
    DryRunDb d;
    if (shadow) {
        d.session = std::move(shadow->session);
        d.shadow = true;
        d.label = target.environment + " on the " + shadow->label;
        if (shadow->target_history) {
            d.history = std::move(*shadow->target_history);
            return d;
        }
    } else {
        TRY_ASSIGN(d.session, connect_target(ctx, target));
        d.label = target.environment.empty() ? d.session->describe()
                                             : target.environment + " (" + d.session->describe() + ")";
    }
    TRY_ASSIGN(d.history, db::read_history(*d.session));
    return d;
}

int up_to_date(Context& ctx, Report& rep, const Target& target, const DryRunDb& where) {
    ctx.console.line("Nothing to validate: " + where.label + " is up to date");
    rep.set("valid", "true");
    rep.set("pending_count", "0");
    rep.set("failed_count", "0");
    rep.set("verdicts", "[]");
    const std::string name = target.environment.empty() ? "the database" : target.environment;
    rep.headline = md::headline(md::Outcome::skipped, validate_title(target),
                                "nothing to validate: " + md::text(name) + " is up to date");
    if (ctx.json) ctx.out << "{\"valid\":true,\"pending_count\":0,\"verdicts\":[]}\n";
    return finish(ctx, rep, 0);
}

// The console's closing notes of a dry run: sequences put back, files not dry-run, down SQL.
void closing_notes(Context& ctx, const SizedDryRun& results, const Tally& tally) {
    if (!results.sequences.empty()) {
        std::string names;
        for (const auto& name : results.sequences) names += (names.empty() ? "" : ", ") + name;
        ctx.console.notice("put back " + util::plural(results.sequences.size(), "sequence") +
                           " the dry run moved (nextval and setval are not rolled back): " + names);
    }
    if (tally.skipped > 0)
        ctx.console.notice(std::to_string(tally.skipped) + " migration" + (tally.skipped == 1 ? " was" : "s were") +
                           " not dry-run (see above): push runs them for real only");
    if (!tally.down_line.empty()) ctx.console.line(tally.down_line);
}

struct Pending {
    std::vector<const migrations::Migration*> files;
    migrations::Settings settings;
    LintChecks lint;
};

// The verdicts as outputs, --json, the summary and the closing line; the exit code.
int conclude(Context& ctx, Report& rep, const Target& target, const DryRunDb& where, const Pending& p,
             const SizedDryRun& results, std::span<const FileVerdict> files, const Tally& tally,
             std::vector<std::string> hints) {
    auto verdicts = verdicts_json(files, ctx.console);
    const bool valid = tally.failed == 0 && !p.lint.failed && !results.capacity;
    rep.set("valid", valid ? "true" : "false");
    rep.set("pending_count", std::to_string(p.files.size()));
    rep.set("failed_count", std::to_string(tally.failed));
    rep.set("verdicts", verdicts);
    rep.set("lint_errors", std::to_string(p.lint.errors));
    rep.set("lint_warnings", std::to_string(p.lint.warnings));
    rep.set("lint_findings", lint::findings_json(p.lint.findings));
    summarise_dry_run(rep, target, {files, results, tally, p.lint, std::move(hints), where.shadow});
    if (ctx.json)
        ctx.out << "{\"valid\":" << (valid ? "true" : "false") << ",\"pending_count\":" << p.files.size()
                << ",\"verdicts\":" << verdicts << ",\"lint\":" << p.lint.json << "}\n";
    if (tally.failed > 0 || results.capacity) {
        ctx.console.line(failed_outcome(files, results));
        return finish(ctx, rep, 1);
    }
    const std::string target_name = target.environment.empty() ? "the target" : target.environment;
    ctx.console.line("All " + std::to_string(p.files.size()) + " pending migrations passed the dry run against " +
                     where.label + "; " + (where.shadow ? target_name + " was not changed" : "nothing was changed"));
    if (p.lint.failed) {
        ctx.console.line("Validation fails on the lint findings above");
        return finish(ctx, rep, 1);
    }
    return finish(ctx, rep, 0);
}

// The dry run itself: file by file (a savepoint each, rolled back; on a shadow, for real), each
// file with down SQL also running it and then again (--no-down-check: off).
Result<int> dry_run(Context& ctx, Report& rep, const Target& target, DryRunDb& where, const Pending& p) {
    db::Session& db = *where.session;
    ctx.console.group_begin("Dry run of " + util::plural(p.files.size(), "migration") + " against " + where.label +
                            (where.shadow ? " (applied there for real, file by file)" : " (rolled back)"));
    auto down_checker = make_down_checker(ctx, db, p.settings);
    // Stops at the first failure (--keep-going: not), and within the server's lock capacity;
    // a shadow, which the job owns, takes the files for real and has no such capacity.
    auto results = where.shadow ? apply_within_shadow(ctx, db, p.files, p.settings, down_checker.get())
                                : dry_run_within_capacity(ctx, db, p.files, p.settings, down_checker.get());
    if (!results) {
        ctx.console.group_end();
        return fail(std::move(results.error()));
    }
    auto files = file_verdicts(*results, down_checker.get());
    limit_errors(ctx, target, *results, files);  // capped, or SQLSTATE only (--redact-errors)
    const Tally tally = report_files(ctx, files);
    ctx.console.group_end();
    auto hints = report_errors(ctx, files);
    if (results->capacity) {
        ctx.console.error(*results->capacity);  // once, instead of a failure per file
        if (!results->capacity->hint.empty()) hints.push_back(results->capacity->hint);
    }
    closing_notes(ctx, *results, tally);
    return conclude(ctx, rep, target, where, p, *results, files, tally, std::move(hints));
}

// Past the checks that need no database: the plan against the target's history, the revert
// check, the lint of the pending files, and their dry run.
Result<int> validate_against(Context& ctx, Project& project, const Target& target, const GateResult& gate) {
    Pending p;
    TRY_ASSIGN(p.settings, dry_run_settings(ctx));
    TRY_ASSIGN(auto where, open_dry_run_db(ctx, project, target));
    // Applied files this pull request deletes (a revert): the push would roll them back.
    TRY_ASSIGN(auto reverted, find_reverted(ctx, project, where.history));
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(project, where.history, include_all);
    // The plan has what it needed: every recorded statement goes before the lint and dry run.
    std::vector<db::HistoryRow>().swap(where.history);
    Report rep;
    record_decision(ctx, rep, target);
    record_gate(rep, gate);
    // Edited files fail validation: the CLI would silently never apply the change.
    if (auto problem = plan_problem(project, plan, AllowEdited::no))
        return validate_refused(ctx, rep, target, *problem);
    if (int undo = dry_run_reverted(ctx, *where.session, reverted, p.settings, rep); undo != 0) {
        rep.headline = md::headline(md::Outcome::failed, validate_title(target),
                                    "rolling back the migrations this pull request deletes fails");
        return finish(ctx, rep, undo);
    }
    for (auto i : plan.to_apply) p.files.push_back(&project.migrations[i]);
    if (p.files.empty()) return up_to_date(ctx, rep, target, where);
    if (auto strict = check_split_files(ctx, p.files)) return fail(*strict);
    // The static checks of the files about to run (sbdeploy lint): findings at or above
    // --lint-fail-on fail validation, whatever the dry run says.
    TRY_ASSIGN(p.lint, run_lint_checks(ctx, project, p.files, LintScope::pending, target.environment));
    return dry_run(ctx, rep, target, where, p);
}

Result<int> validate(Context& ctx) {
    TRY_ASSIGN(auto project, load_project(ctx));
    TRY_ASSIGN(const auto target, resolve_target(ctx, MissingOnFork::offline));
    if (target.nothing_to_do) return nothing_to_do(ctx, target);
    warn_down_sql_the_cli_runs(ctx, project);
    // A file the CLI skips would never run: the pull request is where to catch it.
    if (!project.unmatched.empty() && !ctx.options.flag("ignore-unmatched"))
        return unmatched_refused(ctx, project, target);
    // Only the staging branch (or a hotfix branch) may merge into production's branch.
    TRY_ASSIGN(const auto refused, pr_guard(ctx, target));
    if (refused) return guard_refused(ctx, target, *refused);
    // A fork's SQL never runs on a target: on the shadow database, else offline checks only.
    const bool shadow = ctx.options.get("shadow-db-url").has_value();
    if (auto untrusted = untrusted_sql_refusal(ctx, target, shadow)) return fail(*untrusted);
    if (target.offline && !shadow) return validate_offline(ctx, project, target);
    // Into production's branch: what the promotion gate will decide on the push after the merge.
    GateResult gate;
    if (!target.offline) {
        TRY_ASSIGN(gate, gate_after_merge(ctx, project, target));
    }
    if (gate.refusal) return gate_refused(ctx, target, gate);
    return validate_against(ctx, project, target, gate);
}

} // namespace

int run_validate(Context& ctx) {
    auto code = validate(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
