// The default branch mapping of PRODUCT.md, one row per case: facts and an optional
// --environment in, environment, action and reason out.
#include <doctest/doctest.h>

#include "policy/mapping.hpp"

using namespace sbdeploy;
using namespace sbdeploy::policy;

namespace {

Facts push(std::string branch) {
    Facts f;
    f.event = "push";
    f.branch = std::move(branch);
    return f;
}

Facts push_tag(std::string tag) {
    Facts f;
    f.event = "push";
    f.tag = std::move(tag);
    return f;
}

Facts deleted(Facts f) {
    f.deleted = true;
    return f;
}

Facts pr(std::string action, std::string base, bool merged = false, std::string event = "pull_request") {
    Facts f;
    f.event = std::move(event);
    f.action = std::move(action);
    f.pr_number = 2;
    f.branch = "changes";
    f.base_ref = std::move(base);
    f.merged = merged;
    return f;
}

Facts other(std::string event, std::string branch = "", std::map<std::string, std::string> inputs = {}) {
    Facts f;
    f.event = std::move(event);
    f.branch = std::move(branch);
    f.inputs = std::move(inputs);
    return f;
}

Facts merge_group(std::string base) {
    auto f = other("merge_group", "gh-readonly-queue/" + base + "/pr-1-abc");
    f.base_ref = std::move(base);
    return f;
}

struct Row {
    const char* name;
    Facts facts;
    std::optional<std::string> override_env;
    const char* environment;
    Action action;
    const char* reason;
};

} // namespace

