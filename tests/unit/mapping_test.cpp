// The branch mapping: the default of PRODUCT.md, one row per case (facts and an optional
// --environment in; environment, action and reason out), and mappings configured with
// --environments and --validate-against.
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
        {"branch deletion", deleted(push("main")), no, "", Action::none,
         "branch \"main\" was deleted, nothing to deploy"},
        {"tag deletion", deleted(push_tag("v1")), no, "", Action::none, "tag \"v1\" was deleted, nothing to deploy"},
        {"delete event", deleted(other("delete", "x")), no, "", Action::none,
         "branch \"x\" was deleted, nothing to deploy"},
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
        {"dispatch with a blank input", other("workflow_dispatch", "main", {{"environment", "  "}}), no, "",
         Action::none, "workflow_dispatch gives no environment: set the \"environment\" input or --environment"},
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
        {"override deletion", deleted(push("x")), "qa", "", Action::none,
         "branch \"x\" was deleted, nothing to deploy"},
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

TEST_CASE("glob_match: branch globs as util::Glob matches them") {
    CHECK(glob_match("**", ""));
    CHECK(glob_match("**", "anything/at/all"));
    CHECK(glob_match("*", "main"));
    CHECK_FALSE(glob_match("*", "feature/x"));  // "*" stays within one segment, as in GitHub's branch filters
    CHECK(glob_match("main", "main"));
    CHECK_FALSE(glob_match("main", "main2"));
    CHECK(glob_match("release/*", "release/1.2"));
    CHECK_FALSE(glob_match("release/*", "release"));
    CHECK_FALSE(glob_match("release/*", "release/1/2"));
    CHECK(glob_match("release/**", "release/1/2"));
    CHECK(glob_match("hotfix/*-urgent", "hotfix/db-fix-urgent"));
    CHECK_FALSE(glob_match("hotfix/*-urgent", "hotfix/db-fix"));
    CHECK(glob_match("{main,master}", "master"));
    CHECK_FALSE(glob_match("[", "x"));  // an unclosed class is a literal "["
    CHECK_FALSE(glob_match("/main", "main"));  // does not compile: matches nothing
}

TEST_CASE("--environments: environments, their branches, in order") {
    SUBCASE("the default") {
        auto envs = parse_environments(kDefaultEnvironments);
        REQUIRE(envs);
        REQUIRE(envs->size() == 2);
        CHECK((*envs)[0].name == "production");
        CHECK((*envs)[0].branches == std::vector<std::string>{"main", "master"});
        CHECK((*envs)[1].name == "staging");
        CHECK((*envs)[1].branches == std::vector<std::string>{"staging", "develop"});
    }
    SUBCASE("spaces, new lines, globs with braces") {
        auto envs = parse_environments(" production = main ;\n qa=release/*, {rc,beta}/** \n\n");
        REQUIRE(envs);
        REQUIRE(envs->size() == 2);
        CHECK((*envs)[0].branches == std::vector<std::string>{"main"});
        CHECK((*envs)[1].name == "qa");
        CHECK((*envs)[1].branches == std::vector<std::string>{"release/*", "{rc,beta}/**"});
    }
    struct Bad {
        const char* spec;
        const char* message;
    };
    const Bad bad[] = {
        {"production", "option --environments: \"production\" has no \"=\" between the environment and its branches"},
        {"prod uction=main",
         "option --environments: \"prod uction\" is not an environment name (letters, digits, \"-\" and \"_\")"},
        {"none=main", "option --environments: \"none\" cannot name an environment: it is a keyword"},
        {"production=", "option --environments: environment \"production\" has no branches"},
        {"production=main,,master",
         "option --environments: environment \"production\": an empty branch in \"main,,master\""},
        {"production=main;production=master", "option --environments: environment \"production\" is given twice"},
        {"production=main;staging=main",
         "option --environments: branch \"main\" is mapped to both production and staging"},
        {"production=/main", "option --environments: environment \"production\": branch \"/main\": "},
        {" ; ", "option --environments: no environment given"},
    };
    for (const auto& b : bad) {
        CAPTURE(b.spec);
        auto r = parse_environments(b.spec);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.starts_with(b.message));
        CHECK(r.error().kind == ErrorKind::config);
        CHECK(r.error().hint ==
              "write --environments as NAME=BRANCH,BRANCH;NAME=BRANCH, such as "
              "\"production=main,master;staging=staging,develop\" (branches may be globs: release/*)");
    }
}

TEST_CASE("a configured mapping: pushes by --environments, pull requests by --validate-against") {
    auto m = configure_mapping("production=main,release/*;staging=staging;qa=qa/**", "qa");
    REQUIRE(m);
    const std::optional<std::string> no;
    CHECK(resolve(push("release/2.0"), no, *m)->reason == "push to \"release/2.0\" maps to production");
    CHECK(resolve(push("qa/a/b"), no, *m)->environment == "qa");
    CHECK(resolve(push("master"), no, *m)->reason == "push to \"master\" maps to no environment");
    auto p = resolve(pr("opened", "main"), no, *m);
    CHECK(p->environment == "qa");
    CHECK(p->action == Action::validate);
    CHECK(p->reason == "pull request #2 into \"main\" validates against qa");
    // Tags and deletions still map to none.
    CHECK(resolve(push_tag("v1"), no, *m)->action == Action::none);
    CHECK(resolve(deleted(push("release/2.0")), no, *m)->action == Action::none);
    CHECK(resolve(other("workflow_dispatch", "main", {{"environment", "qa"}}), no, *m)->environment == "qa");

    CHECK(branches_of(*m, "production") == std::vector<std::string>{"main", "release/*"});
    CHECK(branches_of(*m, "staging") == std::vector<std::string>{"staging"});
    CHECK(branches_of(*m, "nowhere").empty());
}

TEST_CASE("--validate-against base: a pull request validates against where its base deploys") {
    auto m = configure_mapping(kDefaultEnvironments, "base");
    REQUIRE(m);
    const std::optional<std::string> no;
    auto into_main = resolve(pr("opened", "main"), no, *m);
    CHECK(into_main->environment == "production");
    CHECK(into_main->action == Action::validate);
    CHECK(into_main->reason == "pull request #2 into \"main\" validates against production, where \"main\" deploys");
    CHECK(resolve(pr("opened", "develop"), no, *m)->environment == "staging");
    auto unmapped = resolve(pr("opened", "feature/y"), no, *m);
    CHECK(unmapped->action == Action::none);
    CHECK(unmapped->reason == "pull request #2 into \"feature/y\" validates against the environment of its base, and "
                              "\"feature/y\" maps to none");
    CHECK(resolve(merge_group("master"), no, *m)->environment == "production");
    CHECK(resolve(pr("opened", "feature/y"), std::string("qa"), *m)->environment == "qa");
}

TEST_CASE("--validate-against must name an environment or base") {
    auto m = configure_mapping(kDefaultEnvironments, "stag ing");
    REQUIRE_FALSE(m);
    CHECK(m.error().message == "option --validate-against: \"stag ing\" is not an environment name");
    CHECK(m.error().exit_code() == 2);
    CHECK_FALSE(configure_mapping("bad", "staging"));
}

TEST_CASE("environment names become variable names") {
    CHECK(environment_variable_part("staging") == "STAGING");
    CHECK(environment_variable_part("eu-west_2") == "EU_WEST_2");
}
