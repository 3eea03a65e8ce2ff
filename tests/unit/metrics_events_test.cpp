// Events -> metrics rows: every payload of GitHub's webhook examples (@octokit/webhooks-
// examples 7.6.1) gives the rows its event and action call for (or a note saying why none),
// and derived payloads check the figures: cycle time, lead time, durations, keys.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <set>
#include <string>

#include "metrics/events.hpp"
#include "metrics/time.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy;
using namespace sbdeploy::metrics;

namespace {

const rapidjson::Document& examples() {
    static rapidjson::Document d = [] {
        rapidjson::Document doc;
        std::string text = test::read_all(std::string(SBDEPLOY_SOURCE_DIR) +
                                          "/tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json");
        REQUIRE_MESSAGE(!text.empty(), "run scripts/setup: tests/node_modules lacks @octokit/webhooks-examples");
        doc.Parse(text.data(), text.size());
        REQUIRE_FALSE(doc.HasParseError());
        return doc;
    }();
    return d;
}

const rapidjson::Value& example(const std::string& event, std::size_t index) {
    for (const auto& e : examples().GetArray())
        if (event == e["name"].GetString()) return e["examples"][static_cast<rapidjson::SizeType>(index)];
    FAIL("no example " << event);
    return examples();
}

Rules default_rules() {
    auto r = Rules::compile({});
    REQUIRE(r);
    return *r;
}

EventContext context() {
    EventContext c;
    c.run_id = "42";
    c.now = *parse_time("2024-06-01T00:00:00Z");
    c.environment_of = [](std::string_view branch) -> std::string {
        if (branch == "main" || branch == "master") return "production";
        if (branch == "staging") return "staging";
        return "";
    };
    return c;
}

std::string text(const rapidjson::Value& v, const char* pointer) {
    const rapidjson::Value* f = rapidjson::Pointer(pointer).Get(v);
    return f && f->IsString() ? f->GetString() : "";
}

} // namespace

TEST_CASE("metrics events: every webhook example gives the rows its event and action call for") {
    auto rules = default_rules();
    std::size_t payloads = 0;
    std::set<std::string> recorded_events;
    for (const auto& e : examples().GetArray()) {
        const std::string name = e["name"].GetString();
        for (const auto& payload : e["examples"].GetArray()) {
            ++payloads;
            const std::string action = text(payload, "/action");
            CAPTURE(name);
            CAPTURE(action);
            auto out = records_for_event(name, &payload, rules, context());
            std::size_t prs = 0, rule_rows = 0, deployments = 0;
            bool note = true;
            if (name == "pull_request") {
                bool recorded = action == "opened" || action == "reopened" || action == "ready_for_review" ||
                                action == "closed";
                prs = recorded ? 1 : 0;
                rule_rows = recorded || action == "edited" ? 3 : 0;
                note = !recorded && action != "edited";
            } else if (name == "push") {
                const auto& commits = payload["commits"];
                rule_rows = commits.Size();
                note = false;
            } else if (name == "deployment_status") {
                deployments = text(payload, "/deployment_status/state") == "success" ? 1 : 0;
                note = deployments == 0;
            } else if (name == "workflow_run") {
                deployments = action == "completed" && text(payload, "/workflow_run/conclusion") == "success" ? 1 : 0;
                note = deployments == 0;
            }
            CHECK(out.records.prs.size() == prs);
            CHECK(out.records.rules.size() == rule_rows);
            CHECK(out.records.deployments.size() == deployments);
            CHECK(out.records.tests.empty());
            CHECK(out.notes.empty() == !note);
            if (!out.records.empty()) recorded_events.insert(name);
            for (const auto& p : out.records.prs) {
                CHECK(p.repository == text(payload, "/repository/full_name"));
                CHECK(p.event_type == (action == "closed" ? "closed" : action));
                CHECK(p.run_id == "42");
            }
        }
    }
    CHECK(payloads > 300);
    CHECK(recorded_events == std::set<std::string>{"deployment_status", "pull_request", "push", "workflow_run"});
    for (const auto& e : {"pull_request", "pull_request_target", "push", "deployment_status", "workflow_run"})
        CHECK(is_supported_event(e));
    CHECK_FALSE(is_supported_event("issues"));
}

