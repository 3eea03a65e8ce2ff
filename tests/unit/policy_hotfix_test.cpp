// The promotion gate's hotfix route: which pull requests are hotfixes, which unpromoted
// migrations they let through, the exact warning and refusal texts; the guard's label; the
// labels of a real webhook payload; GitHub's pulls-of-a-commit answer.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <sstream>

#include "github/commit_pulls.hpp"
#include "github/event.hpp"
#include "policy/hotfix.hpp"
#include "policy/pr_guard.hpp"

using namespace sbdeploy::policy;

namespace {

const std::vector<std::string> kNone;
const std::vector<std::string> kLabels{"urgent", "hotfix"};

std::vector<Unpromoted> gaps() {
    return {{"20240101000002", "note", Gap::not_applied}, {"20240101000003", "extra", Gap::different_statements}};
}

HotfixRoute hotfix_with(std::vector<std::string> versions) {
    return {HotfixPull{12, "hotfix/note", "a hotfix branch (\"hotfix/*\")", std::move(versions)}, {}};
}

} // namespace

TEST_CASE("hotfix: a hotfix branch, or the hotfix label") {
    CHECK(hotfix_reason("hotfix/note", false, kNone, "hotfix/*") == "a hotfix branch (\"hotfix/*\")");
    CHECK(hotfix_reason("fix-note", false, kLabels, "hotfix/*") == "a pull request labelled \"hotfix\"");
    CHECK_FALSE(hotfix_reason("feature/note", false, kNone, "hotfix/*"));
    CHECK_FALSE(hotfix_reason("hotfix/a/b", false, kNone, "hotfix/*"));
    CHECK_FALSE(hotfix_reason("hotfix/note", false, kNone, ""));
    // A fork's branch name proves nothing; a label (set by maintainers) does.
    CHECK_FALSE(hotfix_reason("hotfix/note", true, kNone, "hotfix/*"));
    CHECK(hotfix_reason("hotfix/note", true, kLabels, "hotfix/*") == "a pull request labelled \"hotfix\"");
}

TEST_CASE("hotfix: only the pull request's migrations pass the gate") {
    const auto all = gaps();
    SUBCASE("it brought both") {
        auto d = decide(all, hotfix_with({"20240101000002", "20240101000003"}));
        CHECK(d.hotfixed.size() == 2);
        CHECK(d.refused.empty());
    }
    SUBCASE("it brought one") {
        auto d = decide(all, hotfix_with({"20240101000002"}));
        REQUIRE(d.hotfixed.size() == 1);
        CHECK(d.hotfixed[0].version == "20240101000002");
        REQUIRE(d.refused.size() == 1);
        CHECK(d.refused[0].version == "20240101000003");
    }
    SUBCASE("no hotfix pull request") {
        auto d = decide(all, HotfixRoute{std::nullopt, "no token"});
        CHECK(d.hotfixed.empty());
        CHECK(d.refused.size() == 2);
    }
}

TEST_CASE("hotfix: the warning names the branch to merge back, the refusal why the route did not cover the rest") {
    auto route = hotfix_with({"20240101000002"});
    auto d = decide(gaps(), route);
    CHECK(hotfix_warning(d.hotfixed, *route.pull, "staging", "production", "staging") ==
          "promotion gate: hotfix route: pull request #12 from \"hotfix/note\" (a hotfix branch (\"hotfix/*\")) brings "
          "1 migration to production that did not run on staging first: 20240101000002_note (not applied on staging); "
          "staging must get the same migrations: merge \"hotfix/note\" into \"staging\"");
    auto e = gate_refusal(d.refused, route, "staging", "production");
    CHECK(e.message == "promotion gate: 1 migration pending for production did not run on staging first: "
                       "20240101000003_extra (applied on staging with different statements); the hotfix route covers "
                       "only what pull request #12 from \"hotfix/note\" brought (20240101000002)");
    CHECK(e.hint == refusal(d.refused, "staging", "production").hint);
    auto none = gate_refusal(gaps(),
                             HotfixRoute{std::nullopt, "commit 2222222 is in no merged pull request into \"main\""},
                             "staging", "production");
    CHECK(none.message.ends_with("; the hotfix route did not apply: commit 2222222 is in no merged pull request into "
                                 "\"main\""));
    // No pull request to look for (a workflow_dispatch): the plain refusal.
    CHECK(gate_refusal(gaps(), HotfixRoute{}, "staging", "production").message ==
          refusal(gaps(), "staging", "production").message);
}

