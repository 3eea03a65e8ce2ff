// The runner context from GITHUB_* variables, and the facts of a run derived from the
// payload first and the variables where the payload is silent.
#include <doctest/doctest.h>

#include "github/runner.hpp"

using namespace sbdeploy;
using namespace sbdeploy::github;

namespace {

Event parsed(std::string_view json, std::string_view name) {
    auto e = parse_event(json, name);
    REQUIRE(e);
    return *e;
}

const std::string kZero = "0000000000000000000000000000000000000000";

} // namespace

TEST_CASE("RunnerContext reads every GITHUB_* variable of a run") {
    util::Environment env({{"GITHUB_ACTIONS", "true"},
                           {"GITHUB_EVENT_NAME", "pull_request"},
                           {"GITHUB_EVENT_PATH", "/e.json"},
                           {"GITHUB_REF", "refs/pull/2/merge"},
                           {"GITHUB_REF_NAME", "2/merge"},
                           {"GITHUB_REF_TYPE", "branch"},
                           {"GITHUB_HEAD_REF", "feature"},
                           {"GITHUB_BASE_REF", "staging"},
                           {"GITHUB_SHA", "abc"},
                           {"GITHUB_REPOSITORY", "octo/app"},
                           {"GITHUB_WORKSPACE", "/w"},
                           {"GITHUB_RUN_ID", "42"},
                           {"GITHUB_RUN_ATTEMPT", "2"},
                           {"GITHUB_API_URL", "https://ghe.example/api/v3"},
                           {"GITHUB_SERVER_URL", "https://ghe.example"},
                           {"GITHUB_OUTPUT", "/o"},
                           {"GITHUB_STEP_SUMMARY", "/s"},
                           {"GITHUB_ENV", "/env"},
                           {"RUNNER_DEBUG", "1"}});
    auto c = RunnerContext::from(env);
    CHECK(c.actions);
    CHECK(c.debug);
    CHECK(c.event_name == "pull_request");
    CHECK(c.event_path == "/e.json");
    CHECK(c.ref == "refs/pull/2/merge");
    CHECK(c.ref_name == "2/merge");
    CHECK(c.ref_type == "branch");
    CHECK(c.head_ref == "feature");
    CHECK(c.base_ref == "staging");
    CHECK(c.sha == "abc");
    CHECK(c.repository == "octo/app");
    CHECK(c.workspace == "/w");
    CHECK(c.run_id == "42");
    CHECK(c.run_attempt == "2");
    CHECK(c.api_url == "https://ghe.example/api/v3");
    CHECK(c.server_url == "https://ghe.example");
    CHECK(c.output_path == "/o");
    CHECK(c.step_summary_path == "/s");
    CHECK(c.env_path == "/env");

    SUBCASE("outside Actions: defaults") {
        auto t = RunnerContext::from(util::Environment({{"GITHUB_ACTIONS", "false"}, {"RUNNER_DEBUG", "0"}}));
        CHECK_FALSE(t.actions);
        CHECK_FALSE(t.debug);
        CHECK(t.api_url == "https://api.github.com");
        CHECK(t.server_url == "https://github.com");
        CHECK(t.event_name.empty());
    }
}

TEST_CASE("load_event without a payload uses the variables alone") {
    RunnerContext c;
    c.event_name = "push";
    c.ref = "refs/heads/staging";
    auto e = load_event(c, "");
    REQUIRE(e);
    CHECK(e->name == "push");
    CHECK(e->ref == "refs/heads/staging");
    CHECK_FALSE(e->document);
    auto f = run_facts(c, *e);
    CHECK(f.branch == "staging");
    CHECK(f.ref_type == "branch");

    SUBCASE("nothing at all: an empty event") {
        auto empty = load_event(RunnerContext{}, "");
        REQUIRE(empty);
        auto g = run_facts(RunnerContext{}, *empty);
        CHECK(g.event.empty());
        CHECK(g.ref.empty());
        CHECK(g.branch.empty());
    }
    SUBCASE("a pull request from the variables") {
        RunnerContext p;
        p.event_name = "pull_request";
        p.ref = "refs/pull/12/merge";
        p.head_ref = "feature";
        p.base_ref = "staging";
        auto g = run_facts(p, *load_event(p, ""));
        CHECK(g.pr_number == 12);
        CHECK(g.branch == "feature");
        CHECK(g.base_ref == "staging");
    }
    SUBCASE("a missing payload file is an error naming it") {
        auto bad = load_event(c, "/nonexistent/event.json");
        REQUIRE_FALSE(bad);
        CHECK(bad.error().file == "/nonexistent/event.json");
    }
}