TEST_CASE("the default mapping") {
    const std::optional<std::string> no;
    const Row rows[] = {
        {"push main", push("main"), no, "production", Action::push, "push to \"main\" maps to production"},
        {"push master", push("master"), no, "production", Action::push, "push to \"master\" maps to production"},
        {"push staging", push("staging"), no, "staging", Action::push, "push to \"staging\" maps to staging"},
        {"push develop", push("develop"), no, "staging", Action::push, "push to \"develop\" maps to staging"},
        {"push other", push("feature/x"), no, "", Action::none, "push to \"feature/x\" maps to no environment"},
        {"push main-ish", push("main2"), no, "", Action::none, "push to \"main2\" maps to no environment"},
        {"push tag", push_tag("v1.0"), no, "", Action::none, "push of tag \"v1.0\" deploys nothing"},
        {"branch deletion", deleted(push("main")), no, "", Action::none, "branch \"main\" was deleted, nothing to deploy"},
        {"tag deletion", deleted(push_tag("v1")), no, "", Action::none, "tag \"v1\" was deleted, nothing to deploy"},
        {"delete event", deleted(other("delete", "x")), no, "", Action::none, "branch \"x\" was deleted, nothing to deploy"},
        {"pr opened", pr("opened", "staging"), no, "staging", Action::validate,
         "pull request #2 into \"staging\" validates against staging"},
        {"pr into main", pr("synchronize", "main"), no, "staging", Action::validate,
         "pull request #2 into \"main\" validates against staging"},
        {"pr_target", pr("opened", "main", false, "pull_request_target"), no, "staging", Action::validate,
         "pull request #2 into \"main\" validates against staging"},
        {"pr closed", pr("closed", "main"), no, "", Action::none, "pull request #2 was closed without merging"},
        {"pr merged", pr("closed", "staging", true), no, "", Action::none,
         "pull request #2 was merged: the push to \"staging\" deploys it"},
        {"pr review", pr("submitted", "main", false, "pull_request_review"), no, "", Action::none,
         "event \"pull_request_review\" on \"changes\" maps to no environment"},
        {"merge group", merge_group("main"), no, "staging", Action::validate,
         "merge group into \"main\" validates against staging"},
        {"dispatch with input", other("workflow_dispatch", "main", {{"environment", "staging"}}), no, "staging",
         Action::push, "workflow_dispatch input \"environment\" selects staging"},
        {"dispatch without input", other("workflow_dispatch", "main"), no, "", Action::none,
         "workflow_dispatch gives no environment: set the \"environment\" input or --environment"},
        {"dispatch with a blank input", other("workflow_dispatch", "main", {{"environment", "  "}}), no, "", Action::none,
         "workflow_dispatch gives no environment: set the \"environment\" input or --environment"},
        {"workflow_run", other("workflow_run", "master"), no, "", Action::none,
         "event \"workflow_run\" on \"master\" maps to no environment"},
        {"schedule", other("schedule"), no, "", Action::none, "event \"schedule\" maps to no environment"},
        {"no event", other(""), no, "", Action::none, "no GitHub event and no --environment given"},
        // --environment
        {"override push", push("main"), "qa", "qa", Action::push, "--environment selects qa"},
        {"override unmapped push", push("feature/x"), "qa", "qa", Action::push, "--environment selects qa"},
        {"override tag", push_tag("v1"), "production", "production", Action::push, "--environment selects production"},
        {"override pr", pr("opened", "main"), "qa", "qa", Action::validate, "--environment selects qa"},
        {"override pr review", pr("submitted", "main", false, "pull_request_review"), "qa", "qa", Action::validate,
         "--environment selects qa"},
        {"override merge group", merge_group("main"), "qa", "qa", Action::validate, "--environment selects qa"},
        {"override dispatch", other("workflow_dispatch", "main", {{"environment", "staging"}}), "production",
         "production", Action::push, "--environment selects production"},
        {"override no event", other(""), "staging", "staging", Action::push, "--environment selects staging"},
        {"override closed pr", pr("closed", "main", true), "qa", "", Action::none,
         "pull request #2 was merged: the push to \"main\" deploys it"},
        {"override deletion", deleted(push("x")), "qa", "", Action::none, "branch \"x\" was deleted, nothing to deploy"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto r = resolve(row.facts, row.override_env);
        REQUIRE(r);
        CHECK(r->environment == row.environment);
        CHECK(action_name(r->action) == action_name(row.action));
        CHECK(r->reason == row.reason);
    }
}

TEST_CASE("an environment that is not a name is refused") {
    auto r = resolve(push("main"), std::string("prod uction"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "option --environment: \"prod uction\" is not an environment name");
    CHECK(r.error().hint == "environment names are letters, digits, \"-\" and \"_\", such as staging or production");
    CHECK(r.error().exit_code() == 2);

    auto d = resolve(other("workflow_dispatch", "main", {{"environment", "$(rm -rf)"}}), std::nullopt);
    REQUIRE_FALSE(d);
    CHECK(d.error().message == "workflow_dispatch input \"environment\": \"$(rm -rf)\" is not an environment name");
    CHECK(d.error().kind == ErrorKind::input);

    CHECK(is_environment_name("staging"));
    CHECK(is_environment_name("eu-west_2"));
    CHECK_FALSE(is_environment_name(""));
    CHECK_FALSE(is_environment_name("a.b"));
    CHECK_FALSE(is_environment_name(std::string(65, 'a')));
}

TEST_CASE("a mapping is data: rules match in order, on globs") {
    Mapping m{{
        {"push", "release/*", "production", Action::push, EnvironmentFrom::rule},
        {"push", "*", "", Action::none, EnvironmentFrom::rule},
        {"pull_request", "main", "production", Action::validate, EnvironmentFrom::rule},
        {"pull_request", "*", "staging", Action::validate, EnvironmentFrom::rule},
        {"workflow_dispatch", "*", "target", Action::validate, EnvironmentFrom::input},
    }};
    CHECK(resolve(push("release/2.0"), std::nullopt, m)->reason == "push to \"release/2.0\" maps to production");
    CHECK(resolve(push("main"), std::nullopt, m)->reason == "push to \"main\" maps to no action");
    CHECK(resolve(pr("opened", "main"), std::nullopt, m)->environment == "production");
    CHECK(resolve(pr("opened", "dev"), std::nullopt, m)->environment == "staging");
    auto d = resolve(other("workflow_dispatch", "main", {{"target", "qa"}}), std::nullopt, m);
    CHECK(d->environment == "qa");
    CHECK(d->action == Action::validate);
    CHECK(d->reason == "workflow_dispatch input \"target\" selects qa");
}

TEST_CASE("glob_match") {
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything/at/all"));
    CHECK(glob_match("main", "main"));
    CHECK_FALSE(glob_match("main", "main2"));
    CHECK(glob_match("release/*", "release/1.2"));
    CHECK_FALSE(glob_match("release/*", "release"));
    CHECK(glob_match("hotfix/*-urgent", "hotfix/db-fix-urgent"));
    CHECK_FALSE(glob_match("hotfix/*-urgent", "hotfix/db-fix"));
    CHECK(glob_match("a*b*c", "aXbYbZc"));
}
