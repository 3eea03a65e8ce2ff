// validate at any size (issue 26), against real PostgreSQL 15: one failure is reported as one
// (the dry run stops at the first failing file, the rest "not run"; --keep-going gives every file
// a verdict and marks the failures after the first), and a dry run never takes more than the
// server's lock table holds: on a server of its own with a deliberately small lock table
// (max_locks_per_transaction 10, max_connections 20) the set that does not fit ends in one error
// naming the files that passed, whether the estimate stops it first or SQLSTATE 53200 does.
// The estimate itself is checked against the locks PostgreSQL really takes.
#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "migrations/apply.hpp"
#include "migrations/lock_budget.hpp"
#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/private_pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

std::string version(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2024010100%04d", i);
    return buf;
}

// sbdeploy validate as a workflow step: annotations on stdout/stderr, outputs and summary in files.
struct Step {
    ProcessResult r;
    std::map<std::string, std::string> outputs;
    std::string summary;
    [[nodiscard]] std::string log() const { return r.out + r.err; }
    [[nodiscard]] std::size_t errors() const { return count_of(log(), "::error"); }
};

Step validate(TempProject& project, const std::string& url, std::vector<std::string> extra = {}) {
    project.file("github_output", "");
    project.file("step_summary", "");
    Env env{{"GITHUB_ACTIONS", "true"},
            {"GITHUB_OUTPUT", project.path("github_output")},
            {"GITHUB_STEP_SUMMARY", project.path("step_summary")}};
    extra.insert(extra.end(), {"--lint-fail-on", "never"});
    Step s{run_with_db("validate", project, url, extra, env), {}, slurp(project.path("step_summary"))};
    for (auto& [name, value] : parse_file_commands(slurp(project.path("github_output")))) s.outputs[name] = value;
    return s;
}

// A verdicts output's verdict of each file, in order.
std::vector<std::string> verdicts(const std::string& json) {
    std::vector<std::string> out;
    static const std::regex verdict("\"verdict\":\"([^\"]+)\"");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), verdict); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

std::vector<std::string> repeat(const std::string& v, std::size_t n) { return std::vector<std::string>(n, v); }

} // namespace

TEST_CASE("validate size: a set larger than the server's lock table fails once, naming the files that passed") {
    const std::string url = small_lock_table_database("size_estimate");
    TempProject project;
    for (int i = 1; i <= 60; ++i)  // 5 objects each: table, TOAST table and index, sequence, primary key
        project.migration(version(i) + "_t" + std::to_string(i) + ".sql",
                          "create table public.t" + std::to_string(i) + " (id serial primary key, note text);\n");
    const auto schema = schema_dump(url);

    for (const std::vector<std::string>& flags :
         {std::vector<std::string>{}, std::vector<std::string>{"--keep-going"}}) {
        auto s = validate(project, url, flags);
        INFO(describe(s.r));
        CHECK(s.r.exit_code == 1);
        CHECK(s.errors() == 1);
        const auto v = verdicts(s.outputs["verdicts"]);
        REQUIRE(v.size() == 60);
        std::size_t passed = 0;
        while (passed < v.size() && v[passed] == "ok") ++passed;
        CHECK(passed > 10);
        CHECK(passed < 60);
        CHECK(std::vector<std::string>(v.begin() + static_cast<long>(passed), v.end()) ==
              repeat("not run", 60 - passed));
        CHECK(contains(s.log(), "::error::files 1-" + std::to_string(passed) +
                                    " passed the dry run; the rest need more locks than this server allows in one "
                                    "transaction%0A" +
                                    std::to_string(60 - passed) + " migrations from \"" +
                                    version(static_cast<int>(passed) + 1) + "_t" + std::to_string(passed + 1) +
                                    ".sql\" on were not run: a dry run holds a lock on every object it creates or "
                                    "changes until it rolls back; the lock table holds max_locks_per_transaction 10 x "
                                    "(max_connections 20 + max_prepared_transactions 0) = 200 objects for all "
                                    "sessions, 0 of them held by others now%0Ahint: validate them on a shadow database "
                                    "(--shadow-db-url) or raise max_locks_per_transaction\n"));
        CHECK_FALSE(contains(s.log(), "FAILED"));
        CHECK(s.outputs["valid"] == "false");
        CHECK(s.outputs["failed_count"] == "0");
        INFO("summary: " << s.summary);
        CHECK(s.summary.starts_with("❌ **validate"));
        CHECK(contains(s.summary,
                       "**: stopped at the server's lock capacity: " + std::to_string(passed) + " of 60 dry-run"));
        CHECK(contains(s.summary, "files 1-" + std::to_string(passed) + " passed the dry run; the rest need more"));
        CHECK(contains(s.summary, "hint: validate them on a shadow database (--shadow-db-url) or raise "
                                  "max\\_locks\\_per\\_transaction"));
        CHECK(contains(s.log(), "The dry run stopped at the server's lock capacity: " + std::to_string(passed) +
                                    " of 60 migrations dry-run, 0 failed; nothing was changed\n"));
    }
    CHECK(schema_dump(url) == schema);
    CHECK(history_rows(url).empty());
}

