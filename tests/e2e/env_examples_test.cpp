// `sbdeploy env` on every relevant payload of GitHub's own webhook examples
// (@octokit/webhooks-examples 7.6.1), and on variants DERIVED from those payloads for
// cases the examples lack (marked "derived"). For each: environment, action, reason and
// the GITHUB_OUTPUT file byte for byte. The runner sets only GITHUB_EVENT_NAME and
// GITHUB_EVENT_PATH here, so every other fact comes from the payload.
#include <set>

#include "e2e/env_harness.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

const std::string kZero = "0000000000000000000000000000000000000000";

std::string unless_zero(std::string sha) { return sha == kZero ? std::string() : sha; }

rapidjson::Document copy_of(const rapidjson::Value& v) {
    rapidjson::Document d;
    d.CopyFrom(v, d.GetAllocator());
    return d;
}

void set_string(rapidjson::Document& d, rapidjson::Value& target, const char* key, const std::string& value) {
    target[key].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), d.GetAllocator());
}

EnvOutputs push_facts(const rapidjson::Value& p) {
    EnvOutputs e;
    e.event = "push";
    e.ref = text_at(p, "/ref");
    e.branch = e.ref.starts_with("refs/heads/") ? e.ref.substr(11) : "";
    e.base_sha = unless_zero(text_at(p, "/before"));
    e.head_sha = unless_zero(text_at(p, "/after"));
    e.sha = e.head_sha;
    e.repository = text_at(p, "/repository/full_name");
    return e;
}

EnvOutputs pull_request_facts(const rapidjson::Value& p) {
    EnvOutputs e;
    e.event = "pull_request";
    e.pr_number = std::to_string(p["pull_request"]["number"].GetInt());
    e.ref = "refs/pull/" + e.pr_number + "/merge";
    e.branch = text_at(p, "/pull_request/head/ref");
    e.base_ref = text_at(p, "/pull_request/base/ref");
    e.base_sha = text_at(p, "/pull_request/base/sha");
    e.head_sha = text_at(p, "/pull_request/head/sha");
    std::string merge = text_at(p, "/pull_request/merge_commit_sha");
    e.sha = merge.empty() ? e.head_sha : merge;
    e.repository = text_at(p, "/repository/full_name");
    return e;
}

void expect(EnvOutputs& e, std::string environment, std::string action, std::string reason) {
    e.environment = std::move(environment);
    e.action = std::move(action);
    e.reason = std::move(reason);
}

} // namespace

TEST_CASE("push examples: branch pushes deploy, tag pushes and deletions do not") {
    auto examples = examples_of("push");
    CHECK(examples.size() == 7);
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& p = *examples[i];
        CAPTURE(i);
        auto e = push_facts(p);
        bool deleted = p["deleted"].GetBool();
        if (deleted)
            expect(e, "", "none", "tag \"simple-tag\" was deleted, nothing to deploy");
        else if (e.ref == "refs/tags/simple-tag")
            expect(e, "", "none", "push of tag \"simple-tag\" deploys nothing");
        else if (e.ref == "refs/heads/master")
            expect(e, "production", "push", "push to \"master\" maps to production");
        else
            FAIL("an example this test does not know: " << e.ref);
        check_outputs(run_env("push", to_json(p)), e);
    }
}

TEST_CASE("push derived: to staging, and deletion of a branch") {
    const auto& original = *examples_of("push")[4];  // refs/heads/master, created
    SUBCASE("derived: push to refs/heads/staging") {
        auto d = copy_of(original);
        set_string(d, d, "ref", "refs/heads/staging");
        set_string(d, d, "before", "9049f1265b7d61be4a8904a9a27120d2064dab3b");
        d["created"].SetBool(false);
        auto e = push_facts(d);
        expect(e, "staging", "push", "push to \"staging\" maps to staging");
        auto r = run_env("push", to_json(d));
        check_outputs(r, e);
        CHECK(r.out == "push to \"staging\" -> staging: push (push to \"staging\" maps to staging)\n");
        CHECK(r.summary_file ==
              "**sbdeploy env**: push to \"staging\" -> **staging**: push (push to \"staging\" maps to staging)\n");
    }
    SUBCASE("derived: deletion of refs/heads/x") {
        auto d = copy_of(*examples_of("push")[1]);  // a deletion
        set_string(d, d, "ref", "refs/heads/x");
        auto e = push_facts(d);
        CHECK(e.head_sha == "");
        expect(e, "", "none", "branch \"x\" was deleted, nothing to deploy");
        auto r = run_env("push", to_json(d));
        check_outputs(r, e);
        CHECK(r.out == "deletion of branch \"x\" -> none (branch \"x\" was deleted, nothing to deploy)\n");
    }
}

