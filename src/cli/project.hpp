// What the migration commands (status, validate, push, repair) share: the project's
// files, the target database of the resolved environment, and the report they leave
// (outputs, step summary).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.hpp"
#include "db/history.hpp"
#include "db/session.hpp"
#include "github/runner.hpp"
#include "migrations/apply.hpp"
#include "migrations/files.hpp"
#include "migrations/plan.hpp"
#include "policy/mapping.hpp"

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

struct Target {
    std::string environment;  // "staging", "production", ... or "" when not resolved
    std::string reason;       // why this environment (the mapping's reason)
    policy::Action action = policy::Action::none;  // what the mapping decided (push, validate, none)
    github::RunFacts facts;   // the run (empty without an event)
    std::string url;
    std::string url_source;  // "--db-url" or the variable it came from
    std::string project_ref;         // a Supabase project ref (Management API), when the target is one
    std::string project_ref_source;  // "--project-ref" or the variable it came from
    bool nothing_to_do = false;  // the run maps to no environment: exit 0 with a notice
    // A fork pull request without the target's secrets (withheld from forks by design):
    // validate runs its offline checks. `offline_reason` names what is missing.
    bool offline = false;
    std::string offline_reason;
};

// Whether a missing target on a fork pull request is an error (every command but validate).
enum class MissingOnFork { error, offline };

// The environment (--environment, else the branch mapping of --environments and
// --validate-against) and its connection: --db-url given as a flag, else
// SBDEPLOY_<ENV>_DB_URL, else SBDEPLOY_<ENV>_PROJECT_REF (with SUPABASE_ACCESS_TOKEN), else
// SBDEPLOY_DB_URL, else SBDEPLOY_PROJECT_REF, else [remotes.<env>] project_id of
// supabase/config.toml. A missing target names the variable to set (exit 2).
// Defined in src/cli/resolve.cpp.
Result<Target> resolve_target(Context& ctx, MissingOnFork on_fork = MissingOnFork::error);

// The environment and the mapping decision only, without a connection (verify's health
// checks need none). Defined in src/cli/resolve.cpp.
Result<Target> resolve_environment(Context& ctx);

// The target of another environment (the promotion gate's source): only its own variables
// (SBDEPLOY_<ENV>_DB_URL, SBDEPLOY_<ENV>_PROJECT_REF, then config.toml's [remotes.<env>]
// project_id), never the run's --db-url.
Result<Target> environment_target(Context& ctx, const std::string& environment, const std::string& why);

// The metrics database (in `environment`, production): --db-url, --project-ref (flags, then
// SBDEPLOY_DB_URL, SBDEPLOY_PROJECT_REF), then the environment's own variables, then
// config.toml's [remotes.<environment>] project_id.
Result<Target> metrics_target(Context& ctx, const std::string& environment, const std::string& why);

Result<std::unique_ptr<db::Session>> connect_target(Context& ctx, const Target& target);

// Local entries and remote history -> the plan, with statements compared.
migrations::Plan plan_for(const Project& project, const std::vector<db::HistoryRow>& history,
                          migrations::IncludeAll include_all);

// The plan's blocking problems (missing locally, out of order, edited) as one Error,
// or nothing. `allow_edited` lets push go on with edited files.
enum class AllowEdited { no, yes };
std::optional<Error> plan_problem(const Project& project, const migrations::Plan& plan, AllowEdited allow_edited);

// What a command leaves for later steps: outputs and a Markdown step summary.
// The summary is written as: headline, decision, summary (github::md, ending with a blank line).
struct Report {
    std::vector<std::pair<std::string, std::string>> outputs;
    std::string headline;  // the outcome line, first (github::md::headline); "" for none
    std::string summary;
    std::string decision;  // one Markdown line: the mapping decision, written after the headline
    void set(std::string name, std::string value) { outputs.emplace_back(std::move(name), std::move(value)); }
};
// The mapping decision of `target`: outputs environment, action, reason, and the summary's
// decision line. Defined in src/cli/resolve.cpp.
void record_decision(Context& ctx, Report& report, const Target& target);
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
