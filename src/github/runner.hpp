// The GitHub Actions runner interface: the GITHUB_* variables of a run, the event it
// describes (payload file or, in a terminal, the variables alone), and the facts of
// the run derived from both (payload first, variables where the payload is silent).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "github/event.hpp"
#include "util/env.hpp"

namespace sbdeploy::github {

struct RunnerContext {
    bool actions = false;  // GITHUB_ACTIONS=true
    bool debug = false;    // RUNNER_DEBUG=1
    std::string event_name;
    std::string event_path;
    std::string ref;       // "refs/heads/main", "refs/pull/2/merge", "refs/tags/v1"
    std::string ref_name;  // "main", "2/merge", "v1"
    std::string ref_type;  // "branch" or "tag"
    std::string head_ref;  // pull requests: the source branch
    std::string base_ref;  // pull requests: the target branch
    std::string sha;
    std::string repository;  // owner/name
    std::string workspace;
    std::string run_id;
    std::string run_attempt;
    std::string api_url;     // default https://api.github.com
    std::string server_url;  // default https://github.com
    std::string output_path;        // GITHUB_OUTPUT
    std::string step_summary_path;  // GITHUB_STEP_SUMMARY
    std::string env_path;           // GITHUB_ENV

    static RunnerContext from(const util::Environment& env);
};

// Loads the event: the payload at `event_path` (GITHUB_EVENT_PATH unless overridden)
// named GITHUB_EVENT_NAME (inferred when unset); without a path, an event made of the
// variables alone (name and ref), or an empty one outside Actions.
Result<Event> load_event(const RunnerContext& ctx, const std::string& event_path);

// What `sbdeploy env` reports and the mapping decides on.
struct RunFacts {
    std::string event;   // event name, "" when there is none
    std::string action;  // the payload's action: "opened", "closed", ...
    std::string ref;     // full ref
    std::string ref_type;  // "branch", "tag" or ""
    // push, workflow_dispatch: the branch; pull requests: the head (source) branch;
    // merge_group: the queue branch; workflow_run: its head branch.
    std::string branch;
    std::string tag;       // the pushed, created or deleted tag
    std::string base_ref;  // pull requests and merge groups: the target branch
    std::string base_sha;  // push: before; pull request and merge group: the base
    std::string head_sha;  // push: after; pull request and merge group: the head
    std::string sha;       // GITHUB_SHA, else the payload's commit
    std::optional<long> pr_number;
    bool fork = false;
    bool merged = false;
    std::vector<std::string> labels;  // pull requests: their labels' names
    bool deleted = false;     // a branch or tag deletion
    std::string repository;   // owner/name
    std::map<std::string, std::string> inputs;  // workflow_dispatch inputs
};

RunFacts run_facts(const RunnerContext& ctx, const Event& event);

// A push's before/after of a created or deleted ref: forty zeros.
bool is_null_sha(std::string_view sha);

} // namespace sbdeploy::github
