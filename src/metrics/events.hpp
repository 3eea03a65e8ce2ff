// The current GitHub event -> metrics rows: pull_request (opened, reopened, ready_for_review,
// closed or merged, with cycle time), deployment_status and workflow_run (finished
// deployments), push (commit subjects), and this run's own deployment (--deployment-status)
// with its lead time from the commits deployed. Pure: payload and context in, rows out.
#pragma once

#include <rapidjson/fwd.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/records.hpp"
#include "metrics/rules.hpp"

namespace sbdeploy::metrics {

// What the push-migrations step says about its own run.
struct DeploymentRun {
    std::string status;       // success, failure
    std::string environment;  // where it deployed
    std::optional<long> applied;
    std::optional<double> duration_seconds;
};

struct EventContext {
    std::string repository;  // owner/name (GITHUB_REPOSITORY); the payload's when empty
    std::string run_id;      // GITHUB_RUN_ID
    long run_attempt = 1;    // GITHUB_RUN_ATTEMPT
    std::string sha;         // GITHUB_SHA
    std::string ref;         // GITHUB_REF
    std::int64_t now = 0;    // seconds since the epoch
    std::optional<DeploymentRun> deployment;
    // The environment a push to `branch` deploys to ("" for none): decides which
    // workflow_run events are deployments.
    std::function<std::string(std::string_view branch)> environment_of;
};

struct EventRecords {
    Records records;
    std::vector<std::string> notes;  // what was not recorded and why, for a notice
};

// `payload` may be null (no event file): only the deployment run is recorded then.
EventRecords records_for_event(std::string_view event_name, const rapidjson::Value* payload, const Rules& rules,
                               const EventContext& ctx);

// Events that can give rows (the rest only a note).
bool is_supported_event(std::string_view event_name);

} // namespace sbdeploy::metrics

namespace sbdeploy::metrics {

// A pull request object (a webhook's pull_request, or an item of GET /repos/{o}/{r}/pulls)
// as its whole history so far: opened, then merged (with cycle time) or closed, and its
// rules checked as of its creation. For backfill.
void add_pull_request_history(const rapidjson::Value& pr, std::string_view repository, std::string_view run_id,
                              const Rules& rules, Records& out);

} // namespace sbdeploy::metrics
