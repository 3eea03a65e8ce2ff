// What `sbdeploy rollback` shares with push (--rollback-on-verify-failure): rolling back a
// list of steps with a line each, stopping at the first failure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "db/session.hpp"
#include "github/summary.hpp"
#include "migrations/rollback.hpp"

namespace sbdeploy::cli {

struct RollbackOutcome {
    std::vector<std::string> rolled_back;  // versions, in the order they were rolled back
    std::vector<std::string> remaining;    // versions not rolled back (the failing one first)
    std::optional<Error> failure;
    github::md::Table table{{"Version", "Name", "Result", "Time"}};  // a row per step tried
};

// Rolls back `steps` (newest first), each in its own transaction. Over a session the caller
// holds the push lock.
RollbackOutcome roll_back_steps(Context& ctx, db::Session& db, std::span<const migrations::RollbackStep> steps,
                                const migrations::Settings& settings);

// A step's name for people: the local file name, else <version>_<name>.
std::string step_label(const migrations::RollbackStep& step);

} // namespace sbdeploy::cli
