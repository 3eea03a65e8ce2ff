// validate's pull request guard (see pr_guard.hpp).
#include "cli/pr_guard.hpp"

#include "cli/hotfix_route.hpp"
#include "cli/promotion_gate.hpp"
#include "cli/resolve.hpp"
#include "cli/validate_report.hpp"
#include "github/summary.hpp"
#include "policy/pr_guard.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

Result<std::optional<Error>> pr_guard(Context& ctx, const Target& target) {
    const auto& f = target.facts;
    if (f.event != "pull_request" && f.event != "pull_request_target") return std::optional<Error>();
    if (ctx.options.flag("no-pr-guard")) {
        ctx.console.debug("pull request guard: off (--no-pr-guard)");
        return std::optional<Error>();
    }
    TRY_ASSIGN(auto mapping, configured_mapping(ctx));
    TRY_ASSIGN(auto source, promote_from(ctx));
    TRY_ASSIGN(auto hotfix, hotfix_pattern(ctx));
    auto rules = policy::guard_rules(mapping, std::string(policy::kProtectedEnvironment),
                                     source.value_or(std::string(policy::kDefaultPromoteFrom)), hotfix);
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

int guard_refused(Context& ctx, const Target& target, const Error& refusal) {
    namespace md = github::md;
    Report rep;
    record_decision(ctx, rep, target);
    rep.set("valid", "false");
    rep.headline =
        md::headline(md::Outcome::failed, validate_title(target), "the pull request guard refused the merge");
    rep.summary = md::Summary()
                      .block("**Pull request guard**: " + md::text(refusal.message))
                      .block(hint_line(refusal.hint))
                      .str();
    ctx.console.error(refusal);
    return finish(ctx, rep, 1);
}

} // namespace sbdeploy::cli
