// Rolling back applied versions: which ones (a pure function of the local files and the
// history), then each one's down SQL with the deletion of its history row in one
// transaction, newest first; or only the deletions (record-only); or all of it inside a
// transaction that is rolled back (the dry run). Failures name the file and line.
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/session.hpp"
#include "migrations/dry_run.hpp"
#include "migrations/plan.hpp"

namespace sbdeploy::migrations {

struct RollbackRequest {
    std::optional<std::string> to;    // every applied version newer than this one
    std::optional<std::size_t> last;  // or the N newest applied versions
};

struct RollbackStep {
    std::string version;
    std::string name;                      // as recorded
    const Migration* migration = nullptr;  // the local file; nullptr when missing locally
    bool edited = false;                   // the file's statements differ from the recorded ones
    [[nodiscard]] const Migration* down() const { return migration ? migration->down.get() : nullptr; }
};

// The applied versions to undo, newest first (the CLI's order, versions as text). Usage
// errors (exit 2): --to names a version that is not applied; --last is 0 or more than the
// applied versions.
Result<std::vector<RollbackStep>> plan_rollback(std::span<const Migration> local, std::span<const RemoteEntry> applied,
                                                const RollbackRequest& request);

// The steps that have no down SQL, one each: `20240102000000 (supabase/migrations/20240102000000_b.sql)`,
// or `20240102000000 (no local file)`.
std::vector<std::string> without_down(std::span<const RollbackStep> steps);

enum class RecordOnly { no, yes };

struct RolledBack {
    double ms = 0;
    std::vector<std::string> notices;
};

// Undoes one step: its down SQL and the deletion of its history row in one transaction
// (down SQL that cannot run in a transaction: statement by statement, the deletion after the
// last). Over a session the caller holds the push lock; a call-scoped transport takes it in
// the same request. On failure nothing of the step remains and the Error names the down
// SQL's file and line; the step is still applied.
Result<RolledBack> roll_back(db::Session& session, const RollbackStep& step, const Settings& settings);

// Record-only: deletes every step's history row in one transaction, running no SQL.
Result<void> forget(db::Session& session, std::span<const RollbackStep> steps, const Settings& settings);

struct RollbackDryRun {
    const RollbackStep* step = nullptr;
    Verdict verdict = Verdict::ok;
    std::optional<Error> error;
};

// Every step (its down SQL unless record-only, and the deletion) inside one transaction that
// is rolled back. Stops after the first failing step, as the rollback would; down SQL that
// cannot run in a transaction is not run (Verdict::not_dry_run).
Result<std::vector<RollbackDryRun>> dry_run_rollback(db::Session& session, std::span<const RollbackStep> steps,
                                                     RecordOnly record_only, const Settings& settings);

// What starts a transaction that changes the history outside push (rollback, seed data):
// the session state every file starts from, the push lock over a call-scoped transport
// (waiting up to settings.lock_wait_ms), and the timeouts (SET over a session, SET LOCAL
// per call). `storage` keeps the texts the items point into.
std::vector<db::BatchItem> transaction_prologue(const db::Session& session, const Settings& settings,
                                                std::deque<std::string>& storage);

} // namespace sbdeploy::migrations
