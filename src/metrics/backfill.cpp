#include "metrics/backfill.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include "metrics/events.hpp"
#include "metrics/json_fields.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

using rapidjson::Value;

std::string parse_error(const rapidjson::Document& d) {
    std::string s = rapidjson::GetParseError_En(d.GetParseError());
    if (!s.empty() && s.back() == '.') s.pop_back();
    return util::to_lower(s) + " at offset " + std::to_string(d.GetErrorOffset());
}

Result<rapidjson::Document> parse(std::string_view body, std::string_view what) {
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError())
        return fail(ErrorKind::connection, "metrics backfill: " + std::string(what) + ": not JSON: " + parse_error(d),
                    "check GITHUB_API_URL: it must be the REST API's base URL");
    return d;
}

// Pull requests handed to a sink this many at a time when one array holds more.
constexpr std::size_t kPullsPerHandOver = 1'000;

Result<void> pulls_array(const Value& array, std::int64_t since, std::string_view repository, const Rules& rules,
                         PageResult& out, const RecordSink* sink) {
    std::size_t since_hand_over = 0;
    for (const auto& pr : array.GetArray()) {
        ++out.items;
        auto updated = parse_time(json::text(&pr, {"updated_at"}));
        if (updated && *updated < since) {
            out.reached_older = true;
            continue;
        }
        add_pull_request_history(pr, repository, "", rules, out.records);
        if (sink != nullptr && ++since_hand_over == kPullsPerHandOver) {
            since_hand_over = 0;
            if (auto r = (*sink)(out.records); !r) return r;
            out.records.clear();
        }
    }
    if (sink != nullptr && !out.records.empty()) {
        if (auto r = (*sink)(out.records); !r) return r;
        out.records.clear();
    }
    return {};
}

bool is_listed(const std::vector<std::string>& workflows, const Value& run) {
    std::string path = json::text(&run, {"path"});
    std::string file = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    std::string name = json::text(&run, {"name"});
    for (const auto& w : workflows)
        if (w == path || w == file || w == name) return true;
    return false;
}

} // namespace

Result<PageResult> pulls_page(std::string_view body, std::int64_t since, std::string_view repository,
                              const Rules& rules) {
    auto d = parse(body, "pull requests");
    if (!d) return fail(d.error());
    if (!d->IsArray())
        return fail(ErrorKind::connection, "metrics backfill: pull requests: the answer is not a JSON array",
                    "check GITHUB_API_URL: it must be the REST API's base URL");
    PageResult out;
    if (auto r = pulls_array(*d, since, repository, rules, out, nullptr); !r) return fail(r.error());
    return out;
}

Result<std::size_t> pulls_file(std::string_view text, std::string_view display, std::int64_t since,
                               std::string_view repository, const Rules& rules, const RecordSink& sink) {
    const std::string fix = "save the list with: gh api --paginate 'repos/OWNER/NAME/pulls?state=all' > pulls.json";
    PageResult out;
    std::size_t offset = 0;
    while (true) {
        while (offset < text.size() && util::trim(text.substr(offset, 1)).empty()) ++offset;
        if (offset >= text.size()) break;
        rapidjson::Document d;  // one per array: a document's memory only grows
        rapidjson::MemoryStream stream(text.data() + offset, text.size() - offset);
        d.ParseStream<rapidjson::kParseStopWhenDoneFlag>(stream);
        if (d.HasParseError())
            return fail(make_error(ErrorKind::input,
                                   "pull request list: not JSON: " +
                                       util::to_lower(rapidjson::GetParseError_En(d.GetParseError())) + " at offset " +
                                       std::to_string(offset + d.GetErrorOffset()),
                                   fix)
                            .at(std::string(display)));
        if (!d.IsArray())
            return fail(make_error(ErrorKind::input, "pull request list: expected JSON arrays of pull requests", fix)
                            .at(std::string(display)));
        if (auto r = pulls_array(d, since, repository, rules, out, &sink); !r) return fail(r.error());
        offset += stream.Tell();
    }
    return out.items;
}

Result<PageResult> pulls_file(std::string_view text, std::string_view display, std::int64_t since,
                              std::string_view repository, const Rules& rules) {
    PageResult out;
    auto items = pulls_file(text, display, since, repository, rules, [&](Records& records) -> Result<void> {
        out.records.append(std::move(records));
        return {};
    });
    if (!items) return fail(items.error());
    out.items = *items;
    return out;
}

Result<std::vector<DeploymentRef>> deployments_page(std::string_view body, std::int64_t since, bool& reached_older) {
    auto d = parse(body, "deployments");
    if (!d) return fail(d.error());
    if (!d->IsArray())
        return fail(ErrorKind::connection, "metrics backfill: deployments: the answer is not a JSON array");
    std::vector<DeploymentRef> out;
    for (const auto& v : d->GetArray()) {
        auto created = parse_time(json::text(&v, {"created_at"}));
        if (!created) continue;
        if (*created < since) {
            reached_older = true;
            continue;
        }
        out.push_back({json::text(&v, {"id"}), json::text(&v, {"sha"}), json::text(&v, {"ref"}),
                       json::text(&v, {"environment"}), *created});
    }
    return out;
}

