// The GitHub event payload (the JSON file at GITHUB_EVENT_PATH), parsed with RapidJSON
// into the facts sbdeploy uses. Absent and null fields are empty; a field of the wrong
// type, malformed JSON, or an oversized or over-deep payload is an input error (exit 2).
#pragma once

#include <rapidjson/fwd.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::github {

struct PullRequest {
    long number = 0;
    std::string title;
    std::string author;  // user.login
    bool draft = false;
    bool merged = false;
    std::string created_at;
    std::string merged_at;
    std::string merge_commit_sha;
    std::string base_ref;  // branch name, "main"
    std::string base_sha;
    std::string base_repo;  // owner/name
    std::string head_ref;
    std::string head_sha;
    std::string head_repo;  // owner/name; empty when the fork was deleted
    // The head is in another repository, or in a deleted one (head.repo null).
    bool fork = false;
    std::vector<std::string> labels;  // labels[].name
};

struct MergeGroup {
    std::string base_sha;
    std::string head_sha;
    std::string base_ref;  // full ref, "refs/heads/main"
    std::string head_ref;  // "refs/heads/gh-readonly-queue/main/pr-..."
};

struct WorkflowRun {
    std::string head_branch;
    std::string head_sha;
    std::string event;
    std::string conclusion;
    std::string status;
};

struct DeploymentStatus {
    std::string state;
    std::string environment;
};

struct Event {
    std::string name;    // GITHUB_EVENT_NAME, or inferred from the payload's shape
    std::string action;  // "opened", "closed", ...
    // push: the full ref ("refs/heads/main"); create/delete: the short name, see ref_type.
    std::string ref;
    std::string ref_type;  // create/delete: "branch" or "tag"
    std::string before;
    std::string after;
    bool created = false;
    bool deleted = false;
    bool forced = false;
    std::string base_ref;
    std::string default_branch;
    std::string repository;  // owner/name
    std::optional<PullRequest> pull_request;
    std::map<std::string, std::string> inputs;  // workflow_dispatch; booleans and numbers as text
    std::optional<MergeGroup> merge_group;
    std::optional<WorkflowRun> workflow_run;
    std::optional<DeploymentStatus> deployment_status;
    // The whole payload for later consumers (metrics); null when there was none.
    std::shared_ptr<const rapidjson::Document> document;
};

// Payloads beyond these bounds are refused: GitHub's are a few hundred KiB, a few levels deep.
inline constexpr std::size_t kMaxEventBytes = 64u * 1024u * 1024u;
inline constexpr unsigned kMaxEventDepth = 128;

// Parses payload text. `name` is the event name (GITHUB_EVENT_NAME); when empty it is
// inferred from the payload's shape. Errors carry the line and column in the message.
Result<Event> parse_event(std::string_view json, std::string_view name);

// Reads and parses the payload file at `path`; errors name the file.
Result<Event> read_event(const std::string& path, std::string_view name);

// The event name a payload's shape implies ("push", "pull_request", ...), or "" when
// it is not recognised. Used when GITHUB_EVENT_NAME is not set (terminal use).
std::string infer_event_name(const rapidjson::Document& payload);

// "refs/heads/main" -> "main"; other refs -> "".
std::string branch_of(std::string_view ref);
// "refs/tags/v1" -> "v1"; other refs -> "".
std::string tag_of(std::string_view ref);

} // namespace sbdeploy::github
