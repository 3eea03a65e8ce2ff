// History -> metrics rows, for `sbdeploy metrics backfill`: pages of the GitHub REST API
// (pull requests, deployments and their statuses, workflow runs), `git log` output, and
// saved pull request lists. Pure: text in, rows out; the CLI does the fetching.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/records.hpp"
#include "metrics/rules.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

struct PageResult {
    Records records;
    std::size_t items = 0;       // items on the page
    bool reached_older = false;  // an item older than `since`: later pages are older still
};

// GET /repos/{o}/{r}/pulls?state=all&sort=updated&direction=desc: the pull requests updated
// since `since`, each as its history (opened, then merged or closed) and its rules.
Result<PageResult> pulls_page(std::string_view body, std::int64_t since, std::string_view repository,
                              const Rules& rules);

// Receives rows as they are read, and takes them (what it leaves in `records` is dropped).
using RecordSink = std::function<Result<void>(Records& records)>;

// A saved list of pull requests: one JSON array, or several one after the other as
// `gh api --paginate repos/{o}/{r}/pulls?state=all` writes them. Errors name the file.
// Rows go to `sink` every array (and every 1,000 pull requests within one), so that a list
// of any size is never held as rows; returns how many pull requests were read.
Result<std::size_t> pulls_file(std::string_view text, std::string_view display, std::int64_t since,
                               std::string_view repository, const Rules& rules, const RecordSink& sink);
// The same, all rows in the result.
Result<PageResult> pulls_file(std::string_view text, std::string_view display, std::int64_t since,
                              std::string_view repository, const Rules& rules);

struct DeploymentRef {
    std::string id;
    std::string sha;
    std::string ref;
    std::string environment;
    std::int64_t created_at = 0;
};

// GET /repos/{o}/{r}/deployments (newest first): those created since `since`.
Result<std::vector<DeploymentRef>> deployments_page(std::string_view body, std::int64_t since, bool& reached_older);

// GET /repos/{o}/{r}/deployments/{id}/statuses (newest first): the deployment as its newest
// finished status (success, or failure/error), nothing while none is finished.
Result<std::optional<DeploymentEvent>> deployment_from_statuses(std::string_view body, const DeploymentRef& deployment,
                                                                std::string_view repository);

// GET /repos/{o}/{r}/actions/runs: completed runs of the `workflows` (file name such as
// "deploy.yml", path, or name) whose head branch deploys somewhere (`environment_of`).
Result<PageResult> workflow_runs_page(std::string_view body, std::int64_t since, std::string_view repository,
                                      const std::vector<std::string>& workflows,
                                      const std::function<std::string(std::string_view)>& environment_of);

// The git log format the next function reads.
inline constexpr std::string_view kGitLogFormat = "--format=%H%x1f%aI%x1f%s%x1e";
// Commit subjects -> conventional-commit rule events (git's own merge subjects skipped).
std::vector<RuleEvent> commits_from_git_log(std::string_view output, std::string_view repository);

// "SHA\x1fISO-time" lines (git log --no-walk --format=%H%x1f%cI) -> commit times.
std::map<std::string, std::int64_t> commit_times(std::string_view output);

} // namespace sbdeploy::metrics