TEST_CASE("validate size: a full lock table the estimate cannot see (SQLSTATE 53200) ends the dry run the same way") {
    const std::string url = small_lock_table_database("size_met");
    TempProject project;
    // Tables created by a DO block: not counted by the estimate, but locked all the same.
    for (int i = 1; i <= 10; ++i)
        project.migration(version(i) + "_d" + std::to_string(i) + ".sql",
                          "do $$ begin for i in 1..40 loop\n"
                          "  execute format('create table d" +
                              std::to_string(i) + "_%s (id int primary key, note text)', i);\nend loop; end $$;\n");
    const auto schema = schema_dump(url);
    auto s = validate(project, url);
    INFO(describe(s.r));
    CHECK(s.r.exit_code == 1);
    CHECK(s.errors() == 1);
    const auto v = verdicts(s.outputs["verdicts"]);
    REQUIRE(v.size() == 10);
    std::size_t passed = 0;
    while (passed < v.size() && v[passed] == "ok") ++passed;
    CHECK(passed >= 1);
    CHECK(passed < 10);
    CHECK(std::vector<std::string>(v.begin() + static_cast<long>(passed), v.end()) == repeat("not run", 10 - passed));
    const std::string files = passed == 1 ? "file 1" : "files 1-" + std::to_string(passed);
    CHECK(contains(s.log(), "::error::" + files +
                                " passed the dry run; the rest need more locks than this server allows in one "
                                "transaction%0A" +
                                std::to_string(10 - passed) + " migrations from \""));
    CHECK(contains(s.log(),
                   "were not run: the server ran out of lock memory in it (SQLSTATE 53200, out of shared memory)"));
    CHECK_FALSE(contains(s.log(), "FAILED"));
    CHECK(s.outputs["failed_count"] == "0");
    CHECK(schema_dump(url) == schema);
    CHECK(history_rows(url).empty());
}

TEST_CASE("validate size: a failing file among ten is one failure, and --keep-going gives ten verdicts") {
    const std::string url = fresh_database("size_ten");
    TempProject project;
    for (int i = 1; i <= 10; ++i) {
        const std::string n = std::to_string(i);
        std::string sql = "create table public.t" + n + " (id int primary key);\n";
        if (i == 3) sql += "select 1/0;\n";                           // the failure
        if (i == 6) sql = "insert into public.t3 values (1);\n";     // fails only because file 3 did
        project.migration(version(i) + "_f" + n + ".sql", sql);
    }
    const auto schema = schema_dump(url);

    SUBCASE("default: the dry run stops at the failure, the rest are not run") {
        auto s = validate(project, url);
        INFO(describe(s.r));
        CHECK(s.r.exit_code == 1);
        CHECK(s.errors() == 1);
        CHECK(contains(s.log(), "::error file=supabase/migrations/" + version(3) + "_f3.sql,line=2::division by zero"));
        CHECK(verdicts(s.outputs["verdicts"]) == std::vector<std::string>{"ok", "ok", "failed", "not run", "not run",
                                                                          "not run", "not run", "not run", "not run",
                                                                          "not run"});
        CHECK(s.outputs["failed_count"] == "1");
        CHECK(contains(s.log(), "FAILED  " + version(3) + "_f3.sql line 2\nnot run " + version(4) + "_f4.sql\n"));
        CHECK(contains(s.log(), "1 of 10 migrations failed the dry run (7 not run after it); nothing was changed\n"));
        CHECK(contains(s.summary, "| " + version(4) + " | f4 | not run |\n"));
        CHECK(contains(s.summary, "7 migrations after the first failure were not run: the dry run stops there, as "
                                  "push does (--keep-going gives every file a verdict)\n"));
    }
    SUBCASE("--keep-going: every file its verdict, the failure after the first marked") {
        auto s = validate(project, url, {"--keep-going"});
        INFO(describe(s.r));
        CHECK(s.r.exit_code == 1);
        CHECK(s.errors() == 2);
        CHECK(verdicts(s.outputs["verdicts"]) ==
              std::vector<std::string>{"ok", "ok", "failed", "ok", "ok", "failed", "ok", "ok", "ok", "ok"});
        CHECK(s.outputs["failed_count"] == "2");
        CHECK(count_of(s.outputs["verdicts"], "\"possibly_consequential\":true") == 1);
        CHECK(contains(s.outputs["verdicts"], "\"sqlstate\":\"42P01\",\"possibly_consequential\":true}"));
        CHECK(contains(s.log(), "FAILED  " + version(6) +
                                    "_f6.sql line 1 (possibly a consequence of the failure of \"" + version(3) +
                                    "_f3.sql\")\n"));
        CHECK(contains(s.log(), "hint: possibly a consequence of the failure of \"" + version(3) +
                                    "_f3.sql\" before it: fix that one first"));
        CHECK(contains(s.log(), "2 of 10 migrations failed the dry run (1 possibly as a consequence of the first); "
                                "nothing was changed\n"));
        CHECK_FALSE(contains(s.log(), "not run"));
    }
    CHECK(schema_dump(url) == schema);
    CHECK(history_rows(url).empty());
}

