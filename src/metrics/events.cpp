#include "metrics/events.hpp"

#include <algorithm>
#include <array>

#include "metrics/json_fields.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

using rapidjson::Value;

constexpr std::array<std::string_view, 5> kSupported = {"pull_request", "pull_request_target", "push",
                                                        "deployment_status", "workflow_run"};

std::optional<std::int64_t> time_at(const Value* v, std::initializer_list<const char*> path) {
    return parse_time(json::text(v, path));
}

struct PrFields {
    long number = 0;
    std::string title, author, head, base;
    std::optional<std::int64_t> created, updated, closed, merged;
};

PrFields read_pr(const Value& pr) {
    PrFields f;
    f.number = static_cast<long>(json::integer(&pr, {"number"}).value_or(0));
    f.title = json::text(&pr, {"title"});
    f.author = json::text(&pr, {"user", "login"});
    f.head = json::text(&pr, {"head", "ref"});
    f.base = json::text(&pr, {"base", "ref"});
    f.created = time_at(&pr, {"created_at"});
    f.updated = time_at(&pr, {"updated_at"});
    f.closed = time_at(&pr, {"closed_at"});
    f.merged = time_at(&pr, {"merged_at"});
    return f;
}

PrEvent pr_event(const PrFields& f, std::string_view repository, std::string_view type, std::int64_t at,
                 std::string_view run_id) {
    PrEvent e;
    e.repository = repository;
    e.pr_number = f.number;
    e.event_type = type;
    e.event_timestamp = at;
    e.title = f.title;
    e.branch = f.head;
    e.base_branch = f.base;
    e.author = f.author;
    e.pr_created_at = f.created;
    e.run_id = run_id;
    if (type == "merged" && f.created && *f.created <= at) e.cycle_time_seconds = at - *f.created;
    return e;
}

void add_rules(const Rules& rules, const PrFields& f, std::string_view repository, std::int64_t at,
               std::string_view run_id, Records& out) {
    PullRequestSubject s{std::string(repository), f.number, f.title, f.head, f.base, at, std::string(run_id)};
    for (auto& r : check_pull_request(rules, s)) out.rules.push_back(std::move(r));
}

void pull_request(const Value& payload, std::string_view action, const Rules& rules, const std::string& repository,
                  const EventContext& ctx, EventRecords& out) {
    const Value* pr = json::at(&payload, {"pull_request"});
    if (pr == nullptr || !pr->IsObject()) {
        out.notes.push_back("pull_request event without a pull_request object: nothing to record");
        return;
    }
    PrFields f = read_pr(*pr);
    const std::int64_t updated = f.updated.value_or(ctx.now);
    std::optional<std::pair<std::string, std::int64_t>> event;
    if (action == "opened")
        event = {{"opened", f.created.value_or(updated)}};
    else if (action == "reopened" || action == "ready_for_review")
        event = {{std::string(action), updated}};
    else if (action == "closed" && (f.merged || json::boolean(pr, {"merged"})))
        event = {{"merged", f.merged.value_or(f.closed.value_or(updated))}};
    else if (action == "closed")
        event = {{"closed", f.closed.value_or(updated)}};
    if (event) out.records.prs.push_back(pr_event(f, repository, event->first, event->second, ctx.run_id));
    const bool check_rules = event.has_value() || action == "edited";
    if (check_rules) add_rules(rules, f, repository, event ? event->second : updated, ctx.run_id, out.records);
    if (!check_rules)
        out.notes.push_back("pull_request " + util::quoted(action) +
                            ": nothing to record (opened, reopened, ready_for_review, edited and closed are)");
}

void push(const Value& payload, const std::string& repository, const EventContext& ctx, EventRecords& out) {
    const Value* commits = json::at(&payload, {"commits"});
    if (commits == nullptr || !commits->IsArray()) return;
    for (const auto& c : commits->GetArray()) {
        auto at = time_at(&c, {"timestamp"}).value_or(ctx.now);
        if (auto r = check_commit(repository, json::text(&c, {"id"}), json::text(&c, {"message"}), at, ctx.run_id))
            out.records.rules.push_back(std::move(*r));
    }
}

void deployment_status(const Value& payload, const std::string& repository, const EventContext& ctx,
                       EventRecords& out) {
    const Value* ds = json::at(&payload, {"deployment_status"});
    std::string state = json::text(ds, {"state"});
    std::string status = state == "success" ? "success" : (state == "failure" || state == "error") ? "failure" : "";
    if (status.empty()) {
        out.notes.push_back("deployment_status " + util::quoted(state) +
                            ": not a finished deployment, nothing to record");
        return;
    }
    DeploymentEvent d;
    d.repository = repository;
    d.environment = json::text(ds, {"environment"});
    if (d.environment.empty()) d.environment = json::text(&payload, {"deployment", "environment"});
    d.status = status;
    d.deployed_at = time_at(ds, {"created_at"}).value_or(time_at(ds, {"updated_at"}).value_or(ctx.now));
    d.source = "deployment_status";
    d.source_id = json::text(ds, {"id"});
    d.commit_sha = json::text(&payload, {"deployment", "sha"});
    d.ref = json::text(&payload, {"deployment", "ref"});
    d.run_id = ctx.run_id;
    if (auto created = time_at(&payload, {"deployment", "created_at"}); created && *created <= d.deployed_at)
        d.duration_seconds = static_cast<double>(d.deployed_at - *created);
    if (d.source_id.empty()) d.source_id = d.commit_sha + ":" + d.environment + ":" + format_time(d.deployed_at);
    out.records.deployments.push_back(std::move(d));
}

