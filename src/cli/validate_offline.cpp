// validate's offline checks on a fork pull request (see validate_offline.hpp).
#include "cli/validate_offline.hpp"

#include "cli/lint.hpp"
#include "cli/validate_report.hpp"
#include "github/summary.hpp"
#include "lint/report.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;
using util::plural;

// The plan against an empty history: every file is pending, in the order push would apply it.
std::vector<const migrations::Migration*> every_file(Context& ctx, const Project& project) {
    auto plan = plan_for(project, {}, migrations::IncludeAll::no);
    std::vector<const migrations::Migration*> targets;
    for (auto i : plan.to_apply) {
        const auto& m = project.migrations[i];
        targets.push_back(&m);
        ctx.console.line("ok      " + m.file.filename + " (offline: named, split into " +
                         plural(m.statements.size(), "statement") + ", transaction rules checked)");
    }
    return targets;
}

void set_outputs(Report& rep, const LintChecks& lint, std::size_t files) {
    rep.set("valid", lint.failed ? "false" : "true");
    rep.set("offline", "true");
    rep.set("skipped", "dry run");
    rep.set("pending_count", std::to_string(files));
    rep.set("failed_count", "0");
    rep.set("verdicts", "[]");
    rep.set("lint_errors", std::to_string(lint.errors));
    rep.set("lint_warnings", std::to_string(lint.warnings));
    rep.set("lint_findings", lint::findings_json(lint.findings));
}

// ⚠️ when the offline checks pass (the dry run, the main check, was skipped), ❌ on lint.
std::string headline(const Target& target, const LintChecks& lint, std::size_t files) {
    const std::string title = validate_title(target) + " (offline)";
    const std::string checked = md::count(files, "file") + " checked offline";
    if (lint.failed)
        return md::headline(md::Outcome::failed, title,
                            checked + "; lint failed: " + md::count(lint.errors, "error") + ", " +
                                md::count(lint.warnings, "warning"));
    return md::headline(md::Outcome::warned, title, checked + "; dry run skipped");
}

} // namespace

Result<int> validate_offline(Context& ctx, const Project& project, const Target& target) {
    const std::string skipped = "the dry run against " + target.environment + " (" + target.offline_reason +
                                "; GitHub passes no secrets to workflows of fork pull requests)";
    const std::string shadow_hint = "give the job a database of its own (--shadow-db-url, the shadow-db-url input) "
                                    "for a real dry run without secrets";
    ctx.console.notice("validate: offline checks only; skipped " + skipped + "; " + shadow_hint);
    auto targets = every_file(ctx, project);
    if (auto strict = check_split_files(ctx, targets)) return fail(*strict);
    // Lint needs no database: its findings fail the offline validation as they fail the online one.
    TRY_ASSIGN(auto lint,
               run_lint_checks(ctx, project, targets, LintScope::all, "offline: no database tells which are pending"));
    Report rep;
    record_decision(ctx, rep, target);
    set_outputs(rep, lint, targets.size());
    rep.headline = headline(target, lint, targets.size());
    rep.summary = md::Summary()
                      .block("Checked offline: " + plural(targets.size(), "migration file") +
                             " (names, order, statement splitting, transaction rules, lint).")
                      .block("Skipped: " + md::text(skipped) + ". To run it: " + md::text(shadow_hint) + ".")
                      .block(lint.summary)
                      .str();
    if (lint.failed) {
        ctx.console.line("Offline checks failed: lint found " + plural(lint.errors, "error") + " and " +
                         plural(lint.warnings, "warning") + "; skipped " + skipped);
        return finish(ctx, rep, 1);
    }
    ctx.console.line("Offline checks passed for " + plural(targets.size(), "migration") + "; skipped " + skipped);
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
