// validate's pull request guard (seed 003): into a branch that deploys to production only the
// staging branch (the --promote-from environment's) or a hotfix branch may merge.
#pragma once

#include <optional>

#include "cli/project.hpp"

namespace sbdeploy::cli {

// validate on a pull request into a branch that deploys to production: nothing when the
// head may merge (or the guard does not apply, or --no-pr-guard), else the refusal (exit 1)
// saying which branch may merge. Config errors (a bad --hotfix-pattern) fail.
Result<std::optional<Error>> pr_guard(Context& ctx, const Target& target);

// validate: the guard refused the pull request: the error on the console, the summary, exit 1.
int guard_refused(Context& ctx, const Target& target, const Error& refusal);

} // namespace sbdeploy::cli
