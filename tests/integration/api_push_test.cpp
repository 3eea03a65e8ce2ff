// The migration commands over the Management API transport (the stand-in on the fixture's
// PostgreSQL): the same results, history rows and error reports as over libpq; each file and
// its history row in one request with the push lock and a re-check; the dry run in one
// request that ends in ROLLBACK; concurrent pushes that apply each file exactly once.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "version.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

ProcessResult run_pg(const std::string& command, const TempProject& project, const std::string& url,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args{command, "--db-url", url, "--workdir", project.root().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sbdeploy(args);
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("api push: each file and its history row go in one request, recorded as over libpq") {
    TempProject project;
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    project.migration("20240101000002_two.sql", "-- two\ncreate table two (id int);\ninsert into two values (2);\n");
    project.migration("20240101000003_three.sql", "create view three as select * from two;\n");
    const std::string url = fresh_database("api_push");
    const std::string ref = api_server().add_project(url);
    api_server().reset();

    auto r = run_api("push", project, ref);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const std::string target = "project " + ref + " (Management API at " + api_server().url() + ")";
    CHECK(r.out.find("Applied 20240101000001_one.sql (") != std::string::npos);
    CHECK(r.out.ends_with("Pushed 3 migrations to " + target + "\n"));
    CHECK(query_column(url, "SELECT count(*) FROM two") == v({"1"}));

    const std::string by_pg = fresh_database("api_push_pg");
    REQUIRE(run_pg("push", project, by_pg).exit_code == 0);
    CHECK(history_rows(url) == history_rows(by_pg));
    CHECK(schema_dump(url) == schema_dump(by_pg));

    // One request for the three files: per file BEGIN, the lock and re-check, the file, its row,
    // COMMIT; then which of the versions the history records.
    std::size_t applies = 0;
    for (const auto& req : api_server().log()) {
        CHECK(req.user_agent == "sbdeploy/" SBDEPLOY_VERSION);
        // Only the first history read fails: there is no history table yet (42P01, nothing applied).
        CHECK((req.status == 201 || req.query.starts_with("SELECT version, coalesce(name, '')")));
        if (req.query.find("INSERT INTO supabase_migrations.schema_migrations") == std::string::npos) continue;
        ++applies;
        CHECK(req.query.starts_with("BEGIN\n;\nRESET ALL\n;\nSET SESSION AUTHORIZATION DEFAULT\n;\n"));
        CHECK(count(req.query, "pg_advisory_xact_lock") == 3);
        CHECK(count(req.query, "\n;\nCOMMIT\n;\n") == 3);
        CHECK(req.query.find("SELECT version, name FROM supabase_migrations.schema_migrations WHERE version = ANY(") !=
              std::string::npos);
    }
    CHECK(applies == 1);

    SUBCASE("status reads the same over both transports") {
        project.migration("20240101000004_four.sql", "create table four (id int);\n");
        auto api = run_api("status", project, ref, {"--json"});
        auto pg = run_pg("status", project, by_pg, {"--json"});
        INFO(describe(api));
        CHECK(api.exit_code == 0);
        CHECK(api.out == pg.out);
        CHECK(api.out.find(R"("applied_count":3,"pending_count":1)") != std::string::npos);
        auto failing = run_api("status", project, ref, {"--fail-on-pending"});
        CHECK(failing.exit_code == 1);
        CHECK(failing.err == "sbdeploy: error: 1 migration is pending\n"
                             "hint: apply them with 'sbdeploy push' (through the deployment workflow)\n");
    }
    SUBCASE("a second push finds nothing to do") {
        auto again = run_api("push", project, ref);
        INFO(describe(again));
        CHECK(again.exit_code == 0);
        CHECK(again.out == "Remote database is up to date: " + target + "\n");
    }
}

TEST_CASE("api push: a failing migration is reported at its file and line as over libpq, and nothing of it remains") {
    TempProject project;
    project.migration("20240101000001_first.sql", "create table before_fail (id int primary key);\n");
    const std::string url = fresh_database("api_fail");
    const std::string by_pg = fresh_database("api_fail_pg");
    const std::string ref = api_server().add_project(url);

    SUBCASE("an error with a position: the caret's line") {
        project.migration("20240101000002_fails.sql", kFailsOnLine7);
    }
    SUBCASE("an error found while executing, without a position: the statement's line") {
        project.migration("20240101000002_fails.sql", "create table half_done (id int);\n"
                                                      "insert into before_fail values (1);\n\n"
                                                      "insert into before_fail\n"
                                                      "  values (1);\n"
                                                      "insert into half_done values (1);\n");
    }
    SUBCASE("a deferred constraint that fails at commit") {
        project.migration(
            "20240101000002_fails.sql",
            "create table half_done (parent_id int references before_fail deferrable initially deferred);\n"
            "insert into half_done values (42);\n");
    }
    SUBCASE("a file wrapped in its own BEGIN and COMMIT") {
        project.migration("20240101000002_fails.sql",
                          "BEGIN;\ncreate table half_done (id int);\ninsert into half_done values ('x');\nCOMMIT;\n");
    }
    project.migration("20240101000003_after.sql", "create table after_fail (id int);\n");

    auto api = run_api("push", project, ref);
    auto pg = run_pg("push", project, by_pg);
    INFO(describe(api));
    INFO(describe(pg));
    CHECK(api.exit_code == 1);
    CHECK(api.err == pg.err);
    CHECK(api.err.starts_with("sbdeploy: error: supabase/migrations/20240101000002_fails.sql"));
    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK(exists(url, "public.before_fail"));
    CHECK_FALSE(exists(url, "public.half_done"));
    CHECK_FALSE(exists(url, "public.after_fail"));

    // The same validate verdicts too.
    query_column(url, "DELETE FROM supabase_migrations.schema_migrations");
    query_column(by_pg, "DELETE FROM supabase_migrations.schema_migrations");
    query_column(url, "DROP TABLE before_fail");
    query_column(by_pg, "DROP TABLE before_fail");
    auto api_validate = run_api("validate", project, ref);
    auto pg_validate = run_pg("validate", project, by_pg);
    INFO(describe(api_validate));
    CHECK(api_validate.exit_code == 1);
    CHECK(api_validate.err == pg_validate.err);
    CHECK(api_validate.out.find("ok      20240101000001_first.sql\nFAILED  20240101000002_fails.sql line ") !=
          std::string::npos);
    // The dry run stops at the failure, as the push did (--keep-going: on).
    CHECK(api_validate.out.find("\nnot run 20240101000003_after.sql\n") != std::string::npos);
}

TEST_CASE("api validate: the dry run is one request ending in ROLLBACK, and leaves the database unchanged") {
    TempProject project;
    project.migration("20240101000001_base.sql", "create table base (id int primary key, label text);\n");
    const std::string url = fresh_database("api_validate");
    const std::string ref = api_server().add_project(url);
    REQUIRE(run_api("push", project, ref).exit_code == 0);
    project.migration("20240101000002_more.sql", "alter table base add column note text;\n"
                                                 "insert into base values (1, 'one', 'a; b');\n"
                                                 "set search_path = '';\n");
    project.migration("20240101000003_uses_more.sql", "insert into public.base values (2, 'two', 'x');\n");
    const auto schema = schema_dump(url);
    const auto history = history_rows(url);
    api_server().reset();

    SUBCASE("all pass: one request") {
        auto r = run_api("validate", project, ref);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("ok      20240101000002_more.sql\nok      20240101000003_uses_more.sql\n") !=
              std::string::npos);
        std::size_t dry_runs = 0;
        for (const auto& req : api_server().log())
            if (req.query.ends_with("\n;\nROLLBACK")) ++dry_runs;
        CHECK(dry_runs == 1);
    }
    SUBCASE("the middle one fails: with --keep-going the others still get their verdicts") {
        project.migration("20240101000002_more.sql", "alter table base add column note text;\n"
                                                     "insert into base values (1, 'one', 2, 'too many');\n");
        project.migration("20240101000003_uses_more.sql", "insert into public.base values (2, 'two');\n");
        project.migration("20240101000004_fails_too.sql", "select 1/0;\n");
        auto stopped = run_api("validate", project, ref);  // by default: one request, stopped at the failure
        INFO(describe(stopped));
        CHECK(stopped.exit_code == 1);
        CHECK(stopped.out.find("FAILED  20240101000002_more.sql line 2\nnot run 20240101000003_uses_more.sql\n"
                               "not run 20240101000004_fails_too.sql\n") != std::string::npos);
        CHECK(stopped.err.find("20240101000004_fails_too.sql") == std::string::npos);
        auto r = run_api("validate", project, ref, {"--keep-going"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("FAILED  20240101000002_more.sql line 2\nok      20240101000003_uses_more.sql\n"
                         "FAILED  20240101000004_fails_too.sql line 1 (possibly a consequence of the failure of "
                         "\"20240101000002_more.sql\")\n") != std::string::npos);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000002_more.sql:2: INSERT has more "
                                "expressions than target columns (SQLSTATE 42601)\n"));
        CHECK(r.err.find("sbdeploy: error: supabase/migrations/20240101000004_fails_too.sql:1: division by zero "
                         "(SQLSTATE 22012)\n") != std::string::npos);
    }
    CHECK(schema_dump(url) == schema);
    CHECK(history_rows(url) == history);
    CHECK(query_column(url, "SELECT count(*) FROM base") == v({"0"}));
}

