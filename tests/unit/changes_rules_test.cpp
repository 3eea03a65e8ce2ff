// The base rule per event (pure): which rule each event and payload takes, why nothing is
// compared for tags and deletions, and what the GitHub API is asked for the same comparison.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "changes/base.hpp"

using namespace sbdeploy;
using changes::ApiQuery;
using changes::Request;
using changes::Rule;

namespace {

const std::string kZeros(40, '0');
const std::string A(40, 'a');
const std::string B(40, 'b');

Request push(std::string before, std::string ref = "refs/heads/main") {
    Request r;
    r.event = "push";
    r.ref = std::move(ref);
    r.branch = "main";
    r.before = std::move(before);
    r.after = B;
    r.sha = B;
    r.default_branch = "main";
    return r;
}

} // namespace

TEST_CASE("rules: the base rule per event") {
    CHECK(changes::choose_rule(push(A)) == Rule::push);
    CHECK(changes::choose_rule(push(kZeros)) == Rule::new_branch);
    CHECK(changes::choose_rule(push(A, "refs/tags/v1")) == Rule::nothing);
    CHECK(changes::choose_rule(push("")) == Rule::default_branch);  // a push without its payload
    Request deleted = push(A);
    deleted.deleted = true;
    CHECK(changes::choose_rule(deleted) == Rule::nothing);

    Request pr;
    pr.event = "pull_request_target";
    pr.pr_head_sha = B;
    CHECK(changes::choose_rule(pr) == Rule::pull_request);

    Request group;
    group.event = "merge_group";
    group.group_base_sha = A;
    group.group_head_sha = B;
    CHECK(changes::choose_rule(group) == Rule::merge_group);
    group.group_base_sha.clear();
    CHECK(changes::choose_rule(group) == Rule::default_branch);

    Request dispatch;
    dispatch.event = "workflow_dispatch";
    CHECK(changes::choose_rule(dispatch) == Rule::default_branch);
    Request none;
    CHECK(changes::choose_rule(none) == Rule::default_branch);
    Request del;
    del.event = "delete";
    CHECK(changes::choose_rule(del) == Rule::nothing);

    SUBCASE("--base wins over every event") {
        for (Request r : {push(A), pr, dispatch, push(kZeros)}) {
            r.explicit_base = "main";
            CHECK(changes::choose_rule(r) == Rule::explicit_base);
        }
    }
}

TEST_CASE("rules: why nothing is compared") {
    CHECK(changes::nothing_reason(push(kZeros, "refs/tags/v1.2")) == "push of tag \"v1.2\": nothing to compare");
    Request deleted = push(A, "refs/heads/feature");
    deleted.branch = "feature";
    deleted.deleted = true;
    CHECK(changes::nothing_reason(deleted) == "deletion of branch \"feature\": nothing to compare");
    Request del;
    del.event = "delete";
    CHECK(changes::nothing_reason(del) == "deletion: nothing to compare");
}

TEST_CASE("rules: what the GitHub API is asked when git cannot tell") {
    auto compare = [](const ApiQuery& q, const std::string& base, const std::string& head) {
        CHECK(q.kind == ApiQuery::Kind::compare);
        CHECK(q.base == base);
        CHECK(q.head == head);
    };
    compare(changes::api_query(push(A), Rule::push), A, B);
    compare(changes::api_query(push(kZeros), Rule::new_branch), "main", B);
    Request group;
    group.group_base_sha = A;
    group.group_head_sha = B;
    compare(changes::api_query(group, Rule::merge_group), A, B);
    Request dispatch;
    dispatch.sha = B;
    dispatch.default_branch = "main";
    compare(changes::api_query(dispatch, Rule::default_branch), "main", B);
    dispatch.explicit_base = "v1";
    compare(changes::api_query(dispatch, Rule::explicit_base), "v1", B);

    Request pr;
    pr.pr_number = 7;
    pr.pr_head_sha = B;
    auto q = changes::api_query(pr, Rule::pull_request);
    CHECK(q.kind == ApiQuery::Kind::pull_files);
    CHECK(q.number == 7);

    CHECK(changes::api_query(push(A), Rule::nothing).kind == ApiQuery::Kind::none);
    Request no_default;
    no_default.sha = B;
    CHECK(changes::api_query(no_default, Rule::default_branch).kind == ApiQuery::Kind::none);
    Request pr_without_number;
    pr_without_number.pr_head_sha = B;
    CHECK(changes::api_query(pr_without_number, Rule::pull_request).kind == ApiQuery::Kind::none);
}