TEST_CASE("metrics events: pull request events and their timestamps") {
    auto rules = default_rules();
    rapidjson::Document pr;
    pr.CopyFrom(example("pull_request", 3), pr.GetAllocator());  // closed, not merged
    REQUIRE(text(pr, "/action") == "closed");

    SUBCASE("closed without merging: one closed row at closed_at, no cycle time") {
        auto out = records_for_event("pull_request", &pr, rules, context());
        REQUIRE(out.records.prs.size() == 1);
        const auto& e = out.records.prs[0];
        CHECK(e.event_type == "closed");
        CHECK(e.event_timestamp == *parse_time("2019-05-15T15:21:18Z"));
        CHECK(e.pr_created_at == *parse_time("2019-05-15T15:20:33Z"));
        CHECK_FALSE(e.cycle_time_seconds);
        CHECK(e.pr_number == 2);
        CHECK(e.title == "Update the README with new information.");
        CHECK(e.branch == "changes");
        CHECK(e.base_branch == "master");
        CHECK(e.author == "Codertocat");
    }
    SUBCASE("merged (derived): one merged row with the cycle time from creation to merge") {
        pr["pull_request"]["merged"].SetBool(true);
        pr["pull_request"]["merged_at"].SetString("2019-05-16T17:25:45Z", pr.GetAllocator());
        auto out = records_for_event("pull_request", &pr, rules, context());
        REQUIRE(out.records.prs.size() == 1);
        CHECK(out.records.prs[0].event_type == "merged");
        CHECK(out.records.prs[0].event_timestamp == *parse_time("2019-05-16T17:25:45Z"));
        CHECK(out.records.prs[0].cycle_time_seconds == 93912);  // 1 day, 2 h, 5 min, 12 s
        REQUIRE(out.records.rules.size() == 3);
        CHECK(out.records.rules[0].event_timestamp == *parse_time("2019-05-16T17:25:45Z"));
    }
    SUBCASE("pull_request_target is recorded as pull_request") {
        auto out = records_for_event("pull_request_target", &pr, rules, context());
        CHECK(out.records.prs.size() == 1);
    }
}

TEST_CASE("metrics events: finished deployments from deployment_status and workflow_run") {
    auto rules = default_rules();
    SUBCASE("deployment_status success") {
        auto out = records_for_event("deployment_status", &example("deployment_status", 0), rules, context());
        REQUIRE(out.records.deployments.size() == 1);
        const auto& d = out.records.deployments[0];
        CHECK(d.repository == "Codertocat/Hello-World");
        CHECK(d.environment == "production");
        CHECK(d.status == "success");
        CHECK(d.source == "deployment_status");
        CHECK(d.source_id == "209916254");
        CHECK(d.deployed_at == *parse_time("2019-05-15T15:20:55Z"));
        CHECK(d.duration_seconds == 2.0);
        CHECK(d.commit_sha == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
        CHECK(d.ref == "master");
        CHECK_FALSE(d.lead_time_seconds);
    }
    SUBCASE("deployment_status in progress: a note, no row") {
        auto out = records_for_event("deployment_status", &example("deployment_status", 1), rules, context());
        CHECK(out.records.empty());
        CHECK(out.notes == std::vector<std::string>{
                               "deployment_status \"in_progress\": not a finished deployment, nothing to record"});
    }
    SUBCASE("workflow_run completed on a branch that deploys") {
        auto out = records_for_event("workflow_run", &example("workflow_run", 1), rules, context());
        REQUIRE(out.records.deployments.size() == 1);
        const auto& d = out.records.deployments[0];
        CHECK(d.environment == "production");
        CHECK(d.source == "workflow_run");
        CHECK(d.source_id == "289782451:1");
        CHECK(d.deployed_at == *parse_time("2020-10-05T16:33:49Z"));
        CHECK(d.lead_time_seconds == 102);
        CHECK(d.commit_sha == "3484a3fb816e0859fd6e1cea078d76385ff50625");
    }
    SUBCASE("workflow_run on a branch that deploys nowhere") {
        auto ctx = context();
        ctx.environment_of = [](std::string_view) { return std::string(); };
        auto out = records_for_event("workflow_run", &example("workflow_run", 1), rules, ctx);
        CHECK(out.records.empty());
        CHECK(out.notes == std::vector<std::string>{"workflow_run on branch \"master\" deploys to no environment "
                                                    "(branch mapping): nothing to record"});
    }
}

TEST_CASE("metrics events: this run's own deployment, with lead time from the oldest commit") {
    auto rules = default_rules();
    auto ctx = context();
    ctx.now = *parse_time("2019-05-15T16:19:25Z");
    ctx.sha = "abc";
    ctx.ref = "refs/heads/master";
    ctx.run_attempt = 2;
    ctx.deployment = DeploymentRun{"failure", "production", 3, 12.5};
    auto out = records_for_event("push", &example("push", 4), rules, ctx);
    REQUIRE(out.records.deployments.size() == 1);
    const auto& d = out.records.deployments[0];
    CHECK(d.source == "sbdeploy");
    CHECK(d.source_id == "42:2:production");
    CHECK(d.status == "failure");
    CHECK(d.deployed_at == ctx.now);
    CHECK(d.lead_time_seconds == 3600);
    CHECK(d.migrations_applied == 3);
    CHECK(d.duration_seconds == 12.5);
    CHECK(d.commit_sha == "abc");
    REQUIRE(out.records.rules.size() == 1);  // "Initial commit"
    CHECK(out.records.rules[0].status == Compliance::violation);

    SUBCASE("with no event at all, only the deployment") {
        auto none = records_for_event("", nullptr, rules, ctx);
        REQUIRE(none.records.deployments.size() == 1);
        CHECK_FALSE(none.records.deployments[0].lead_time_seconds);
        CHECK(none.notes.empty());
    }
}
