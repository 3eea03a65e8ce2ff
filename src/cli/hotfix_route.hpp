// The promotion gate's hotfix route for a run (seed 003): on a push to production, the merged
// pull request of the pushed commit (GitHub: pull requests of a commit); on a pull request,
// the event's own. Its changed files (GitHub: files of a pull request) say which migrations it
// brought.
#pragma once

#include <string>

#include "cli/project.hpp"
#include "policy/hotfix.hpp"

namespace sbdeploy::cli {

// --hotfix-pattern, checked: a branch glob, or "" for none (exit 2 when malformed).
Result<std::string> hotfix_pattern(const Context& ctx);

// The hotfix pull request of this run and the migrations of `project` it brought, or why the
// route does not apply (no token, an API error, no merged pull request, not a hotfix). Only a
// bad option fails.
Result<policy::HotfixRoute> find_hotfix_route(Context& ctx, const Project& project, const Target& target);

} // namespace sbdeploy::cli