TEST_CASE("api push: two pushes over the API started together apply each migration exactly once") {
    TempProject project;
    project.migration("20240101000000_counter.sql", "create table applied_once (version text not null);\n"
                                                    "insert into applied_once values ('20240101000000');\n");
    for (int i = 1; i < 20; ++i) {
        char version[16];
        std::snprintf(version, sizeof version, "202401010000%02d", i);
        project.migration(std::string(version) + "_step.sql", "insert into applied_once values ('" +
                                                                  std::string(version) +
                                                                  "');\nselect pg_sleep(0.01);\n");
    }
    const std::string url = fresh_database("api_race");
    const std::string ref = api_server().add_project(url);
    ProcessResult first, second;
    std::thread a([&] { first = run_api("push", project, ref); });
    std::thread b([&] { second = run_api("push", project, ref); });
    a.join();
    b.join();
    INFO(describe(first));
    INFO(describe(second));
    CHECK(first.exit_code == 0);
    CHECK(second.exit_code == 0);
    // Between them, every file applied once; what one applied the other skipped (or never saw pending).
    CHECK(count(first.out, "\nApplied ") + count(second.out, "\nApplied ") == 20);
    CHECK(query_column(url, "SELECT count(*) FROM supabase_migrations.schema_migrations") == v({"20"}));
    CHECK(query_column(url,
                       "SELECT count(*) || ' rows, ' || count(DISTINCT version) || ' versions' FROM applied_once") ==
          v({"20 rows, 20 versions"}));
}

