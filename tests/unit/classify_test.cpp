#include <doctest/doctest.h>

#include "migrations/classify.hpp"

using namespace sbdeploy::migrations;

TEST_CASE("classify: statements by what they do to transactions") {
    struct Case {
        const char* sql;
        StatementKind kind;
    };
    const Case cases[] = {
        {"create table t (id int)", StatementKind::ordinary},
        {"-- only a comment", StatementKind::empty},
        {"BEGIN", StatementKind::begin},
        {"start transaction", StatementKind::begin},
        {"COMMIT", StatementKind::commit},
        {"end", StatementKind::commit},
        {"ROLLBACK", StatementKind::other_control},
        {"savepoint a", StatementKind::savepoint},
        {"release savepoint a", StatementKind::savepoint},
        {"rollback to savepoint a", StatementKind::savepoint},
        {"prepare transaction 'x'", StatementKind::other_control},
        {"copy t from stdin", StatementKind::copy_client},
        {"copy t (id) from stdin with (format csv)", StatementKind::copy_client},
        {"copy (select 1) to stdout", StatementKind::copy_client},
        {"copy t from '/tmp/rows.csv'", StatementKind::ordinary},
        {"copy t to program 'cat'", StatementKind::ordinary},
        {"create index concurrently i on t (id)", StatementKind::non_transactional},
        {"create unique index concurrently if not exists i on t (id)", StatementKind::non_transactional},
        {"create index i on t (id)", StatementKind::ordinary},
        {"drop index concurrently i", StatementKind::non_transactional},
        {"reindex (concurrently) index i", StatementKind::non_transactional},
        {"reindex index concurrently i", StatementKind::non_transactional},
        {"vacuum t", StatementKind::non_transactional},
        {"analyze t", StatementKind::ordinary},
        {"alter system set work_mem = '4MB'", StatementKind::non_transactional},
        {"create database d", StatementKind::non_transactional},
        {"cluster", StatementKind::non_transactional},
        {"cluster t using i", StatementKind::ordinary},
        {"select frobnicate from", StatementKind::unparsed},
    };
    for (const auto& c : cases) {
        CAPTURE(c.sql);
        CHECK(classify_statement(c.sql) == c.kind);
    }
}

TEST_CASE("classify: the rule table for whole files") {
    using K = StatementKind;
    SUBCASE("ordinary statements: atomic") {
        auto p = plan_file({K::ordinary, K::empty, K::ordinary});
        REQUIRE(p);
        CHECK(p->mode == FileMode::atomic);
    }
    SUBCASE("BEGIN first and COMMIT last (comments around them allowed): self-wrapped, both skipped") {
        auto p = plan_file({K::empty, K::begin, K::ordinary, K::savepoint, K::ordinary, K::commit, K::empty});
        REQUIRE(p);
        CHECK(p->mode == FileMode::self_wrapped);
        CHECK(p->skip == std::vector<bool>{false, true, false, false, false, true, false});
    }
    SUBCASE("COMMIT; BEGIN; in the middle: parts, each ending after its COMMIT; BEGIN and COMMIT skipped") {
        auto p = plan_file({K::begin, K::ordinary, K::commit, K::begin, K::ordinary, K::commit}, Splits::parts);
        REQUIRE(p);
        CHECK(p->mode == FileMode::parts);
        CHECK(p->part_ends == std::vector<std::size_t>{3, 6});
        CHECK(p->first_split == 2);
        CHECK(p->skip == std::vector<bool>{true, false, true, true, false, true});
    }
    SUBCASE("statements before a BEGIN join its part; statements after the last COMMIT are the last part") {
        auto p = plan_file({K::ordinary, K::begin, K::ordinary, K::commit, K::ordinary, K::empty}, Splits::parts);
        REQUIRE(p);
        CHECK(p->mode == FileMode::parts);
        CHECK(p->part_ends == std::vector<std::size_t>{4, 6});
    }
    SUBCASE("three parts; comments after the last COMMIT stay in the last part") {
        auto p = plan_file({K::ordinary, K::commit, K::ordinary, K::commit, K::ordinary, K::commit, K::empty},
                           Splits::parts);
        REQUIRE(p);
        CHECK(p->part_ends == std::vector<std::size_t>{2, 4, 7});
        CHECK(p->first_split == 1);
    }
    SUBCASE("COMMITs that end no statements split nothing: one part") {
        auto p = plan_file({K::commit, K::begin, K::commit, K::ordinary, K::commit}, Splits::parts);
        REQUIRE(p);
        CHECK(p->mode == FileMode::self_wrapped);
        CHECK(p->part_ends.empty());
        CHECK(p->skip == std::vector<bool>{true, true, true, false, true});
    }
    SUBCASE("without Splits::parts (down SQL, seed files) a split is refused, naming the COMMIT") {
        auto p = plan_file({K::begin, K::ordinary, K::commit, K::begin, K::ordinary, K::commit});
        REQUIRE_FALSE(p);
        CHECK(p.error().line == 2);
        CHECK(p.error().exit_code() == 2);
        CHECK(p.error().message ==
              "COMMIT in the middle of this file would split it into separate transactions, so a failure could leave "
              "half of it applied");
    }
    SUBCASE("a lone COMMIT at the end splits nothing") {
        auto p = plan_file({K::ordinary, K::commit});
        REQUIRE(p);
        CHECK(p->mode == FileMode::self_wrapped);
        CHECK(p->skip == std::vector<bool>{false, true});
    }
    SUBCASE("COPY from or to the client is refused") {
        auto p = plan_file({K::ordinary, K::copy_client}, Splits::parts);
        REQUIRE_FALSE(p);
        CHECK(p.error().line == 1);
        CHECK(p.error().exit_code() == 2);
    }
    SUBCASE("ROLLBACK in a file with parts is still refused") {
        auto p = plan_file({K::ordinary, K::commit, K::ordinary, K::other_control}, Splits::parts);
        REQUIRE_FALSE(p);
        CHECK(p.error().line == 3);
    }
    SUBCASE("ROLLBACK is refused") {
        auto p = plan_file({K::ordinary, K::other_control});
        REQUIRE_FALSE(p);
        CHECK(p.error().line == 1);
    }
    SUBCASE("only non-transactional statements: one by one") {
        auto p = plan_file({K::empty, K::non_transactional, K::non_transactional});
        REQUIRE(p);
        CHECK(p->mode == FileMode::non_transactional);
    }
    SUBCASE("non-transactional mixed with ordinary statements is refused") {
        auto p = plan_file({K::ordinary, K::non_transactional});
        REQUIRE_FALSE(p);
        CHECK(p.error().line == 1);
    }
    SUBCASE("an empty file is atomic (only its history row)") {
        auto p = plan_file({K::empty});
        REQUIRE(p);
        CHECK(p->mode == FileMode::atomic);
    }
}