void workflow_run(const Value& payload, std::string_view action, const std::string& repository, const EventContext& ctx,
                  EventRecords& out) {
    const Value* run = json::at(&payload, {"workflow_run"});
    if (action != "completed" || run == nullptr) {
        out.notes.push_back("workflow_run " + util::quoted(action) + ": not a finished run, nothing to record");
        return;
    }
    std::string conclusion = json::text(run, {"conclusion"});
    std::string status = conclusion == "success" ? "success"
                         : (conclusion == "failure" || conclusion == "timed_out" || conclusion == "startup_failure")
                             ? "failure"
                             : "";
    if (status.empty()) {
        out.notes.push_back("workflow_run concluded " + util::quoted(conclusion) +
                            ": neither a deployment nor a failed one, nothing to record");
        return;
    }
    std::string branch = json::text(run, {"head_branch"});
    std::string environment = ctx.environment_of ? ctx.environment_of(branch) : std::string();
    if (environment.empty()) {
        out.notes.push_back("workflow_run on branch " + util::quoted(branch) +
                            " deploys to no environment (branch mapping): nothing to record");
        return;
    }
    DeploymentEvent d;
    d.repository = repository;
    d.environment = environment;
    d.status = status;
    d.deployed_at = time_at(run, {"updated_at"}).value_or(ctx.now);
    d.source = "workflow_run";
    d.source_id = json::text(run, {"id"}) + ":" + std::to_string(json::integer(run, {"run_attempt"}).value_or(1));
    d.commit_sha = json::text(run, {"head_sha"});
    d.ref = branch;
    d.run_id = json::text(run, {"id"});
    if (auto started = time_at(run, {"run_started_at"}); started && *started <= d.deployed_at)
        d.duration_seconds = static_cast<double>(d.deployed_at - *started);
    if (auto committed = time_at(run, {"head_commit", "timestamp"}); committed && *committed <= d.deployed_at)
        d.lead_time_seconds = d.deployed_at - *committed;
    out.records.deployments.push_back(std::move(d));
}

// The oldest commit this run deploys: a push's commits, else the head commit of the payload.
std::optional<std::int64_t> oldest_commit_time(const Value* payload) {
    std::optional<std::int64_t> oldest;
    if (const Value* commits = json::at(payload, {"commits"}); commits && commits->IsArray())
        for (const auto& c : commits->GetArray())
            if (auto t = time_at(&c, {"timestamp"}); t && (!oldest || *t < *oldest)) oldest = t;
    if (!oldest) oldest = time_at(payload, {"head_commit", "timestamp"});
    if (!oldest) oldest = time_at(payload, {"workflow_run", "head_commit", "timestamp"});
    return oldest;
}

void own_deployment(const Value* payload, const std::string& repository, const EventContext& ctx, EventRecords& out) {
    const DeploymentRun& run = *ctx.deployment;
    DeploymentEvent d;
    d.repository = repository;
    d.environment = run.environment;
    d.status = run.status;
    d.deployed_at = ctx.now;
    d.source = "sbdeploy";
    d.commit_sha = ctx.sha.empty() ? json::text(payload, {"after"}) : ctx.sha;
    d.ref = ctx.ref;
    d.migrations_applied = run.applied;
    d.duration_seconds = run.duration_seconds;
    d.run_id = ctx.run_id;
    d.source_id = ctx.run_id.empty() ? d.commit_sha + ":" + run.environment
                                     : ctx.run_id + ":" + std::to_string(ctx.run_attempt) + ":" + run.environment;
    if (auto oldest = oldest_commit_time(payload); oldest && *oldest <= ctx.now)
        d.lead_time_seconds = ctx.now - *oldest;
    out.records.deployments.push_back(std::move(d));
}

} // namespace

bool is_supported_event(std::string_view event_name) {
    return std::find(kSupported.begin(), kSupported.end(), event_name) != kSupported.end();
}

EventRecords records_for_event(std::string_view event_name, const rapidjson::Value* payload, const Rules& rules,
                               const EventContext& ctx) {
    EventRecords out;
    std::string repository = ctx.repository.empty() ? json::text(payload, {"repository", "full_name"}) : ctx.repository;
    std::string action = json::text(payload, {"action"});
    if (payload != nullptr && payload->IsObject()) {
        if (event_name == "pull_request" || event_name == "pull_request_target")
            pull_request(*payload, action, rules, repository, ctx, out);
        else if (event_name == "push")
            push(*payload, repository, ctx, out);
        else if (event_name == "deployment_status")
            deployment_status(*payload, repository, ctx, out);
        else if (event_name == "workflow_run")
            workflow_run(*payload, action, repository, ctx, out);
        else if (!ctx.deployment)
            out.notes.push_back("event " + util::quoted(event_name.empty() ? "(none)" : event_name) +
                                ": nothing to record (pull_request, push, deployment_status and workflow_run are)");
    }
    if (ctx.deployment) own_deployment(payload, repository, ctx, out);
    return out;
}

void add_pull_request_history(const rapidjson::Value& pr, std::string_view repository, std::string_view run_id,
                              const Rules& rules, Records& out) {
    PrFields f = read_pr(pr);
    if (f.number <= 0 || !f.created) return;
    out.prs.push_back(pr_event(f, repository, "opened", *f.created, run_id));
    if (f.merged)
        out.prs.push_back(pr_event(f, repository, "merged", *f.merged, run_id));
    else if (f.closed)
        out.prs.push_back(pr_event(f, repository, "closed", *f.closed, run_id));
    add_rules(rules, f, repository, *f.created, run_id, out);
}

} // namespace sbdeploy::metrics
