// What one `sbdeploy push` works on, filled step by step (src/cli/push.cpp), and the apply of
// its pending files with the summary of how it went (src/cli/push_apply.cpp).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/project.hpp"
#include "cli/promotion_gate.hpp"
#include "cli/push_extras.hpp"
#include "cli/revert.hpp"
#include "github/summary.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::cli {

struct PushRun {
    Project project;
    Target target;
    PushExtras extras;  // --include-seed, --rollback-on-verify-failure
    migrations::Settings settings;
    bool dry_run = false;
    std::unique_ptr<db::Session> session;
    std::string where;      // the database, safe to print
    std::string env_label;  // "staging (<where>)"
    std::string title;      // the summary's "push to staging"
    std::vector<db::HistoryRow> history;
    Revert reverted;  // applied files this push deleted: rolled back first
    std::vector<const migrations::Migration*> pending;
    std::string gate;  // the promotion gate's status ("" when it did not run)
    // The file names a push event's commits added (push_bet.hpp), read once for the bet and the
    // gate's prefetch; nothing when the run is not a push with commits.
    std::optional<std::set<std::string>> added;
    // The bet on the history (src/cli/push_bet.hpp): the files it sent with the history read,
    // and, when the server ran them, the Pusher that holds their results (apply_pending uses it).
    std::vector<const migrations::Migration*> bet_pending;
    std::unique_ptr<migrations::Pusher> pusher;
    // A push to production: the gate's source history, read while production is connected.
    std::unique_ptr<SourcePrefetch> gate_source;
};

struct AppliedFile {
    const migrations::Migration* migration;
    double ms;
};

// How the pending files went: a row each (applied, failed, not run).
struct Applied {
    std::vector<AppliedFile> applied;
    std::size_t processed = 0;  // applied here or found applied by another run
    std::optional<Error> failure;
    const migrations::Migration* failed = nullptr;  // the file that failed, when one did
    bool lock_released = false;  // the push lock's release went with the last batch
    github::md::Table table{{"Version", "Name", "Result", "Time"}};
};

// Applies run.pending in order, in batches, stopping at the first failure or at a signal
// between batches; a line per file.
Applied apply_pending(Context& ctx, PushRun& run);

// The pending files not processed (the failing one first), in order.
std::vector<const migrations::Migration*> remaining(const PushRun& run, const Applied& applied);

// After a failure: the failure row's explanation, the hint, what stayed applied and what never
// ran (Markdown); the headline's detail in `detail`.
std::string failure_summary(const PushRun& run, const Applied& applied, std::string& detail);

} // namespace sbdeploy::cli
