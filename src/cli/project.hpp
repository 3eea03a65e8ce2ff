// What the migration commands (status, validate, push, repair) share: the project's files
// and the plan against a target's history. The target (cli/target.hpp) and the report they
// leave (cli/report.hpp) have their own headers, included here for the commands.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.hpp"
#include "cli/report.hpp"
#include "cli/target.hpp"
#include "db/history.hpp"
#include "db/session.hpp"
#include "migrations/apply.hpp"
#include "migrations/files.hpp"
#include "migrations/plan.hpp"

namespace sbdeploy::cli {

struct Project {
    std::string workdir;
    std::string migrations_dir;      // to open
    std::string migrations_display;  // for messages: relative to the workdir
    std::vector<migrations::Migration> migrations;  // the CLI's order
    std::vector<migrations::Unmatched> unmatched;   // .sql files the CLI skips: never applied
};

// Lists and loads every migration (read, split, classify), printing the listing's
// notices and warnings, and a warning annotation for each unmatched file (validate, which
// fails on them unless --ignore-unmatched, reports them itself). Errors are config errors
// naming the file.
Result<Project> load_project(Context& ctx);

// What is wrong with an unmatched file, and the rename that fixes it.
Error unmatched_problem(const migrations::Unmatched& u);

// Files that commit in the middle, among `pending`: a warning annotation on each one's first
// mid-file COMMIT, or, with --strict-transactions, the refusal of the first (exit 2).
std::optional<Error> check_split_files(Context& ctx, std::span<const migrations::Migration* const> pending);

// Local entries and remote history -> the plan, with statements compared.
migrations::Plan plan_for(const Project& project, const std::vector<db::HistoryRow>& history,
                          migrations::IncludeAll include_all);

// The plan's blocking problems (missing locally, out of order, edited) as one Error,
// or nothing. `allow_edited` lets push go on with edited files.
enum class AllowEdited { no, yes };
std::optional<Error> plan_problem(const Project& project, const migrations::Plan& plan, AllowEdited allow_edited);

} // namespace sbdeploy::cli
