// What the migration commands (status, validate, push, repair) share: the project's
// files, the target database of the resolved environment, and the report they leave
// (outputs, step summary).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.hpp"
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
};

// Lists and loads every migration (read, split, classify), printing the listing's
// notices and warnings. Errors are config errors naming the file.
Result<Project> load_project(Context& ctx);

struct Target {
    std::string environment;  // "staging", "production", ... or "" when not resolved
    std::string reason;       // why this environment (the mapping's reason)
    std::string url;
    std::string url_source;  // "--db-url" or the variable it came from
    bool nothing_to_do = false;  // the run maps to no environment: exit 0 with a notice
};

// The environment (--environment, else the branch mapping under Actions) and its URL
// (--db-url, else SBDEPLOY_<ENV>_DB_URL). A missing URL names the variable to set.
Result<Target> resolve_target(Context& ctx);

Result<std::unique_ptr<db::Session>> connect_target(Context& ctx, const Target& target);

// Local entries and remote history -> the plan, with statements compared.
migrations::Plan plan_for(const Project& project, const std::vector<db::HistoryRow>& history,
                          migrations::IncludeAll include_all);

// The plan's blocking problems (missing locally, out of order, edited) as one Error,
// or nothing. `allow_edited` lets push go on with edited files.
enum class AllowEdited { no, yes };
std::optional<Error> plan_problem(const Project& project, const migrations::Plan& plan, AllowEdited allow_edited);

// What a command leaves for later steps: outputs and a Markdown step summary.
struct Report {
    std::vector<std::pair<std::string, std::string>> outputs;
    std::string summary;
    void set(std::string name, std::string value) { outputs.emplace_back(std::move(name), std::move(value)); }
};
// Writes the report to GITHUB_OUTPUT and GITHUB_STEP_SUMMARY when they are set; returns
// `code`, or 1 when the files cannot be written.
int finish(Context& ctx, const Report& report, int code);

// "20250101120000" -> "2025-01-01 12:00:00"; "" for other widths.
std::string version_time(std::string_view version);
// JSON array of strings.
std::string json_array(const std::vector<std::string>& values);
// Runs with no target (mapping said none): the notice and exit 0.
int nothing_to_do(Context& ctx, const Target& target);

} // namespace sbdeploy::cli