namespace {

// One libpq session of the test's own.
class Session {
public:
    explicit Session(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
        if (PQstatus(conn_.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_.get()));
    }
    std::string exec(const std::string& sql) {
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            throw std::runtime_error(sql + ": " + PQerrorMessage(conn_.get()));
        return st == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
    }

private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// Objects this session holds a lock on, each once (what the shared lock table counts).
constexpr const char* kHeld =
    "SELECT count(DISTINCT (locktype, database, relation, page, tuple, classid, objid, objsubid)) FROM pg_locks WHERE "
    "pid = pg_backend_pid() AND locktype NOT IN ('virtualxid', 'transactionid')";

} // namespace

TEST_CASE("validate size: the lock estimate is at least what PostgreSQL locks") {
    using namespace sbdeploy::migrations;
    const std::string url = fresh_database("size_estimate_check");
    Session db(url);
    db.exec("create schema auth; create table public.existing (id int primary key, note text)");
    // The shapes of Supabase migrations, and what locks more than it names.
    const std::vector<std::string> files = {
        "create table public.items (id bigint generated always as identity primary key, owner uuid,\n"
        "  name text not null default 'x', payload jsonb, created_at timestamptz default now());\n"
        "comment on table public.items is 'items';\ninsert into public.items (name) values ('a');\n",
        "create index items_name_idx on public.items (lower(name));\n"
        "create index items_owner_idx on public.items (owner) where owner is not null;\n",
        "create or replace function public.touch() returns trigger language plpgsql as $$\n"
        "begin new.name := trim(new.name); return new; end; $$;\n"
        "create trigger items_touch before insert on public.items for each row execute function public.touch();\n",
        "alter table public.items enable row level security;\n"
        "create policy \"read\" on public.items for select using (true);\n",
        "create table tags (id serial primary key, label text unique, item bigint references public.items (id));\n"
        "create view public.item_names as select i.name, t.label from public.items i join tags t on t.item = i.id;\n",
        "alter table public.existing add column added text default 'x', alter column note type varchar(200);\n"
        "create sequence public.counter;\ncreate type public.mood as enum ('happy');\n",
        "drop table public.existing;\ncreate materialized view public.counts as select count(*) from public.items;\n",
    };
    std::vector<Migration> migrations;
    for (std::size_t i = 0; i < files.size(); ++i) {
        MigrationFile f;
        f.version = version(static_cast<int>(i) + 1);
        f.filename = f.version + "_f.sql";
        auto m = parse_migration(f, files[i]);
        REQUIRE(m.has_value());
        migrations.push_back(std::move(*m));
    }
    db.exec("BEGIN");
    const long before = std::stol(db.exec(kHeld));  // pg_locks itself, the catalogs read
    LockEstimate estimate;
    for (std::size_t i = 0; i < files.size(); ++i) {
        estimate.add(migrations[i]);
        db.exec(files[i]);
        const long held = std::stol(db.exec(kHeld)) - before;
        INFO("after file " << i + 1 << ": estimate " << estimate.total() << ", held " << held);
        CHECK(static_cast<long>(estimate.total()) >= held);
        // Conservative, yet not so far off that a dry run stops long before the server would.
        CHECK(static_cast<long>(estimate.total()) <= 2 * held + 8);
    }
    db.exec("ROLLBACK");
}
