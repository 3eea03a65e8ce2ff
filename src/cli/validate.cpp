#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.hpp"
#include "cli/environments.hpp"
#include "cli/lint.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "lint/report.hpp"
#include "migrations/down.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

std::string verdicts_json(const std::vector<migrations::DryRun>& results, const github::Console& console) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& d : results) {
        w.StartObject();
        w.Key("version");
        w.String(d.migration->file.version.c_str());
        w.Key("file");
        w.String(d.migration->file.display.c_str());
        w.Key("verdict");
        w.String(std::string(migrations::verdict_name(d.verdict)).c_str());
        if (d.error) {
            w.Key("line");
            w.Int(d.error->line);
            w.Key("message");
            w.String(console.redact(d.error->message).c_str());
            w.Key("sqlstate");
            w.String(d.error->sqlstate.c_str());
        }
        w.EndObject();
    }
    w.EndArray();
    return buf.GetString();
}

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
    if (target->offline) return validate_offline(ctx, *project, *target);

    migrations::Settings settings;
    // A short lock timeout by default: the dry run must never block staging for long.
    auto lock_timeout = ctx.options.duration_ms("lock-timeout", 5'000);
    if (!lock_timeout) return report(ctx, lock_timeout.error());
    auto statement_timeout = ctx.options.duration_ms("statement-timeout", 0);
    if (!statement_timeout) return report(ctx, statement_timeout.error());
    settings.lock_timeout_ms = *lock_timeout;
    settings.statement_timeout_ms = *statement_timeout;

    auto session = connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    db::Session& db = **session;
    std::string env_label = target->environment.empty() ? db.describe() : target->environment + " (" + db.describe() + ")";

    auto history = db::read_history(db);
    if (!history) return report(ctx, history.error());
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(*project, *history, include_all);
    Report rep;
    record_decision(ctx, rep, *target);
    // Edited files fail validation: the CLI would silently never apply the change.
    if (auto problem = plan_problem(*project, plan, AllowEdited::no)) {
        rep.set("valid", "false");
        rep.summary = "### sbdeploy validate: " + target->environment + "\n\n:x: " + problem->message + "\n";
        ctx.console.error(*problem);
        return finish(ctx, rep, 1);
    }

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
                            (pending.size() == 1 ? "" : "s") + " against " + env_label + " (rolled back)");
    auto results = migrations::dry_run(db, pending, settings);
    if (!results) {
        ctx.console.group_end();
        return report(ctx, results.error());
    }
    std::size_t failed = 0, skipped = 0;
    std::string table = "| Version | Name | Dry run |\n|---|---|---|\n";
    for (const auto& d : results->files) {
        const auto& f = d.migration->file;
        switch (d.verdict) {
        case migrations::Verdict::ok:
            ctx.console.line("ok      " + f.filename);
            table += "| " + f.version + " | " + f.name + " | :white_check_mark: ok |\n";
            break;
        case migrations::Verdict::not_dry_run:
            ++skipped;
            ctx.console.line("skipped " + f.filename + " (not dry-run: " + d.why_not + ")");
            table += "| " + f.version + " | " + f.name + " | not dry-run: " + util::replace_all(d.why_not, "|", "\\|") +
                     " |\n";
            break;
        case migrations::Verdict::failed:
            ++failed;
            ctx.console.line("FAILED  " + f.filename + " line " + std::to_string(d.error->line));
            table += "| " + f.version + " | " + f.name + " | :x: line " + std::to_string(d.error->line) + ": " +
                     util::replace_all(d.error->message, "|", "\\|") + " |\n";
            break;
        }
    }
    ctx.console.group_end();
    for (const auto& d : results->files)
        if (d.error) ctx.console.error(*d.error);
    if (!results->sequences.empty()) {
        std::string names;
        for (const auto& name : results->sequences) names += (names.empty() ? "" : ", ") + name;
        ctx.console.notice("put back " + util::plural(results->sequences.size(), "sequence") +
                           " the dry run moved (nextval and setval are not rolled back): " + names);
    }
    if (skipped > 0)
        ctx.console.notice(std::to_string(skipped) + " migration" + (skipped == 1 ? " was" : "s were") +
                           " not dry-run (see above): push runs them for real only");

    auto verdicts = verdicts_json(results->files, ctx.console);
    bool valid = failed == 0 && !lint->failed;
    rep.set("valid", valid ? "true" : "false");
    rep.set("pending_count", std::to_string(pending.size()));
    rep.set("failed_count", std::to_string(failed));
    rep.set("verdicts", verdicts);
    rep.set("lint_errors", std::to_string(lint->errors));
    rep.set("lint_warnings", std::to_string(lint->warnings));
    rep.set("lint_findings", lint::findings_json(lint->findings));
    rep.summary = "### sbdeploy validate: " + target->environment + "\n\n" + table + "\n" + lint->summary;
    if (ctx.json)
        ctx.out << "{\"valid\":" << (valid ? "true" : "false") << ",\"pending_count\":" << pending.size()
                << ",\"verdicts\":" << verdicts << ",\"lint\":" << lint->json << "}\n";
    if (failed > 0) {
        ctx.console.line(std::to_string(failed) + " of " + std::to_string(pending.size()) + " migrations failed the dry run; nothing was changed");
        return finish(ctx, rep, 1);
    }
    ctx.console.line("All " + std::to_string(pending.size()) + " pending migrations passed the dry run against " +
                     env_label + "; nothing was changed");
    if (lint->failed) {
        ctx.console.line("Validation fails on the lint findings above");
        return finish(ctx, rep, 1);
    }
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