Result<std::optional<DeploymentEvent>> deployment_from_statuses(std::string_view body, const DeploymentRef& dep,
                                                                std::string_view repository) {
    auto d = parse(body, "deployment statuses");
    if (!d) return fail(d.error());
    if (!d->IsArray())
        return fail(ErrorKind::connection, "metrics backfill: deployment statuses: the answer is not a JSON array");
    for (const auto& s : d->GetArray()) {
        std::string state = json::text(&s, {"state"});
        if (state != "success" && state != "failure" && state != "error") continue;
        DeploymentEvent e;
        e.repository = repository;
        e.environment = json::text(&s, {"environment"});
        if (e.environment.empty()) e.environment = dep.environment;
        e.status = state == "success" ? "success" : "failure";
        e.deployed_at = parse_time(json::text(&s, {"created_at"})).value_or(dep.created_at);
        e.source = "deployment_status";
        e.source_id = json::text(&s, {"id"});
        e.commit_sha = dep.sha;
        e.ref = dep.ref;
        if (dep.created_at <= e.deployed_at) e.duration_seconds = static_cast<double>(e.deployed_at - dep.created_at);
        if (e.source_id.empty()) continue;
        return std::optional<DeploymentEvent>(std::move(e));
    }
    return std::optional<DeploymentEvent>();
}

Result<PageResult> workflow_runs_page(std::string_view body, std::int64_t since, std::string_view repository,
                                      const std::vector<std::string>& workflows,
                                      const std::function<std::string(std::string_view)>& environment_of) {
    auto d = parse(body, "workflow runs");
    if (!d) return fail(d.error());
    const Value* runs = json::at(&*d, {"workflow_runs"});
    if (runs == nullptr || !runs->IsArray())
        return fail(ErrorKind::connection,
                    "metrics backfill: workflow runs: the answer has no \"workflow_runs\" array");
    PageResult out;
    for (const auto& run : runs->GetArray()) {
        ++out.items;
        auto created = parse_time(json::text(&run, {"created_at"}));
        if (created && *created < since) {
            out.reached_older = true;
            continue;
        }
        if (!is_listed(workflows, run) || json::text(&run, {"status"}) != "completed") continue;
        std::string conclusion = json::text(&run, {"conclusion"});
        std::string status = conclusion == "success" ? "success"
                             : (conclusion == "failure" || conclusion == "timed_out" || conclusion == "startup_failure")
                                 ? "failure"
                                 : "";
        std::string branch = json::text(&run, {"head_branch"});
        std::string environment = environment_of ? environment_of(branch) : std::string();
        if (status.empty() || environment.empty()) continue;
        DeploymentEvent e;
        e.repository = repository;
        e.environment = environment;
        e.status = status;
        e.deployed_at = parse_time(json::text(&run, {"updated_at"})).value_or(created.value_or(0));
        e.source = "workflow_run";
        e.source_id = json::text(&run, {"id"}) + ":" + std::to_string(json::integer(&run, {"run_attempt"}).value_or(1));
        e.commit_sha = json::text(&run, {"head_sha"});
        e.ref = branch;
        e.run_id = json::text(&run, {"id"});
        if (auto started = parse_time(json::text(&run, {"run_started_at"})); started && *started <= e.deployed_at)
            e.duration_seconds = static_cast<double>(e.deployed_at - *started);
        if (auto committed = parse_time(json::text(&run, {"head_commit", "timestamp"}));
            committed && *committed <= e.deployed_at)
            e.lead_time_seconds = e.deployed_at - *committed;
        out.records.deployments.push_back(std::move(e));
    }
    return out;
}

std::vector<RuleEvent> commits_from_git_log(std::string_view output, std::string_view repository) {
    std::vector<RuleEvent> out;
    for (const auto& record : util::split(output, '\x1e')) {
        std::string_view r = util::trim(record);
        if (r.empty()) continue;
        auto parts = util::split(r, '\x1f');
        if (parts.size() < 3) continue;
        auto at = parse_time(parts[1]);
        if (!at) continue;
        if (auto e = check_commit(repository, parts[0], parts[2], *at, "")) out.push_back(std::move(*e));
    }
    return out;
}

std::map<std::string, std::int64_t> commit_times(std::string_view output) {
    std::map<std::string, std::int64_t> out;
    for (const auto& line : util::split(output, '\n')) {
        auto parts = util::split(line, '\x1f');
        if (parts.size() != 2) continue;
        if (auto t = parse_time(util::trim(parts[1]))) out[std::string(util::trim(parts[0]))] = *t;
    }
    return out;
}

} // namespace sbdeploy::metrics
