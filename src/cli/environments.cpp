#include "cli/environments.hpp"

#include "cli/hotfix_route.hpp"
#include "cli/lint.hpp"
#include "cli/resolve.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "lint/report.hpp"
#include "policy/pr_guard.hpp"
#include "policy/promotion.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::quoted;

// --promote-from: an environment name, or none (no gate).
Result<std::optional<std::string>> promote_from(const Context& ctx) {
    std::string source = std::string(util::trim(ctx.options.get_or("promote-from", policy::kDefaultPromoteFrom)));
    if (source == "none") return std::optional<std::string>();
    if (!policy::is_environment_name(source))
        return fail(ErrorKind::config, "option --promote-from: " + quoted(source) + " is not an environment name",
                    "name the environment production's migrations must run on first, such as staging, or none");
    if (source == policy::kProtectedEnvironment)
        return fail(ErrorKind::config,
                    "option --promote-from: " + quoted(source) + " is the environment the gate protects",
                    "name the environment that runs migrations before production, such as staging");
    return std::optional<std::string>(source);
}

using util::plural;

// Every unpromoted migration came with the merged hotfix pull request: they pass, and the
// source must get them by merging its branch back.
Result<GateResult> hotfix_passed(Context& ctx, const policy::HotfixRoute& route, const policy::GateDecision& decision,
                                 const std::string& source, const std::string& target, GateRun run,
                                 const std::string& table) {
    auto mapping = configured_mapping(ctx);
    if (!mapping) return fail(std::move(mapping.error()));
    auto branches = policy::branches_of(*mapping, source);
    const std::string source_branch = branches.empty() ? source : branches.front();
    GateResult g;
    g.status = "hotfix";
    g.merge_back = route.pull->head;
    std::string line = policy::hotfix_warning(decision.hotfixed, *route.pull, source, target, source_branch);
    if (run == GateRun::push)
        ctx.console.warning(line);
    else
        ctx.console.notice("after the merge, " + line);
    g.summary = ":warning: **" + github::escape_markdown(line) + "**\n" + table;
    return g;
}

} // namespace

Result<std::optional<Error>> pr_guard(Context& ctx, const Target& target) {
    const auto& f = target.facts;
    if (f.event != "pull_request" && f.event != "pull_request_target") return std::optional<Error>();
    if (ctx.options.flag("no-pr-guard")) {
        ctx.console.debug("pull request guard: off (--no-pr-guard)");
        return std::optional<Error>();
    }
    auto mapping = configured_mapping(ctx);
    if (!mapping) return fail(std::move(mapping.error()));
    auto source = promote_from(ctx);
    if (!source) return fail(std::move(source.error()));
    auto hotfix = hotfix_pattern(ctx);
    if (!hotfix) return fail(std::move(hotfix.error()));
    auto rules = policy::guard_rules(*mapping, std::string(policy::kProtectedEnvironment),
                                     source->value_or(std::string(policy::kDefaultPromoteFrom)), *hotfix);
    auto decision = policy::check_pull_request({f.pr_number, f.branch, f.base_ref, f.fork, f.labels}, rules);
    switch (decision.verdict) {
    case policy::GuardVerdict::not_applicable:
        ctx.console.debug("pull request guard: " + decision.reason);
        return std::optional<Error>();
    case policy::GuardVerdict::allowed:
        ctx.console.line("Pull request guard: " + decision.reason);
        return std::optional<Error>();
    case policy::GuardVerdict::refused: break;
    }
    return std::optional<Error>(make_error(ErrorKind::operation, decision.reason, decision.hint));
}

