// validate's forecast of the promotion gate (see gate_forecast.hpp).
#include "cli/gate_forecast.hpp"

#include <algorithm>

#include "cli/hotfix_route.hpp"
#include "cli/resolve.hpp"
#include "cli/validate_report.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "policy/promotion.hpp"
#include "util/glob.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

Error after_merge(Error e, const std::string& doing) {
    e.message = "promotion gate after the merge: " + doing + ": " + e.message;
    return e;
}

// Whether the pull request merges into a branch that deploys to production.
Result<bool> into_production(const Context& ctx, const Target& target) {
    const auto& f = target.facts;
    if (f.event != "pull_request" && f.event != "pull_request_target") return false;
    TRY_ASSIGN(auto mapping, configured_mapping(ctx));
    const auto branches = policy::branches_of(mapping, policy::kProtectedEnvironment);
    return std::ranges::any_of(branches, [&](const std::string& g) { return policy::glob_match(g, f.base_ref); });
}

} // namespace

Result<GateResult> gate_after_merge(Context& ctx, const Project& project, const Target& target) {
    TRY_ASSIGN(const bool applies, into_production(ctx, target));
    if (!applies) return GateResult{};
    // Production's pending migrations, as the push after the merge will plan them.
    const std::string production(policy::kProtectedEnvironment);
    auto prod = target.environment == production ? Result<Target>(target)
                                                 : environment_target(ctx, production, "promotion gate");
    if (!prod) {
        GateResult g;
        g.status = "unchecked";
        ctx.console.notice("promotion gate after the merge: not checked: " + prod.error().message);
        g.summary = "**Promotion gate after the merge**: not checked: " + md::text(prod.error().message);
        return g;
    }
    auto session = connect_target(ctx, *prod);
    if (!session) return fail(after_merge(std::move(session.error()), "connecting to " + production));
    auto history = db::read_history(**session);
    if (!history) return fail(after_merge(std::move(history.error()), "reading the history of " + production));
    session->reset();
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(project, *history, include_all);
    std::vector<const migrations::Migration*> pending;
    for (auto i : plan.to_apply) pending.push_back(&project.migrations[i]);
    return promotion_gate(
        ctx, *prod, pending, [&] { return find_hotfix_route(ctx, project, target); }, GateRun::forecast);
}

void record_gate(Report& rep, const GateResult& gate) {
    if (gate.status.empty()) return;
    rep.set("promotion", gate.status);
    if (!gate.merge_back.empty()) rep.set("merge_back", gate.merge_back);
    if (!gate.summary.empty()) rep.decision = md::Summary().block(rep.decision).block(gate.summary).str();
}

int gate_refused(Context& ctx, const Target& target, const GateResult& gate) {
    Report rep;
    record_decision(ctx, rep, target);
    record_gate(rep, gate);
    rep.set("valid", "false");
    rep.headline = md::headline(md::Outcome::failed, validate_title(target),
                                "the push to " + std::string(policy::kProtectedEnvironment) +
                                    " after the merge would be refused by the promotion gate");
    ctx.console.error(*gate.refusal);
    ctx.console.line("Validation fails: the push to " + std::string(policy::kProtectedEnvironment) +
                     " after this pull request merges would be refused by the promotion gate");
    return finish(ctx, rep, 1);
}

} // namespace sbdeploy::cli
