// The promotion gate's hotfix route for a run (seed 003): on a push to production, the merged
// pull request of the pushed commit (GitHub: pull requests of a commit); on a pull request,
// the event's own. Its changed files (GitHub: files of a pull request) say which migrations it
// brought. validate's forecast of the gate after the merge also lives here.
#pragma once

#include <string>

#include "cli/environments.hpp"
#include "cli/project.hpp"
#include "policy/hotfix.hpp"

namespace sbdeploy::cli {

// --hotfix-pattern, checked: a branch glob, or "" for none (exit 2 when malformed).
Result<std::string> hotfix_pattern(const Context& ctx);

// The hotfix pull request of this run and the migrations of `project` it brought, or why the
// route does not apply (no token, an API error, no merged pull request, not a hotfix). Only a
// bad option fails.
Result<policy::HotfixRoute> find_hotfix_route(Context& ctx, const Project& project, const Target& target);

// validate on a pull request into a branch that deploys to production: what the promotion gate
// will decide on the push after the merge, by the push's own gate over production's pending
// migrations. status "" when it does not apply; a notice and "unchecked" when production has no
// target.
Result<GateResult> gate_after_merge(Context& ctx, const Project& project, const Target& target);

// validate: the forecast's outputs (promotion, merge_back) and summary lines.
void record_gate(Report& rep, const GateResult& gate);

// validate: the push after the merge would be refused: the gate's message, exit 1.
int gate_refused(Context& ctx, const Target& target, const GateResult& gate);

} // namespace sbdeploy::cli