Result<GateResult> promotion_gate(Context& ctx, const Target& target,
                                  std::span<const migrations::Migration* const> pending, const RouteFinder& find_route,
                                  GateRun run) {
    GateResult g;
    if (target.environment != policy::kProtectedEnvironment || pending.empty()) return g;
    auto source_or = promote_from(ctx);
    if (!source_or) return fail(std::move(source_or.error()));
    if (!*source_or) {
        g.status = "off";
        ctx.console.notice("promotion gate: off (--promote-from none): " + target.environment +
                           " gets migrations no other environment ran first");
        g.summary = "**Promotion gate**: off (`--promote-from none`)\n";
        return g;
    }
    const std::string& source = **source_or;
    const bool allow = ctx.options.flag("allow-unpromoted");

    auto source_target = environment_target(ctx, source, "promotion gate");
    if (!source_target) {
        if (run == GateRun::forecast && !allow) {
            // A pull request's job need not hold the source's credentials: the forecast is skipped,
            // and the push after the merge, which must hold them, still runs the gate.
            g.status = "unchecked";
            std::string line = "promotion gate after the merge: not checked: " + source_target.error().message;
            ctx.console.notice(line);
            g.summary = "**Promotion gate after the merge**: not checked: " +
                        github::escape_markdown(source_target.error().message) + "\n";
            return g;
        }
        if (!allow) {
            Error e = std::move(source_target.error());
            e.hint += "; --promote-from names another environment, --allow-unpromoted pushes without the gate";
            return fail(std::move(e));
        }
        g.status = "overridden";
        std::string line = "promotion gate overridden (--allow-unpromoted): " +
                           source_target.error().message.substr(std::string("promotion gate: ").size()) +
                           ", so nothing was compared; pushing " + plural(pending.size(), "migration") + " to " +
                           target.environment;
        ctx.console.warning(line);
        g.summary = ":warning: **" + github::escape_markdown(line) + "**\n";
        return g;
    }
    auto session = connect_target(ctx, *source_target);
    if (!session) {
        Error e = std::move(session.error());
        e.message = "promotion gate: " + source + ": " + e.message;
        return fail(std::move(e));
    }
    auto history = db::read_history(**session);
    if (!history) {
        Error e = std::move(history.error());
        e.message = "promotion gate: reading the history of " + source + ": " + e.message;
        return fail(std::move(e));
    }
    session->reset();

    std::vector<policy::Candidate> candidates;
    candidates.reserve(pending.size());
    for (const auto* m : pending) candidates.push_back({m->file.version, m->file.name, m->texts()});
    std::vector<policy::SourceEntry> rows;
    rows.reserve(history->size());
    for (auto& h : *history) rows.push_back({std::move(h.version), std::move(h.statements)});
    auto gaps = policy::unpromoted(candidates, rows);

    if (gaps.empty()) {
        g.status = "passed";
        std::string line = "the " + plural(pending.size(), "pending migration") + " ran on " + source + " first";
        ctx.console.line("Promotion gate: " + line);
        g.summary = "**Promotion gate**: passed: " + github::escape_markdown(line) + "\n";
        return g;
    }
    std::string table = "\n| Version | Name | On " + github::escape_markdown(source) + " |\n|---|---|---|\n";
    for (const auto& u : gaps)
        table += "| " + u.version + " | " + github::escape_markdown(u.name) + " | " +
                 (u.gap == policy::Gap::not_applied ? "not applied" : "applied with different statements") + " |\n";
    if (allow) {
        g.status = "overridden";
        std::string line = policy::override_warning(gaps, source, target.environment);
        ctx.console.warning(line);
        g.summary = ":warning: **" + github::escape_markdown(line) + "**\n" + table;
        return g;
    }
    policy::HotfixRoute route;
    if (find_route) {
        auto found = find_route();
        if (!found) return fail(std::move(found.error()));
        route = std::move(*found);
    }
    auto decision = policy::decide(gaps, route);
    if (decision.refused.empty()) return hotfix_passed(ctx, route, decision, source, target.environment, run, table);
    g.status = "refused";
    g.refusal = policy::gate_refusal(decision.refused, route, source, target.environment);
    g.summary = ":x: **Promotion gate**: " + github::escape_markdown(g.refusal->message) + "\n" + table;
    return g;
}

int validate_offline(Context& ctx, const Project& project, const Target& target) {
    const std::string skipped = "the dry run against " + target.environment + " (" + target.offline_reason +
                                "; GitHub passes no secrets to workflows of fork pull requests)";
    ctx.console.notice("validate: offline checks only; skipped " + skipped +
                       "; give the job a database of its own (--shadow-db-url, the shadow-db-url input) for a real "
                       "dry run without secrets");
    // The plan against an empty history: every file is pending, in the order push would apply it.
    auto plan = plan_for(project, {}, migrations::IncludeAll::no);
    std::vector<std::string> versions;
    for (auto i : plan.to_apply) {
        const auto& m = project.migrations[i];
        versions.push_back(m.file.version);
        ctx.console.line("ok      " + m.file.filename + " (offline: named, split into " +
                         plural(m.statements.size(), "statement") + ", transaction rules checked)");
    }
    // Lint needs no database: its findings fail the offline validation as they fail the online one.
    std::vector<const migrations::Migration*> targets;
    for (auto i : plan.to_apply) targets.push_back(&project.migrations[i]);
    if (auto strict = check_split_files(ctx, targets)) return report(ctx, *strict);
    auto lint = run_lint_checks(ctx, project, targets, LintScope::all, "offline: no database tells which are pending");
    if (!lint) return report(ctx, lint.error());
    Report rep;
    record_decision(ctx, rep, target);
    rep.set("valid", lint->failed ? "false" : "true");
    rep.set("offline", "true");
    rep.set("skipped", "dry run");
    rep.set("pending_count", std::to_string(versions.size()));
    rep.set("failed_count", "0");
    rep.set("verdicts", "[]");
    rep.set("lint_errors", std::to_string(lint->errors));
    rep.set("lint_warnings", std::to_string(lint->warnings));
    rep.set("lint_findings", lint::findings_json(lint->findings));
    rep.summary = "### sbdeploy validate: " + target.environment + " (offline)\n\nChecked offline: " +
                  plural(versions.size(), "migration file") +
                  " (names, order, statement splitting, transaction rules, lint).\n\nSkipped: " +
                  github::escape_markdown(skipped) + ".\n\n" + lint->summary;
    if (lint->failed) {
        ctx.console.line("Offline checks failed: lint found " + plural(lint->errors, "error") + " and " +
                         plural(lint->warnings, "warning") + "; skipped " + skipped);
        return finish(ctx, rep, 1);
    }
    ctx.console.line("Offline checks passed for " + plural(versions.size(), "migration") + "; skipped " + skipped);
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
