// validate's forecast of the promotion gate: on a pull request into a branch that deploys to
// production, what the gate (src/cli/promotion_gate.hpp) will decide on the push after the merge.
#pragma once

#include "cli/project.hpp"
#include "cli/promotion_gate.hpp"

namespace sbdeploy::cli {

// What the promotion gate will decide on the push after the merge, by the push's own gate over
// production's pending migrations. status "" when it does not apply; a notice and "unchecked"
// when production has no target.
Result<GateResult> gate_after_merge(Context& ctx, const Project& project, const Target& target);

// The forecast's outputs (promotion, merge_back) and summary blocks, after the decision.
void record_gate(Report& rep, const GateResult& gate);

// The push after the merge would be refused: the gate's message, the summary, exit 1.
int gate_refused(Context& ctx, const Target& target, const GateResult& gate);

} // namespace sbdeploy::cli
