// What environments add to the migration commands: the pull request guard of validate, the
// promotion gate of a push to production, and validate's offline checks on a fork pull
// request whose secrets GitHub withholds.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>

#include "cli/project.hpp"
#include "policy/hotfix.hpp"

namespace sbdeploy::cli {

// validate on a pull request into a branch that deploys to production: nothing when the
// head may merge (or the guard does not apply, or --no-pr-guard), else the refusal (exit 1)
// saying which branch may merge. Config errors (a bad --hotfix-pattern) fail.
Result<std::optional<Error>> pr_guard(Context& ctx, const Target& target);

struct GateResult {
    std::string status;  // passed, hotfix, refused, overridden, off, "" (not a push to production)
    std::optional<Error> refusal;
    std::string summary;  // Markdown lines for the step summary; "" when there is nothing to say
    std::string merge_back;  // hotfix: the branch the source's branch must merge
};

// Finds the hotfix route (src/cli/hotfix_route.cpp), asked only when something is unpromoted.
using RouteFinder = std::function<Result<policy::HotfixRoute>()>;

// The push itself, or validate's forecast of it (a notice instead of a warning for a hotfix).
enum class GateRun { push, forecast };

// A push to production with pending migrations: reads the --promote-from environment's
// history (default staging) and refuses what it has not run with the same statements,
// unless --allow-unpromoted (a warning annotation) or a merged hotfix pull request brought
// them (`find_route`; a warning naming the branch to merge back). A missing source target
// fails (exit 2).
Result<GateResult> promotion_gate(Context& ctx, const Target& target,
                                  std::span<const migrations::Migration* const> pending,
                                  const RouteFinder& find_route = {}, GateRun run = GateRun::push);

// validate on a fork pull request without the target: the file checks, the plan against an
// empty history, lint; says what it skipped. Returns the exit code.
int validate_offline(Context& ctx, const Project& project, const Target& target);

} // namespace sbdeploy::cli