TEST_CASE("hotfix: the pull request guard lets a labelled pull request into main") {
    auto rules = guard_rules(default_mapping(), "production", "staging", "hotfix/*");
    auto d = check_pull_request(PullRequestRef{5, "fix-note", "main", false, {"hotfix"}}, rules);
    CHECK(d.verdict == GuardVerdict::allowed);
    CHECK(d.reason == "pull request #5 from \"fix-note\" into \"main\": a pull request labelled \"hotfix\" may merge "
                      "into production");
    CHECK(check_pull_request(PullRequestRef{5, "fix-note", "main", false, {"bug"}}, rules).verdict ==
          GuardVerdict::refused);
}

TEST_CASE("hotfix: labels are read from a real pull_request payload") {
    std::ifstream in(std::string(SBDEPLOY_SOURCE_DIR) + "/tests/node_modules/@octokit/webhooks-examples/api.github.com/"
                                                        "index.json");
    REQUIRE_MESSAGE(in.good(), "run scripts/setup: tests/node_modules lacks @octokit/webhooks-examples");
    std::ostringstream text;
    text << in.rdbuf();
    rapidjson::Document index;
    index.Parse(text.str().c_str());
    REQUIRE(index.IsArray());
    // GitHub's "labeled" example: one label, "bug".
    std::string payload;
    for (const auto& kind : index.GetArray())
        if (kind["name"] == "pull_request")
            for (const auto& example : kind["examples"].GetArray())
                if (payload.empty() && example["action"] == "labeled") {
                    rapidjson::StringBuffer buf;
                    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
                    example.Accept(w);
                    payload = buf.GetString();
                }
    REQUIRE(!payload.empty());
    auto event = sbdeploy::github::parse_event(payload, "pull_request");
    REQUIRE(event);
    REQUIRE(event->pull_request);
    CHECK(event->pull_request->labels == std::vector<std::string>{"bug"});
}

TEST_CASE("hotfix: GitHub's pull requests of a commit") {
    auto pulls = sbdeploy::github::parse_associated_pulls(R"([
      {"number": 12, "state": "closed", "labels": [{"id": 1, "name": "hotfix"}], "merged_at": "2025-01-02T10:00:00Z",
       "merge_commit_sha": "2222222222222222222222222222222222222222",
       "head": {"ref": "hotfix/note", "repo": {"full_name": "acme/app"}},
       "base": {"ref": "main", "repo": {"full_name": "acme/app"}}},
      {"number": 13, "state": "open", "labels": [], "merged_at": null, "merge_commit_sha": null,
       "head": {"ref": "feature/x", "repo": null}, "base": {"ref": "staging", "repo": {"full_name": "acme/app"}}}])");
    REQUIRE(pulls);
    REQUIRE(pulls->size() == 2);
    const auto& a = (*pulls)[0];
    CHECK(a.number == 12);
    CHECK(a.head_ref == "hotfix/note");
    CHECK(a.base_ref == "main");
    CHECK(a.merged);
    CHECK(a.merge_commit_sha == "2222222222222222222222222222222222222222");
    CHECK_FALSE(a.fork);
    CHECK(a.labels == std::vector<std::string>{"hotfix"});
    const auto& b = (*pulls)[1];
    CHECK_FALSE(b.merged);
    CHECK(b.fork);  // head.repo null: a deleted fork
    auto bad = sbdeploy::github::parse_associated_pulls(R"({"message": "Not Found"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "github api: unexpected response: the pull requests of a commit are not a JSON array");
}