TEST_CASE("run facts of a push") {
    RunnerContext c;
    auto e = parsed(R"({"ref": "refs/heads/main", "before": "b1", "after": "a2",
        "repository": {"full_name": "octo/app"}})",
                    "push");
    auto f = run_facts(c, e);
    CHECK(f.event == "push");
    CHECK(f.ref == "refs/heads/main");
    CHECK(f.ref_type == "branch");
    CHECK(f.branch == "main");
    CHECK(f.tag.empty());
    CHECK(f.base_sha == "b1");
    CHECK(f.head_sha == "a2");
    CHECK(f.sha == "a2");
    CHECK(f.repository == "octo/app");
    CHECK_FALSE(f.pr_number);
    CHECK_FALSE(f.deleted);

    SUBCASE("the variables win for ref, sha and repository") {
        c.ref = "refs/heads/main";
        c.sha = "runner-sha";
        c.repository = "octo/renamed";
        auto g = run_facts(c, e);
        CHECK(g.sha == "runner-sha");
        CHECK(g.repository == "octo/renamed");
    }
    SUBCASE("a new branch has no base, a deleted one no head") {
        auto created = run_facts(c, parsed(R"({"ref": "refs/heads/x", "before": ")" + kZero +
                                               R"(", "after": "a2", "created": true})",
                                           "push"));
        CHECK(created.base_sha.empty());
        CHECK(created.head_sha == "a2");
        auto deleted = run_facts(c, parsed(R"({"ref": "refs/heads/x", "before": "b1", "after": ")" + kZero +
                                               R"(", "deleted": true})",
                                           "push"));
        CHECK(deleted.deleted);
        CHECK(deleted.base_sha == "b1");
        CHECK(deleted.head_sha.empty());
        CHECK(deleted.sha.empty());
    }
    SUBCASE("a tag") {
        auto tag =
            run_facts(c, parsed(R"({"ref": "refs/tags/v1.0", "before": ")" + kZero + R"(", "after": "a2"})", "push"));
        CHECK(tag.ref_type == "tag");
        CHECK(tag.tag == "v1.0");
        CHECK(tag.branch.empty());
    }
}

TEST_CASE("run facts of a pull request") {
    RunnerContext c;
    auto e = parsed(R"({"action": "opened", "pull_request": {"number": 2, "merged": false, "merge_commit_sha": null,
        "base": {"ref": "staging", "sha": "bs", "repo": {"full_name": "octo/app"}},
        "head": {"ref": "feature", "sha": "hs", "repo": {"full_name": "mona/app"}}},
        "repository": {"full_name": "octo/app"}})",
                    "pull_request");
    auto f = run_facts(c, e);
    CHECK(f.action == "opened");
    CHECK(f.pr_number == 2);
    CHECK(f.ref == "refs/pull/2/merge");
    CHECK(f.branch == "feature");
    CHECK(f.base_ref == "staging");
    CHECK(f.base_sha == "bs");
    CHECK(f.head_sha == "hs");
    CHECK(f.sha == "hs");
    CHECK(f.fork);
    CHECK_FALSE(f.merged);
}

TEST_CASE("run facts of merge groups, workflow runs, create and delete") {
    RunnerContext c;
    SUBCASE("merge_group") {
        auto f =
            run_facts(c, parsed(R"({"merge_group": {"base_sha": "b", "head_sha": "h", "base_ref": "refs/heads/main",
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-abc"}})",
                                "merge_group"));
        CHECK(f.base_ref == "main");
        CHECK(f.branch == "gh-readonly-queue/main/pr-1-abc");
        CHECK(f.ref == "refs/heads/gh-readonly-queue/main/pr-1-abc");
        CHECK(f.base_sha == "b");
        CHECK(f.head_sha == "h");
        CHECK(f.sha == "h");
    }
    SUBCASE("workflow_run") {
        auto f = run_facts(c, parsed(R"({"workflow_run": {"head_branch": "develop", "head_sha": "h"},
            "repository": {"default_branch": "main"}})",
                                     "workflow_run"));
        CHECK(f.branch == "develop");
        CHECK(f.ref == "refs/heads/main");
        CHECK(f.sha == "h");
    }
    SUBCASE("delete of a tag") {
        auto f = run_facts(c, parsed(R"({"ref": "v1", "ref_type": "tag"})", "delete"));
        CHECK(f.deleted);
        CHECK(f.tag == "v1");
        CHECK(f.branch.empty());
        CHECK(f.ref == "refs/tags/v1");
    }
    SUBCASE("create of a branch") {
        auto f = run_facts(c, parsed(R"({"ref": "x", "ref_type": "branch", "master_branch": "main"})", "create"));
        CHECK_FALSE(f.deleted);
        CHECK(f.branch == "x");
        CHECK(f.ref == "refs/heads/x");
    }
}

TEST_CASE("is_null_sha") {
    CHECK(is_null_sha(kZero));
    CHECK_FALSE(is_null_sha(""));
    CHECK_FALSE(is_null_sha("0000a"));
}
