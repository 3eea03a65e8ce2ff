// The promotion gate's comparison: pending migrations against the source's history, and the
// exact refusal and override texts push prints.
#include <doctest/doctest.h>

#include "policy/promotion.hpp"

using namespace sbdeploy;
using namespace sbdeploy::policy;

namespace {

using Statements = std::vector<std::string>;

Candidate candidate(std::string version, std::string name, Statements statements) {
    return {std::move(version), std::move(name), std::move(statements)};
}

} // namespace

TEST_CASE("promotion: what the source has not run, as it is") {
    const std::vector<Candidate> pending{
        candidate("20240101000001", "moods", {"create table moods (id int)"}),
        candidate("20240101000002", "rls", {"alter table moods enable row level security"}),
        candidate("20240101000003", "policy", {"create policy p on moods using (true)"}),
        candidate("20240101000004", "old_cli", {"select 1"}),
    };
    SUBCASE("the source ran everything") {
        const std::vector<SourceEntry> source{
            {"20240101000004", Statements{"select 1"}},
            {"20240101000001", Statements{"create table moods (id int)"}},
            {"20240101000002", Statements{"alter table moods enable row level security"}},
            {"20240101000003", Statements{"create policy p on moods using (true)"}},
            {"20231231000000", Statements{"select 0"}},  // older ones do not matter
        };
        CHECK(unpromoted(pending, source).empty());
    }
    SUBCASE("missing and different, in the pending order") {
        const std::vector<SourceEntry> source{
            {"20240101000003", Statements{"create policy p on moods using (auth.uid() = id)"}},
            {"20240101000001", Statements{"create table moods (id int)"}},
            {"20240101000004", std::nullopt},  // written by an old CLI: nothing to compare, counts as run
        };
        auto gaps = unpromoted(pending, source);
        REQUIRE(gaps.size() == 2);
        CHECK(gaps[0].version == "20240101000002");
        CHECK(gaps[0].gap == Gap::not_applied);
        CHECK(gaps[1].version == "20240101000003");
        CHECK(gaps[1].gap == Gap::different_statements);
        CHECK(describe(gaps[0], "staging") == "20240101000002_rls (not applied on staging)");
        CHECK(describe(gaps[1], "staging") == "20240101000003_policy (applied on staging with different statements)");
    }
    SUBCASE("one statement more is different") {
        const std::vector<SourceEntry> source{
            {"20240101000001", Statements{"create table moods (id int)", "select 1"}}};
        auto gaps = unpromoted(std::span(pending).first(1), source);
        REQUIRE(gaps.size() == 1);
        CHECK(gaps[0].gap == Gap::different_statements);
    }
    SUBCASE("an empty source") { CHECK(unpromoted(pending, {}).size() == 4); }
}

TEST_CASE("promotion: the refusal names every version and says how to promote") {
    const std::vector<Unpromoted> missing{{"20240101000002", "rls", Gap::not_applied}};
    auto e = refusal(missing, "staging", "production");
    CHECK(e.kind == ErrorKind::operation);
    CHECK(e.exit_code() == 1);
    CHECK(e.message == "promotion gate: 1 migration pending for production did not run on staging first: "
                       "20240101000002_rls (not applied on staging)");
    CHECK(e.hint ==
          "promote them: merge them into the staging branch so its push applies them (or run 'sbdeploy push "
          "--environment staging' on this commit), then run this push again; --allow-unpromoted pushes anyway");

    const std::vector<Unpromoted> both{{"20240101000002", "rls", Gap::not_applied},
                                       {"20240101000003", "policy", Gap::different_statements}};
    auto e2 = refusal(both, "qa", "production");
    CHECK(e2.message == "promotion gate: 2 migrations pending for production did not run on qa first: "
                        "20240101000002_rls (not applied on qa), 20240101000003_policy (applied on qa with different "
                        "statements)");
    CHECK(e2.hint.ends_with("; a file that differs from what qa ran must be restored as it ran there, with the change "
                            "in a new migration; --allow-unpromoted pushes anyway"));

    const std::vector<Unpromoted> differs{{"20240101000003", "policy", Gap::different_statements}};
    CHECK(refusal(differs, "staging", "production").hint ==
          "a file that differs from what staging ran must be restored as it ran there, with the change in a new "
          "migration; --allow-unpromoted pushes anyway");
}

TEST_CASE("promotion: long lists stop at ten") {
    std::vector<Unpromoted> many;
    for (int i = 10; i < 22; ++i) many.push_back({"202401010000" + std::to_string(i), "", Gap::not_applied});
    auto e = refusal(many, "staging", "production");
    CHECK(e.message.ends_with("20240101000019 (not applied on staging), ... (12 in all)"));
    CHECK(e.message.find("20240101000020") == std::string::npos);
}

TEST_CASE("promotion: the override warning") {
    const std::vector<Unpromoted> missing{{"20240101000002", "rls", Gap::not_applied}};
    CHECK(override_warning(missing, "staging", "production") ==
          "promotion gate overridden (--allow-unpromoted): pushing 1 migration to production that did not run on "
          "staging first: 20240101000002_rls (not applied on staging)");
}
