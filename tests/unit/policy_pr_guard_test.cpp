// The pull request guard: which heads may merge into a branch that deploys to production,
// with the exact reasons and hints validate prints.
#include <doctest/doctest.h>

#include "policy/pr_guard.hpp"

using namespace sbdeploy::policy;

namespace {

GuardRules default_rules() { return guard_rules(default_mapping(), "production", "staging", "hotfix/*"); }

PullRequestRef pr(std::string head, std::string base, bool fork = false) {
    return PullRequestRef{5, std::move(head), std::move(base), fork};
}

} // namespace

TEST_CASE("pr guard: the rules come from the mapping") {
    auto r = default_rules();
    CHECK(r.protected_branches == std::vector<std::string>{"main", "master"});
    CHECK(r.release_branches == std::vector<std::string>{"staging", "develop"});
    CHECK(r.hotfix_pattern == "hotfix/*");
}

TEST_CASE("pr guard: into production's branch only from staging or a hotfix branch") {
    const auto rules = default_rules();
    struct Row {
        const char* name;
        PullRequestRef pr;
        GuardVerdict verdict;
        const char* reason;
    };
    const Row rows[] = {
        {"staging into main", pr("staging", "main"), GuardVerdict::allowed,
         "pull request #5 from \"staging\" into \"main\": the staging branch may merge into production"},
        {"develop into master", pr("develop", "master"), GuardVerdict::allowed,
         "pull request #5 from \"develop\" into \"master\": the staging branch may merge into production"},
        {"hotfix into main", pr("hotfix/y", "main"), GuardVerdict::allowed,
         "pull request #5 from \"hotfix/y\" into \"main\": a hotfix branch (\"hotfix/*\") may merge into production"},
        {"feature into main", pr("feature/x", "main"), GuardVerdict::refused,
         "pull request #5 from \"feature/x\" into \"main\": only the staging branch (\"staging\" or \"develop\") or a "
         "hotfix branch (\"hotfix/*\") may merge into \"main\", which deploys to production"},
        {"nested hotfix is not hotfix/*", pr("hotfix/a/b", "main"), GuardVerdict::refused, nullptr},
        {"staging2 is not staging", pr("staging2", "main"), GuardVerdict::refused, nullptr},
        {"a fork's staging", pr("staging", "main", true), GuardVerdict::refused,
         "pull request #5 from a fork's \"staging\" into \"main\": only the staging branch (\"staging\" or "
         "\"develop\") or a hotfix branch (\"hotfix/*\") of this repository may merge into \"main\", which deploys "
         "to production"},
        {"a fork's hotfix", pr("hotfix/y", "main", true), GuardVerdict::refused, nullptr},
        {"feature into staging", pr("feature/x", "staging"), GuardVerdict::not_applicable,
         "pull request #5 into \"staging\" does not deploy to production"},
        {"fork into staging", pr("feature/x", "staging", true), GuardVerdict::not_applicable, nullptr},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto d = check_pull_request(row.pr, rules);
        CHECK(static_cast<int>(d.verdict) == static_cast<int>(row.verdict));
        if (row.reason) CHECK(d.reason == row.reason);
        CHECK(d.hint.empty() == (row.verdict != GuardVerdict::refused));
    }
}

TEST_CASE("pr guard: the hint says which branch may merge and how to turn it off") {
    auto d = check_pull_request(pr("feature/x", "main"), default_rules());
    CHECK(d.hint == "merge it into \"staging\" first, then open a pull request from \"staging\" into \"main\"; an "
                    "urgent fix goes on a branch matching \"hotfix/*\" (--hotfix-pattern); --no-pr-guard turns this "
                    "check off");
}

TEST_CASE("pr guard: configured branches and patterns") {
    auto m = configure_mapping("production=main,release/*;preprod=preprod", "preprod");
    REQUIRE(m);
    SUBCASE("another release environment, another hotfix pattern") {
        auto rules = guard_rules(*m, "production", "preprod", "urgent-*");
        CHECK(check_pull_request(pr("preprod", "release/1"), rules).verdict == GuardVerdict::allowed);
        CHECK(check_pull_request(pr("urgent-db", "main"), rules).verdict == GuardVerdict::allowed);
        CHECK(check_pull_request(pr("hotfix/y", "main"), rules).verdict == GuardVerdict::refused);
        CHECK(check_pull_request(pr("staging", "main"), rules).verdict == GuardVerdict::refused);
    }
    SUBCASE("no hotfix pattern, and a release environment without branches") {
        auto rules = guard_rules(*m, "production", "staging", "");
        auto d = check_pull_request(pr("preprod", "main"), rules);
        CHECK(d.verdict == GuardVerdict::refused);
        CHECK(d.reason == "pull request #5 from \"preprod\" into \"main\": no branch may merge into \"main\", "
                          "which deploys to production");
        CHECK(d.hint == "--no-pr-guard turns this check off");
    }
    SUBCASE("a pull request without a number") {
        auto rules = guard_rules(*m, "production", "preprod", "hotfix/*");
        auto d = check_pull_request(PullRequestRef{std::nullopt, "x", "main", false}, rules);
        CHECK(d.reason.starts_with("pull request from \"x\" into \"main\": only the preprod branch (\"preprod\") or a "
                                   "hotfix branch"));
    }
}
