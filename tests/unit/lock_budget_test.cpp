// The dry run's lock estimate and budget (migrations/lock_budget.hpp) without a database: what
// each statement shape counts, relations named twice counted once, and how many files fit.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "migrations/apply.hpp"
#include "migrations/lock_budget.hpp"

using namespace sbdeploy::migrations;

namespace {

Migration file(const std::string& sql) {
    MigrationFile f;
    f.version = "20240101000001";
    f.filename = f.version + "_x.sql";
    auto m = parse_migration(f, sql);
    REQUIRE(m.has_value());
    return std::move(*m);
}

std::size_t alone(const std::string& sql) {
    LockEstimate e;
    return e.add(file(sql));
}

} // namespace

TEST_CASE("lock budget: what a statement locks") {
    struct Case {
        const char* sql;
        std::size_t entries;
    };
    const std::vector<Case> cases = {
        // schema, table, its TOAST table and index, the sequence, the primary key's index
        {"create table public.t (id serial primary key)", 6},
        {"create table public.t (id bigint generated always as identity primary key, code text unique)", 7},
        // the table named, the index
        {"create index t_idx on public.t (id)", 3},
        // the referenced table too
        {"create table a (id int, b int references public.b (id))", 6},
        {"alter table public.t alter column id type bigint", 6},
        {"alter table public.t add column note text", 5},
        {"drop table public.t, public.u", 8},
        {"comment on function f() is 'x'", 1},
        {"create policy p on public.t for select using (true)", 2},
        {"do $$ begin execute 'create table hidden (id int)'; end $$", 0},
        {"create extension if not exists pgcrypto", 16},
        {"this is not sql", 4},
    };
    for (const auto& c : cases) {
        CAPTURE(c.sql);
        CHECK(alone(c.sql) == c.entries);
    }
}

TEST_CASE("lock budget: a relation named by several files is counted once") {
    LockEstimate e;
    CHECK(e.add(file("create table public.t (id int);\ninsert into public.t values (1);\n")) == 4);
    CHECK(e.add(file("create policy p on public.t for select using (true);\n")) == 0);
    CHECK(e.add(file("create index t_idx on public.t (id);\n")) == 1);
    CHECK(e.total() == 5);
}

TEST_CASE("lock budget: the files that fit, and the capacity") {
    std::vector<Migration> files;
    for (int i = 0; i < 10; ++i) files.push_back(file("create table public.t" + std::to_string(i) + " (id int);\n"));
    std::vector<const Migration*> pending;
    for (const auto& m : files) pending.push_back(&m);
    // 4 for the first (schema, table, TOAST table and index), 3 for each other one
    CHECK(files_that_fit(pending, 3) == 0);
    CHECK(files_that_fit(pending, 4) == 1);
    CHECK(files_that_fit(pending, 6) == 1);
    CHECK(files_that_fit(pending, 7) == 2);
    CHECK(files_that_fit(pending, 30) == 9);
    CHECK(files_that_fit(pending, 31) == 10);

    LockCapacity c{10, 20, 0, 5};
    CHECK(c.total() == 200);
    CHECK(c.budget() == 200 - 5 - 20 - 64);
    CHECK(c.describe() == "max_locks_per_transaction 10 x (max_connections 20 + max_prepared_transactions 0) = 200");
    LockCapacity big{64, 100, 0, 0};
    CHECK(big.budget() == 6400 - 640 - 64);
    CHECK(big.describe() ==
          "max_locks_per_transaction 64 x (max_connections 100 + max_prepared_transactions 0) = 6,400");
}