TEST_CASE("pull_request examples validate against staging unless closed") {
    auto examples = examples_of("pull_request");
    CHECK(examples.size() == 29);
    const std::set<std::string> validated = {
        "assigned", "converted_to_draft",     "labeled",          "locked",      "opened",     "ready_for_review",
        "reopened", "review_request_removed", "review_requested", "synchronize", "unassigned", "unlabeled",
        "unlocked"};
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& p = *examples[i];
        std::string action = text_at(p, "/action");
        CAPTURE(i);
        CAPTURE(action);
        auto e = pull_request_facts(p);
        if (action == "closed")
            expect(e, "", "none", "pull request #2 was closed without merging");
        else if (validated.contains(action))
            expect(e, "staging", "validate", "pull request #2 into \"master\" validates against staging");
        else
            FAIL("an example this test does not know: " << action);
        check_outputs(run_env("pull_request", to_json(p)), e);
    }
}

TEST_CASE("pull_request derived: merged, from a fork, into staging") {
    SUBCASE("derived: a merged pull request (closed, merged=true) leaves it to the push") {
        auto d = copy_of(*examples_of("pull_request")[3]);  // closed
        d["pull_request"]["merged"].SetBool(true);
        d["pull_request"]["merged_at"].SetString("2019-05-15T15:25:00Z");
        auto e = pull_request_facts(d);
        expect(e, "", "none", "pull request #2 was merged: the push to \"master\" deploys it");
        auto r = run_env("pull_request", to_json(d));
        check_outputs(r, e);
        CHECK(r.out ==
              "pull_request #2 from \"changes\" into \"master\" -> none (pull request #2 was merged: the push to "
              "\"master\" deploys it)\n");
    }
    SUBCASE("derived: a pull request from a fork") {
        auto d = copy_of(*examples_of("pull_request")[0]);  // opened
        set_string(d, d["pull_request"]["head"]["repo"], "full_name", "octocat/Hello-World");
        auto e = pull_request_facts(d);
        e.fork = "true";
        expect(e, "staging", "validate", "pull request #2 into \"master\" validates against staging");
        check_outputs(run_env("pull_request", to_json(d)), e);
    }
    SUBCASE("derived: a pull request whose fork was deleted (head.repo null)") {
        auto d = copy_of(*examples_of("pull_request")[0]);
        d["pull_request"]["head"]["repo"].SetNull();
        auto e = pull_request_facts(d);
        e.fork = "true";
        expect(e, "staging", "validate", "pull request #2 into \"master\" validates against staging");
        check_outputs(run_env("pull_request", to_json(d)), e);
    }
    SUBCASE("derived: a pull request into staging") {
        auto d = copy_of(*examples_of("pull_request")[22]);  // synchronize
        set_string(d, d["pull_request"]["base"], "ref", "staging");
        auto e = pull_request_facts(d);
        expect(e, "staging", "validate", "pull request #2 into \"staging\" validates against staging");
        auto r = run_env("pull_request", to_json(d));
        check_outputs(r, e);
        CHECK(r.out == "pull_request #2 from \"changes\" into \"staging\" -> staging: validate (pull request #2 into "
                       "\"staging\" validates against staging)\n");
    }
    SUBCASE("the same payload as pull_request_target") {
        auto e = pull_request_facts(*examples_of("pull_request")[0]);
        e.event = "pull_request_target";
        expect(e, "staging", "validate", "pull request #2 into \"master\" validates against staging");
        check_outputs(run_env("pull_request_target", to_json(*examples_of("pull_request")[0])), e);
    }
}

