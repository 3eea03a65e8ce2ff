// Undoing a revert: the migration files a pushed diff removed, as the parent commit had them,
// matched against the history. Those applied, with no file of their version left locally,
// become rollback steps (migrations/rollback.hpp), newest first, whose down SQL is the
// parent commit's. Pure: the caller reads git.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "migrations/apply.hpp"
#include "migrations/plan.hpp"
#include "migrations/rollback.hpp"

namespace sbdeploy::migrations {

// Where the down SQL of migration `filename` may be, relative to its folder, in the order
// looked at: down/<filename>, down/<stem>.down.sql, <stem>.down.sql (migrations/down.hpp).
std::vector<std::string> down_candidates(std::string_view filename);

struct RemovedFile {
    std::string filename;  // as it was directly in the migrations folder
    std::string content;   // in the parent commit
    std::string down_name;  // the first of down_candidates found there, "" when none
    std::optional<std::string> down_content;
};

struct RevertPlan {
    std::vector<std::shared_ptr<const Migration>> files;  // what the steps point to
    std::vector<RollbackStep> steps;                      // newest first (versions as text)
};

// `folder_display` names the migrations folder in messages ("supabase/migrations").
// Ignored: names that are no migration names (down files among them), versions not applied,
// versions a local file still has. Config errors (exit 2) name the file of the parent commit.
Result<RevertPlan> plan_revert(std::span<const RemovedFile> removed, const std::string& folder_display,
                               std::span<const Migration> local, std::span<const RemoteEntry> applied);

} // namespace sbdeploy::migrations
