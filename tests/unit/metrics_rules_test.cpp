// Rule compliance: conventional titles and commit subjects, branch naming, the base rule of
// promotion, as tables of cases with the exact reason given for a violation.
#include <doctest/doctest.h>

#include "metrics/rules.hpp"

using namespace sbdeploy::metrics;

namespace {

Rules default_rules() {
    auto r = Rules::compile({});
    REQUIRE(r);
    return *r;
}

constexpr const char* kExpected = "; expected \"<type>[(scope)][!]: <description>\" with type feat, fix, docs, style, "
                                  "refactor, perf, test, build, ci, chore or revert";

} // namespace

TEST_CASE("metrics rules: conventional commit titles") {
    struct Row {
        const char* title;
        std::optional<std::string> problem;
    };
    const Row rows[] = {
        {"feat: add moods", std::nullopt},
        {"fix(api): handle 429", std::nullopt},
        {"refactor!: drop v1", std::nullopt},
        {"feat(db)!: new schema", std::nullopt},
        {"FEAT: shouting is fine", std::nullopt},
        {"Revert \"feat: add moods\"", std::nullopt},
        {"  chore: trimmed  ", std::nullopt},
        {"Update README", std::string("unknown type \"Update\"") + kExpected},
        {"feature: not a type", std::string("unknown type \"feature\"") + kExpected},
        {"", std::string("no type") + kExpected},
        {"🚀 launch", std::string("no type") + kExpected},
        {"feat add moods", std::string("no \": \" and description after the type") + kExpected},
        {"feat:", std::string("no \": \" and description after the type") + kExpected},
        {"feat:    ", std::string("no \": \" and description after the type") + kExpected},
        {"feat(): x", std::string("empty or unclosed scope") + kExpected},
        {"feat(db: x", std::string("empty or unclosed scope") + kExpected},
    };
    for (const auto& r : rows) {
        CAPTURE(r.title);
        CHECK(conventional_problem(r.title) == r.problem);
    }
}

TEST_CASE("metrics rules: branch naming") {
    auto rules = default_rules();
    CHECK(rules.branch_naming("feature/moods") == std::nullopt);
    CHECK(rules.branch_naming("fix/429") == std::nullopt);
    CHECK(rules.branch_naming("hotfix/login") == std::nullopt);
    CHECK(rules.branch_naming("staging") == std::nullopt);  // promotion pull requests come from it
    CHECK(rules.branch_naming("main") == std::nullopt);
    CHECK(rules.branch_naming("changes") == "branch \"changes\" matches none of feature/*, fix/*, hotfix/*");
    CHECK(rules.branch_naming("feature/a/b") == "branch \"feature/a/b\" matches none of feature/*, fix/*, hotfix/*");

    RuleSettings s;
    s.branch_patterns = {"feature/**", "dependabot/**"};
    auto custom = Rules::compile(s);
    REQUIRE(custom);
    CHECK(custom->branch_naming("feature/a/b") == std::nullopt);
    CHECK(custom->branch_naming("dependabot/npm/pg-8") == std::nullopt);
    CHECK(custom->branch_naming("fix/x") == "branch \"fix/x\" matches none of feature/**, dependabot/**");

    s.branch_patterns = {"+(a|b)"};
    auto bad = Rules::compile(s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.starts_with("branch rule \"+(a|b)\": "));
}

TEST_CASE("metrics rules: pull request bases follow the promotion path") {
    auto rules = default_rules();
    CHECK(rules.pr_base("feature/x", "staging") == std::nullopt);
    CHECK(rules.pr_base("main", "staging") == std::nullopt);  // back-merge after a hotfix
    CHECK(rules.pr_base("staging", "main") == std::nullopt);
    CHECK(rules.pr_base("develop", "master") == std::nullopt);
    CHECK(rules.pr_base("hotfix/login", "main") == std::nullopt);
    CHECK(rules.pr_base("feature/x", "main") ==
          "\"feature/x\" into \"main\": only staging, develop, hotfix/* may merge into main");
    CHECK(rules.pr_base("changes", "staging") ==
          "\"changes\" into \"staging\": only feature/*, fix/*, hotfix/* branches merge into staging");
    CHECK_FALSE(rules.base_rule_applies("release/1"));
}

TEST_CASE("metrics rules: a pull request gets three checks, one per rule") {
    auto rules = default_rules();
    PullRequestSubject pr{"o/r", 7, "Update README", "changes", "main", 1000, "42"};
    auto events = check_pull_request(rules, pr);
    REQUIRE(events.size() == 3);
    CHECK(events[0].rule_name == "branch-naming");
    CHECK(events[0].rule_category == "branching");
    CHECK(events[0].status == Compliance::violation);
    CHECK(events[0].context_type == "pull_request");
    CHECK(events[0].context_id == "7");
    CHECK(events[0].subject == "changes");
    CHECK(events[1].rule_name == "conventional-title");
    CHECK(events[1].subject == "Update README");
    CHECK(events[1].status == Compliance::violation);
    CHECK(events[2].rule_name == "pr-base");
    CHECK(events[2].subject == "changes -> main");
    CHECK(events[2].event_timestamp == 1000);
    CHECK(events[2].run_id == "42");

    pr.base = "release/2";  // the base rule does not apply
    CHECK(check_pull_request(rules, pr).size() == 2);
}

TEST_CASE("metrics rules: commit subjects, git's merge subjects skipped") {
    auto e = check_commit("o/r", "abc123", "fix: handle nulls\n\nlong body", 5, "");
    REQUIRE(e);
    CHECK(e->rule_name == "conventional-commit");
    CHECK(e->subject == "fix: handle nulls");
    CHECK(e->status == Compliance::compliant);
    CHECK(e->context_type == "commit");
    CHECK(e->context_id == "abc123");
    auto bad = check_commit("o/r", "def456", "wip\r\n", 5, "");
    REQUIRE(bad);
    CHECK(bad->subject == "wip");
    CHECK(bad->status == Compliance::violation);
    CHECK_FALSE(check_commit("o/r", "a1", "Merge pull request #3 from o/feature/x", 5, ""));
    CHECK_FALSE(check_commit("o/r", "a1", "Merge branch 'main' into staging", 5, ""));
}