TEST_CASE("api push: statements that cannot run in a transaction block go alone, then their history row") {
    TempProject project;
    project.migration("20240101000001_table.sql", "create table events (id int, kind text);\n");
    project.migration("20240101000002_index.sql",
                      "-- built without locking writes\ncreate index concurrently events_kind_idx on events (kind);\n");
    const std::string url = fresh_database("api_cic");
    const std::string ref = api_server().add_project(url);
    auto r = run_api("push", project, ref);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(query_column(url, "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'events_kind_idx'::regclass") ==
          v({"true"}));
    CHECK(history_rows(url).back() == "20240101000002|index|[\"-- built without locking writes\\ncreate index "
                                      "concurrently events_kind_idx on events (kind)\"]");
    auto validated = run_api("validate", project, ref);
    CHECK(validated.exit_code == 0);
}

TEST_CASE("api repair: records and forgets versions in one request, under the push lock") {
    TempProject project;
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    project.migration("20240101000002_two.sql", "-- two\ncreate table two (id int);\n");
    const std::string url = fresh_database("api_repair");
    const std::string ref = api_server().add_project(url);

    auto applied = run_api("repair", project, ref, {"--status", "applied", "20240101000002"});
    INFO(describe(applied));
    CHECK(applied.exit_code == 0);
    CHECK(applied.out == "Repaired migration history: 20240101000002 => applied\n");
    CHECK(history_rows(url) == v({"20240101000002|two|[\"-- two\\ncreate table two (id int)\"]"}));
    CHECK_FALSE(exists(url, "public.two"));

    auto reverted = run_api("repair", project, ref, {"--status", "reverted", "20240101000002"});
    INFO(describe(reverted));
    CHECK(reverted.exit_code == 0);
    CHECK(history_rows(url).empty());

    REQUIRE(run_api("repair", project, ref, {"--status", "applied", "20240101000001"}).exit_code == 0);
    // Another run holds the push lock (as a libpq push does, for its whole session): the
    // repair waits --lock-wait for the transaction-level lock, then says so.
    std::unique_ptr<PGconn, decltype(&PQfinish)> holder(PQconnectdb(url.c_str()), &PQfinish);
    REQUIRE(PQstatus(holder.get()) == CONNECTION_OK);
    PQclear(PQexec(holder.get(),
                   "SELECT pg_advisory_lock(hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0))"));
    auto busy = run_api("repair", project, ref, {"--status", "reverted", "20240101000001", "--lock-wait", "200ms"});
    holder.reset();
    INFO(describe(busy));
    CHECK(busy.exit_code == 1);
    // One line saying what is wrong, and the fix (no internal SQLSTATE); the history untouched.
    CHECK(busy.err == "sbdeploy: error: repair failed, nothing was changed: another migration run holds the push "
                      "lock: it did not finish within 200ms\n"
                      "hint: wait for it to finish and run again, or raise --lock-wait; GitHub concurrency groups keep "
                      "one push per database at a time\n");
    CHECK(history_versions(url) == v({"20240101000001"}));
}

TEST_CASE("api push: a file that commits in the middle is refused before anything runs") {
    // Its parts would be separate requests, and the push lock does not hold between them.
    TempProject project;
    project.migration("20240101000001_first.sql", "create table first_file (id int);\n");
    project.migration("20240101000002_parts.sql", "create table p1 (id int);\ncommit;\ncreate table p2 (id int);\n");
    const std::string url = fresh_database("api_parts");
    const std::string ref = api_server().add_project(url);
    auto r = run_api("push", project, ref);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("sbdeploy: error: supabase/migrations/20240101000002_parts.sql:2: this migration commits in the "
                     "middle (line 2), which the Management API cannot apply safely") != std::string::npos);
    CHECK_FALSE(exists(url, "public.first_file"));
    CHECK(history_versions(url).empty());
}
