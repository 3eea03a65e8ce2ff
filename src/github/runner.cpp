#include "github/runner.hpp"

#include <charconv>

namespace sbdeploy::github {

RunnerContext RunnerContext::from(const util::Environment& env) {
    RunnerContext c;
    c.actions = env.get_or("GITHUB_ACTIONS", "") == "true";
    c.debug = env.get_or("RUNNER_DEBUG", "") == "1";
    c.event_name = env.get_or("GITHUB_EVENT_NAME", "");
    c.event_path = env.get_or("GITHUB_EVENT_PATH", "");
    c.ref = env.get_or("GITHUB_REF", "");
    c.ref_name = env.get_or("GITHUB_REF_NAME", "");
    c.ref_type = env.get_or("GITHUB_REF_TYPE", "");
    c.head_ref = env.get_or("GITHUB_HEAD_REF", "");
    c.base_ref = env.get_or("GITHUB_BASE_REF", "");
    c.sha = env.get_or("GITHUB_SHA", "");
    c.repository = env.get_or("GITHUB_REPOSITORY", "");
    c.workspace = env.get_or("GITHUB_WORKSPACE", "");
    c.run_id = env.get_or("GITHUB_RUN_ID", "");
    c.run_attempt = env.get_or("GITHUB_RUN_ATTEMPT", "");
    c.api_url = env.get_or("GITHUB_API_URL", "https://api.github.com");
    c.server_url = env.get_or("GITHUB_SERVER_URL", "https://github.com");
    c.output_path = env.get_or("GITHUB_OUTPUT", "");
    c.step_summary_path = env.get_or("GITHUB_STEP_SUMMARY", "");
    c.env_path = env.get_or("GITHUB_ENV", "");
    return c;
}

Result<Event> load_event(const RunnerContext& ctx, const std::string& event_path) {
    if (!event_path.empty()) return read_event(event_path, ctx.event_name);
    Event e;
    e.name = ctx.event_name;
    e.ref = ctx.ref;
    return e;
}

bool is_null_sha(std::string_view sha) { return !sha.empty() && sha.find_first_not_of('0') == std::string_view::npos; }

namespace {

std::string unless_null(const std::string& sha) { return is_null_sha(sha) ? std::string() : sha; }

// "refs/pull/2/merge" -> 2
std::optional<long> pr_number_of(std::string_view ref) {
    constexpr std::string_view prefix = "refs/pull/";
    if (!ref.starts_with(prefix)) return std::nullopt;
    ref.remove_prefix(prefix.size());
    long n = 0;
    auto [ptr, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), n);
    if (ec != std::errc() || n <= 0 || ptr == ref.data() || (ptr != ref.data() + ref.size() && *ptr != '/'))
        return std::nullopt;
    return n;
}

} // namespace

RunFacts run_facts(const RunnerContext& ctx, const Event& event) {
    RunFacts f;
    f.event = event.name;
    f.action = event.action;
    f.repository = ctx.repository.empty() ? event.repository : ctx.repository;
    f.inputs = event.inputs;
    std::string derived_ref;
    std::string derived_sha;

    // The payload's objects are read for the event they belong to: other events embed
    // them too (a deployment_status carries its workflow_run).
    const bool pull_request_event = event.name.starts_with("pull_request");
    if (pull_request_event && event.pull_request) {
        const PullRequest& pr = *event.pull_request;
        if (pr.number > 0) f.pr_number = pr.number;
        f.branch = pr.head_ref;
        f.base_ref = pr.base_ref;
        f.base_sha = pr.base_sha;
        f.head_sha = pr.head_sha;
        f.fork = pr.fork;
        f.merged = pr.merged;
        f.labels = pr.labels;
        if (pr.number > 0) derived_ref = "refs/pull/" + std::to_string(pr.number) + "/merge";
        derived_sha = pr.merge_commit_sha.empty() ? pr.head_sha : pr.merge_commit_sha;
    } else if (event.name == "merge_group" && event.merge_group) {
        const MergeGroup& mg = *event.merge_group;
        f.branch = branch_of(mg.head_ref);
        f.base_ref = branch_of(mg.base_ref);
        f.base_sha = mg.base_sha;
        f.head_sha = mg.head_sha;
        f.ref_type = "branch";
        derived_ref = mg.head_ref;
        derived_sha = mg.head_sha;
    } else if (event.name == "workflow_run" && event.workflow_run) {
        f.branch = event.workflow_run->head_branch;
        f.head_sha = event.workflow_run->head_sha;
        if (!event.default_branch.empty()) derived_ref = "refs/heads/" + event.default_branch;
        derived_sha = event.workflow_run->head_sha;
    } else if (event.name == "create" || event.name == "delete") {
        // These payloads carry the short name and its type, not a full ref.
        f.ref_type = event.ref_type;
        (event.ref_type == "tag" ? f.tag : f.branch) = event.ref;
        f.deleted = event.name == "delete";
        if (!event.ref.empty()) derived_ref = (event.ref_type == "tag" ? "refs/tags/" : "refs/heads/") + event.ref;
    } else {
        // push, workflow_dispatch and the rest: the payload's full ref, else GITHUB_REF.
        const std::string& ref = event.ref.empty() ? ctx.ref : event.ref;
        f.branch = branch_of(ref);
        f.tag = tag_of(ref);
        f.ref_type = !f.branch.empty() ? "branch" : !f.tag.empty() ? "tag" : "";
        derived_ref = ref;
        if (event.name == "push") {
            f.base_sha = unless_null(event.before);
            f.head_sha = unless_null(event.after);
            f.deleted = event.deleted || is_null_sha(event.after);
            derived_sha = f.head_sha;
        }
    }

    f.ref = ctx.ref.empty() ? derived_ref : ctx.ref;
    f.sha = ctx.sha.empty() ? derived_sha : ctx.sha;
    // Without a payload (terminal use), the variables are all there is.
    if (f.ref_type.empty()) f.ref_type = ctx.ref_type;
    if (f.base_ref.empty()) f.base_ref = ctx.base_ref;
    if (f.branch.empty() && f.tag.empty()) {
        if (!ctx.head_ref.empty())
            f.branch = ctx.head_ref;
        else if (f.ref_type == "tag")
            f.tag = tag_of(f.ref).empty() ? ctx.ref_name : tag_of(f.ref);
        else
            f.branch = branch_of(f.ref);
    }
    if (!f.pr_number) f.pr_number = pr_number_of(f.ref);
    return f;
}

} // namespace sbdeploy::github
