// push's undo of a revert (--no-rollback-on-revert: off): applied migrations whose files the
// pushed diff (before..after of the push event) deleted are rolled back with the down SQL
// of the parent commit, newest first, under the push lock, before the pending files apply.
// validate dry-runs that rollback for a pull request that deletes them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "changes/base.hpp"
#include "cli/project.hpp"
#include "migrations/revert.hpp"

namespace sbdeploy::cli {

struct Revert {
    migrations::RevertPlan plan;  // no steps: this push reverts nothing applied
    std::string range;            // "1a2b3c4..5d6e7f8": the pushed diff, for messages
};

// The migrations folder as a path from the repository root ("" at the root); nothing when it
// lies outside the workdir's repository.
Result<std::optional<std::string>> folder_in_repository(const changes::Git& git, const Project& project);

// The diff of this run, when it is a push (before..after) or a pull request (merge-base..head)
// git can tell about; else nothing, and why in `why`.
Result<std::optional<changes::Range>> changed_range(Context& ctx, changes::Git& git, std::string& why);

// After the history is read (push: under the push lock). Only when versions are missing
// locally (else no git runs): the ones the run's diff deleted (a push: before..after; a pull
// request: merge-base..head) become steps and leave `history`, so the plan no longer reports
// them missing; the rest keep that error. Refuses (exit 1, nothing changed) when a reverted
// version has no down SQL in the base commit.
Result<Revert> find_reverted(Context& ctx, const Project& project, std::vector<db::HistoryRow>& history);

// push --dry-run: the lines and the summary section of what would be rolled back.
std::string describe_revert(Context& ctx, const Revert& revert);

struct RevertOutcome {
    int code = 0;                 // 1 when a rollback failed: nothing pending may be applied
    std::string summary;          // the section for push's summary
    std::size_t rolled_back = 0;  // versions rolled back
    std::optional<Error> failure;
};

// Rolls the steps back, each version with the deletion of its history row in one
// transaction (as `sbdeploy rollback`); lines, notices, the outputs reverted and
// reverted_count. On failure also the headline (`title`: "push to staging"), the summary and
// the outputs push writes on failure.
RevertOutcome roll_back_reverted(Context& ctx, db::Session& db, const Revert& revert,
                                 const migrations::Settings& settings, const std::string& title, std::size_t pending,
                                 Report& rep);

// validate: the rollback the push after the merge would run, inside one transaction that is
// rolled back (rollback --dry-run); its table goes in the report's decision section. Returns
// 0, or the exit code when it fails (output valid=false).
int dry_run_reverted(Context& ctx, db::Session& db, const Revert& revert, const migrations::Settings& settings,
                     Report& rep);

} // namespace sbdeploy::cli
