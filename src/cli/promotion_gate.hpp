// The promotion gate of a push to production (seed 003): production takes only migrations the
// --promote-from environment (default staging) ran first with the same statements, unless
// --allow-unpromoted or a merged hotfix pull request brought them. validate runs the same gate
// as a forecast of the push after the merge (src/cli/gate_forecast.hpp).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>

#include "cli/project.hpp"
#include "policy/hotfix.hpp"

namespace sbdeploy::cli {

struct GateResult {
    std::string status;  // passed, hotfix, refused, overridden, off, "" (not a push to production)
    std::optional<Error> refusal;
    std::string summary;  // Markdown blocks for the step summary; "" when there is nothing to say
    std::string merge_back;  // hotfix: the branch the source's branch must merge
};

// Finds the hotfix route (src/cli/hotfix_route.cpp), asked only when something is unpromoted.
using RouteFinder = std::function<Result<policy::HotfixRoute>()>;

// The push itself, or validate's forecast of it (a notice instead of a warning for a hotfix).
enum class GateRun { push, forecast };

// --promote-from: an environment name, or nothing for none (no gate). Bad values: config errors.
Result<std::optional<std::string>> promote_from(const Context& ctx);

// A push to production with pending migrations: reads the --promote-from environment's
// history (default staging) and refuses what it has not run with the same statements,
// unless --allow-unpromoted (a warning annotation) or a merged hotfix pull request brought
// them (`find_route`; a warning naming the branch to merge back). A missing source target
// fails (exit 2).
Result<GateResult> promotion_gate(Context& ctx, const Target& target,
                                  std::span<const migrations::Migration* const> pending,
                                  const RouteFinder& find_route = {}, GateRun run = GateRun::push);

} // namespace sbdeploy::cli
