// The promotion gate of a push to production (seed 003): production takes only migrations the
// --promote-from environment (default staging) ran first with the same statements, unless
// --allow-unpromoted or a merged hotfix pull request brought them. validate runs the same gate
// as a forecast of the push after the merge (src/cli/gate_forecast.hpp).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

// The gate's read of the --promote-from environment's history, started on a thread of its own
// while the push connects to production and reads production's history: over a WAN the
// source's connect and read then no longer wait for production's (about five round trips).
// Its console lines are held, and printed when the gate takes the result.
class SourcePrefetch {
public:
    // Nothing unless `target` is production, --promote-from names a source whose target is a
    // database URL (libpq), and `worth_it` (the gate will most likely run). Errors in resolving
    // the source are left to the gate, which reports them as it always does.
    static std::unique_ptr<SourcePrefetch> start(Context& ctx, const Target& target, bool worth_it);
    ~SourcePrefetch();  // waits for the read when the gate did not take it
    SourcePrefetch(const SourcePrefetch&) = delete;
    SourcePrefetch& operator=(const SourcePrefetch&) = delete;
    [[nodiscard]] const std::string& source() const;
    // Waits for the read; prints what it said; its rows, or why there are none. Once.
    Result<std::vector<policy::SourceEntry>> take(Context& ctx);

    struct State;

private:
    explicit SourcePrefetch(std::shared_ptr<State> state);
    std::shared_ptr<State> state_;
};

// A push to production with pending migrations: reads the --promote-from environment's
// history (default staging) and refuses what it has not run with the same statements,
// unless --allow-unpromoted (a warning annotation) or a merged hotfix pull request brought
// them (`find_route`; a warning naming the branch to merge back). A missing source target
// fails (exit 2).
Result<GateResult> promotion_gate(Context& ctx, const Target& target,
                                  std::span<const migrations::Migration* const> pending,
                                  const RouteFinder& find_route = {}, GateRun run = GateRun::push,
                                  SourcePrefetch* prefetched = nullptr);

} // namespace sbdeploy::cli