TEST_CASE("workflow_dispatch examples: the environment input decides") {
    auto examples = examples_of("workflow_dispatch");
    CHECK(examples.size() == 2);
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& p = *examples[i];
        CAPTURE(i);
        EnvOutputs e;
        e.event = "workflow_dispatch";
        e.ref = text_at(p, "/ref");
        e.branch = e.ref.substr(11);
        e.repository = text_at(p, "/repository/full_name");
        expect(e, "", "none", "workflow_dispatch gives no environment: set the \"environment\" input or --environment");
        check_outputs(run_env("workflow_dispatch", to_json(p)), e);

        // derived: with the input environment=staging
        auto d = copy_of(p);
        d["inputs"].AddMember("environment", "staging", d.GetAllocator());
        expect(e, "staging", "push", "workflow_dispatch input \"environment\" selects staging");
        check_outputs(run_env("workflow_dispatch", to_json(d)), e);
        // --environment wins over the input
        expect(e, "production", "push", "--environment selects production");
        check_outputs(run_env("workflow_dispatch", to_json(d), {}, {"--environment", "production"}), e);
    }
}

TEST_CASE("workflow_run examples map to no environment") {
    auto examples = examples_of("workflow_run");
    CHECK(examples.size() == 5);
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& p = *examples[i];
        CAPTURE(i);
        EnvOutputs e;
        e.event = "workflow_run";
        e.ref = "refs/heads/" + text_at(p, "/repository/default_branch");
        e.branch = text_at(p, "/workflow_run/head_branch");
        e.head_sha = text_at(p, "/workflow_run/head_sha");
        e.sha = e.head_sha;
        e.repository = text_at(p, "/repository/full_name");
        expect(e, "", "none", "event \"workflow_run\" on \"" + e.branch + "\" maps to no environment");
        check_outputs(run_env("workflow_run", to_json(p)), e);
    }
}

TEST_CASE("merge_group examples validate against staging") {
    auto examples = examples_of("merge_group");
    CHECK(examples.size() == 2);
    for (std::size_t i = 0; i < examples.size(); ++i) {
        const auto& p = *examples[i];
        CAPTURE(i);
        EnvOutputs e;
        e.event = "merge_group";
        e.ref = text_at(p, "/merge_group/head_ref");
        e.branch = e.ref.substr(11);
        e.base_ref = "main";
        e.base_sha = text_at(p, "/merge_group/base_sha");
        e.head_sha = text_at(p, "/merge_group/head_sha");
        e.sha = e.head_sha;
        e.repository = text_at(p, "/repository/full_name");
        expect(e, "staging", "validate", "merge group into \"main\" validates against staging");
        check_outputs(run_env("merge_group", to_json(p)), e);
    }
}

TEST_CASE("create and delete examples (tags) deploy nothing") {
    for (const char* event : {"create", "delete"}) {
        auto examples = examples_of(event);
        CHECK(examples.size() == (std::string(event) == "create" ? 5 : 4));
        for (std::size_t i = 0; i < examples.size(); ++i) {
            const auto& p = *examples[i];
            CAPTURE(event);
            CAPTURE(i);
            EnvOutputs e;
            e.event = event;
            e.ref = "refs/tags/simple-tag";
            e.repository = text_at(p, "/repository/full_name");
            if (std::string(event) == "create")
                expect(e, "", "none", "event \"create\" maps to no environment");
            else
                expect(e, "", "none", "tag \"simple-tag\" was deleted, nothing to deploy");
            check_outputs(run_env(event, to_json(p)), e);
        }
    }
}

TEST_CASE("deployment_status examples map to no environment") {
    for (const auto* p : examples_of("deployment_status")) {
        EnvOutputs e;
        e.event = "deployment_status";
        e.repository = text_at(*p, "/repository/full_name");
        expect(e, "", "none", "event \"deployment_status\" maps to no environment");
        check_outputs(run_env("deployment_status", to_json(*p)), e);
    }
}

TEST_CASE("the runner's variables win over the payload for ref, sha and repository") {
    const auto& p = *examples_of("pull_request")[0];
    auto e = pull_request_facts(p);
    e.ref = "refs/pull/2/merge";
    e.sha = "5b2d0b53c4e8ae7d2a4d7c0f0e5ad5a8b4b6a3f1";
    e.repository = "Codertocat/Hello-World-renamed";
    expect(e, "staging", "validate", "pull request #2 into \"master\" validates against staging");
    check_outputs(run_env("pull_request", to_json(p),
                          {{"GITHUB_REF", e.ref},
                           {"GITHUB_SHA", e.sha},
                           {"GITHUB_REPOSITORY", e.repository},
                           {"GITHUB_HEAD_REF", "changes"},
                           {"GITHUB_BASE_REF", "master"}}),
                  e);
}