TEST_CASE("rules: the request from the run's facts and payload") {
    github::RunFacts facts;
    facts.event = "push";
    facts.ref = "refs/heads/main";
    facts.branch = "main";
    facts.sha = B;
    facts.repository = "octo/app";
    github::Event event;
    event.name = "push";
    event.before = A;
    event.after = B;
    event.forced = true;
    event.default_branch = "trunk";
    auto r = changes::make_request(facts, event, "v1");
    CHECK(r.before == A);
    CHECK(r.after == B);
    CHECK(r.forced);
    CHECK_FALSE(r.deleted);
    CHECK(r.default_branch == "trunk");
    CHECK(r.explicit_base == "v1");
    CHECK(r.repository == "octo/app");
    SUBCASE("a deletion: after is zeros") {
        event.after = kZeros;
        auto d = changes::make_request(facts, event, "");
        CHECK(d.deleted);
        CHECK(d.after == B);  // GITHUB_SHA
    }
}

TEST_CASE("rules: short commit names") { CHECK(changes::short_sha(A) == "aaaaaaa"); }

TEST_CASE("rules: a push the payload says was not forced needs no merge-base, one that does not say does") {
    github::RunFacts facts;
    facts.event = "push";
    facts.ref = "refs/heads/main";
    facts.branch = "main";
    facts.sha = B;
    auto request = [&](const std::string& forced_member) {
        auto event = github::parse_event(R"({"ref":"refs/heads/main","before":")" + A + R"(","after":")" + B + "\"" +
                                             forced_member + "}",
                                         "push");
        REQUIRE(event);
        return changes::make_request(facts, *event, "");
    };
    auto not_forced = request(R"(,"forced":false)");
    CHECK(not_forced.fast_forward);
    CHECK_FALSE(not_forced.forced);
    auto forced = request(R"(,"forced":true)");
    CHECK(forced.forced);
    CHECK_FALSE(forced.fast_forward);
    auto unsaid = request("");
    CHECK_FALSE(unsaid.forced);
    CHECK_FALSE(unsaid.fast_forward);  // unknown: the merge-base is looked up
    auto odd = request(R"(,"forced":null)");
    CHECK_FALSE(odd.fast_forward);
}

TEST_CASE("rules: the commits each rule looks up first") {
    using V = std::vector<std::string>;
    CHECK(changes::commits_to_check(push(A)) == V{B, A});
    CHECK(changes::commits_to_check(push(kZeros)) == V{B});  // new branch: the zeros are no commit
    CHECK(changes::commits_to_check(push(A, "refs/tags/v1")).empty());

    Request pr;
    pr.event = "pull_request";
    pr.pr_head_sha = B;
    pr.pr_base_sha = A;
    pr.pr_base_ref = "main";
    CHECK(changes::commits_to_check(pr) == V{B});  // the base branch's tip is fetched, not the recorded base
    pr.pr_merged = true;
    CHECK(changes::commits_to_check(pr) == V{B, A});

    Request group;
    group.event = "merge_group";
    group.group_base_sha = A;
    group.group_head_sha = B;
    CHECK(changes::commits_to_check(group) == V{B, A});

    Request dispatch;
    dispatch.event = "workflow_dispatch";
    dispatch.sha = B;
    CHECK(changes::commits_to_check(dispatch) == V{B});
    dispatch.explicit_base = "main";
    CHECK(changes::commits_to_check(dispatch) == V{B});
}
