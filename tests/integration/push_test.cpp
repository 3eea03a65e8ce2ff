// End to end: the built binary's push (and validate) against the real PostgreSQL of the
// fixture: failures located at the file's line, atomic files, concurrent pushes, the
// transaction rules, and session state that never leaks from one file into the next.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

std::map<std::string, std::string> outputs(const std::string& path) {
    std::map<std::string, std::string> m;
    for (auto& [name, value] : parse_file_commands(slurp(path))) m[name] = value;
    return m;
}

} // namespace

TEST_CASE("push: a failing migration is reported at its file and line, and nothing of it remains") {
    TempProject project;
    project.migration("20240101000001_first.sql",
                      "create table before_fail (id int);\ninsert into before_fail values (1);\n");
    project.migration("20240101000002_fails.sql", kFailsOnLine7);
    project.migration("20240101000003_after.sql", "create table after_fail (id int);\n");
    const std::string url = fresh_database("push_fail");

    SUBCASE("in a terminal") {
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: supabase/migrations/20240101000002_fails.sql:7: relation \"missing_table\" "
                       "does not exist (SQLSTATE 42P01)\n"
                       "  statement 3 of 3:\n"
                       "  7 |   from missing_table\n"
                       "    |        ^\n"
                       "hint: fix the migration and run again: nothing of this file was applied\n");
        CHECK(r.out.find("Applied 20240101000001_first.sql (") != std::string::npos);
        CHECK(r.out.find("20240101000002_fails.sql (") == std::string::npos);
    }
    SUBCASE("under GitHub Actions: an annotation on the line, outputs and summary") {
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", project.path("github_output")},
                {"GITHUB_STEP_SUMMARY", project.path("step_summary")}};
        project.file("github_output", "");
        project.file("step_summary", "");
        auto r = run_with_db("push", project, url, {}, env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("::error file=supabase/migrations/20240101000002_fails.sql,line=7::relation "
                                "\"missing_table\" does not exist (SQLSTATE 42P01)%0Astatement 3 of 3:%0A7 |   from "
                                "missing_table%0A  |        ^%0Ahint: fix the migration"));
        auto out = outputs(project.path("github_output"));
        CHECK(out["applied_count"] == "1");
        CHECK(out["pending_count"] == "2");
        CHECK(out["applied"] == R"(["20240101000001"])");
        auto summary = slurp(project.path("step_summary"));
        CHECK(summary.starts_with("❌ **push**: 1 of 3 applied, failed at `20240101000002_fails.sql` line 7\n\n"));
        CHECK(summary.find("| 20240101000002 | fails | ❌ **failed** at line 7 |  |\n") != std::string::npos);
        CHECK(summary.find("| 20240101000003 | after | not run |  |\n") != std::string::npos);
        CHECK(summary.find("**Failed**: `supabase/migrations/20240101000002_fails.sql` line 7: relation "
                           "\"missing\\_table\" does not exist (SQLSTATE 42P01)\n") != std::string::npos);
    }
    SUBCASE("with --json") {
        auto r = run_with_db("push", project, url, {"--json"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find(R"("pending":["20240101000002","20240101000003"],"error":{"file":"supabase/migrations/)"
                         R"(20240101000002_fails.sql","line":7,"message":"relation \"missing_table\" does not exist )"
                         R"j((SQLSTATE 42P01)","sqlstate":"42P01"}})j") != std::string::npos);
    }

    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK(query_column(url, "SELECT count(*) FROM before_fail") == v({"1"}));
    CHECK_FALSE(exists(url, "public.half_done"));
    CHECK_FALSE(exists(url, "public.after_fail"));

    // Fixed, the same push goes on from the failed file.
    project.migration("20240101000002_fails.sql", "create table half_done (id int);\n");
    auto again = run_with_db("push", project, url);
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
}

TEST_CASE("validate: the dry run executes pending migrations and leaves the database unchanged") {
    TempProject project;
    project.migration("20240101000001_base.sql", "create table base (id int primary key, label text);\n");
    const std::string url = fresh_database("validate");
    REQUIRE(run_with_db("push", project, url).exit_code == 0);
    project.migration("20240101000002_more.sql",
                      "alter table base add column note text;\n"
                      "insert into base values (1, 'one', 'a; b');\n"
                      "create function base_count() returns bigint language sql as $$ select count(*) from base $$;\n"
                      "set search_path = '';\n");
    project.migration("20240101000003_uses_more.sql",
                      "insert into public.base values (2, 'two', public.base_count()::text);\n");
    const auto schema = schema_dump(url);
    const auto history = history_rows(url);
    REQUIRE(history.size() == 1);

    SUBCASE("all pass") {
        auto r = run_with_db("validate", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("ok      20240101000002_more.sql\nok      20240101000003_uses_more.sql\n") !=
              std::string::npos);
        CHECK(r.out.find("All 2 pending migrations passed the dry run against ") != std::string::npos);
    }
    SUBCASE("one fails: named with its file and line") {
        project.migration("20240101000004_fails.sql", kFailsOnLine7);
        // The dry run's verdict alone (its table has no row level security: not what this is about).
        auto r = run_with_db("validate", project, url, {"--lint-fail-on", "never"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("ok      20240101000003_uses_more.sql\nFAILED  20240101000004_fails.sql line 7\n") !=
              std::string::npos);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000004_fails.sql:7: relation "
                                "\"missing_table\" does not exist (SQLSTATE 42P01)\n"));
    }
    CHECK(schema_dump(url) == schema);
    CHECK(history_rows(url) == history);
    CHECK(query_column(url, "SELECT count(*) FROM base") == v({"0"}));
}

TEST_CASE("validate: on a database never pushed to, not even the history table is left behind") {
    TempProject project;
    project.migration("20240101000001_base.sql",
                      "create table base (id int);\nalter table base enable row level security;\n");
    const std::string url = fresh_database("validate_new");
    const auto schema = schema_dump(url);
    auto r = run_with_db("validate", project, url);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(schema_dump(url) == schema);
    CHECK_FALSE(exists(url, "supabase_migrations.schema_migrations"));
}

TEST_CASE("push: two pushes started together apply each migration exactly once") {
    TempProject project;
    project.migration("20240101000000_counter.sql", "create table applied_once (version text not null);\n"
                                                    "insert into applied_once values ('20240101000000');\n");
    for (int i = 1; i < 30; ++i) {
        std::string version = std::string(i < 10 ? "2024010100000" : "202401010000") + std::to_string(i);
        // The short sleep keeps the first push busy while the second one arrives.
        project.migration(version + "_step.sql",
                          "insert into applied_once values ('" + version + "');\nselect pg_sleep(0.01);\n");
    }
    const std::string url = fresh_database("push_race");
    ProcessResult first, second;
    std::thread a([&] { first = run_with_db("push", project, url); });
    std::thread b([&] { second = run_with_db("push", project, url); });
    a.join();
    b.join();
    INFO(describe(first));
    INFO(describe(second));
    CHECK(first.exit_code == 0);
    CHECK(second.exit_code == 0);
    // One applied everything; the other waited for the lock and found nothing left.
    bool first_pushed = first.out.find("Pushed 30 migrations to ") != std::string::npos;
    const ProcessResult& pusher = first_pushed ? first : second;
    const ProcessResult& waiter = first_pushed ? second : first;
    CHECK(pusher.out.find("Pushed 30 migrations to ") != std::string::npos);
    CHECK(waiter.out.starts_with("Remote database is up to date: "));
    CHECK(query_column(url, "SELECT count(*) FROM supabase_migrations.schema_migrations") == v({"30"}));
    CHECK(query_column(url,
                       "SELECT count(*) || ' rows, ' || count(DISTINCT version) || ' versions' FROM applied_once") ==
          v({"30 rows, 30 versions"}));
    CHECK(query_column(url, "SELECT count(*) FROM applied_once a JOIN supabase_migrations.schema_migrations h USING "
                            "(version)") == v({"30"}));
}

TEST_CASE("push: a file wrapped in its own BEGIN and COMMIT is atomic with its history row") {
    TempProject project;
    const std::string url = fresh_database("push_wrapped");
    const std::string wrapped = "-- wrapped by hand\nBEGIN;\n\ncreate table wrapped (id int);\ninsert into wrapped "
                                "values (1);\n\nCOMMIT;\n";

    SUBCASE("applies, recorded with BEGIN and COMMIT as the CLI stores them") {
        project.migration("20240101000001_wrapped.sql", wrapped);
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(query_column(url, "SELECT count(*) FROM wrapped") == v({"1"}));
        CHECK(history_rows(url) == v({"20240101000001|wrapped|[\"-- wrapped by hand\\nBEGIN\",\"create table wrapped "
                                      "(id int)\",\"insert into wrapped values (1)\",\"COMMIT\"]"}));
    }
    SUBCASE("a failing statement leaves nothing") {
        project.migration("20240101000001_wrapped.sql",
                          "BEGIN;\ncreate table wrapped (id int);\ninsert into wrapped values ('x');\nCOMMIT;\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000001_wrapped.sql:3: invalid input "
                                "syntax for type integer: \"x\" (SQLSTATE 22P02)\n"));
        CHECK_FALSE(exists(url, "public.wrapped"));
        CHECK(history_versions(url).empty());
    }
    SUBCASE("its COMMIT does not commit before the history row: a failing history insert undoes the file") {
        // The file records its own version, so our history insert hits the primary key.
        project.migration("20240101000001_wrapped.sql",
                          "BEGIN;\ncreate table wrapped (id int);\ninsert into supabase_migrations.schema_migrations "
                          "(version) values ('20240101000001');\nCOMMIT;\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("recording \"20240101000001_wrapped.sql\" failed: duplicate key value violates unique "
                         "constraint \"schema_migrations_pkey\" (SQLSTATE 23505)") != std::string::npos);
        CHECK_FALSE(exists(url, "public.wrapped"));
        CHECK(history_versions(url).empty());
    }
    SUBCASE("COMMIT; BEGIN; in the middle: each part in its own transaction, the history row with the last") {
        project.migration("20240101000001_ok.sql", "create table applied_first (id int);\n");
        project.migration("20240101000002_split.sql",
                          "BEGIN;\ncreate table part_one (id int);\nCOMMIT;\nBEGIN;\ncreate table part_two (id int);\n"
                          "COMMIT;\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("sbdeploy: warning: supabase/migrations/20240101000002_split.sql:3: this file commits in the "
                         "middle, so it is applied in 2 transactions") != std::string::npos);
        CHECK(exists(url, "public.applied_first"));
        CHECK(exists(url, "public.part_one"));
        CHECK(exists(url, "public.part_two"));
        CHECK(history_versions(url) == std::vector<std::string>{"20240101000001", "20240101000002"});
    }
}

TEST_CASE("push: statements that cannot run in a transaction block") {
    TempProject project;
    project.migration("20240101000001_table.sql", "create table events (id int, kind text);\n");
    const std::string url = fresh_database("push_cic");

    SUBCASE("a file of only CREATE INDEX CONCURRENTLY applies and is recorded") {
        project.migration(
            "20240101000002_index.sql",
            "-- built without locking writes\ncreate index concurrently events_kind_idx on events (kind);\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("notice: applying 20240101000002_index.sql statement by statement: it cannot run in a "
                         "transaction block; it is recorded only after its last statement succeeds\n") !=
              std::string::npos);
        CHECK(query_column(url,
                           "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'events_kind_idx'::regclass") ==
              v({"true"}));
        CHECK(history_rows(url).back() == "20240101000002|index|[\"-- built without locking writes\\ncreate index "
                                          "concurrently events_kind_idx on events (kind)\"]");
    }
    SUBCASE("a failing one is not recorded") {
        project.migration("20240101000002_index.sql",
                          "create index concurrently events_kind_idx on no_such_table (kind);\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000002_index.sql:1: relation "
                                "\"no_such_table\" does not exist (SQLSTATE 42P01)\n"));
        CHECK(history_versions(url) == v({"20240101000001"}));
    }
    SUBCASE("mixed with other statements it is refused, naming the line") {
        project.migration("20240101000002_mixed.sql", "alter table events add column at timestamptz;\n\n"
                                                      "create index concurrently events_at_idx on events (at);\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000002_mixed.sql:3: this statement "
                                "cannot run in a transaction block, and the file has other statements that must\n"));
        CHECK_FALSE(exists(url, "public.events"));
    }
}

TEST_CASE("push: the history decides what is pending, as the CLI's rules say") {
    TempProject project;
    const std::string url = fresh_database("push_plan");
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    project.migration("20240101000003_three.sql", "create table three (id int);\n");
    REQUIRE(run_with_db("push", project, url).exit_code == 0);

    SUBCASE("a local version older than the newest remote one: refused, then applied with --include-all") {
        project.migration("20240101000002_two.sql", "create table two (id int);\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err ==
              "sbdeploy: error: local migrations older than the last remote one (20240101000003) are not "
              "applied: 20240101000002\n"
              "hint: rename them to a version after 20240101000003, or apply them anyway with --include-all\n");
        CHECK_FALSE(exists(url, "public.two"));

        auto all = run_with_db("push", project, url, {"--include-all"});
        INFO(describe(all));
        CHECK(all.exit_code == 0);
        CHECK(exists(url, "public.two"));
        CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    }
    SUBCASE("a remote version missing locally: refused with the repair hint") {
        project.remove_migration("20240101000003_three.sql");
        project.migration("20240101000004_four.sql", "create table four (id int);\n");
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: remote migration versions not found in \"supabase/migrations\": "
                       "20240101000003\n"
                       "hint: restore the files from git, or if they were deliberately removed, mark them reverted: "
                       "sbdeploy repair --status reverted 20240101000003\n");
        CHECK_FALSE(exists(url, "public.four"));
    }
    SUBCASE("a file edited after it was applied: refused, pushed with --allow-edited") {
        project.migration("20240101000001_one.sql", "create table one (id int);\ncomment on table one is 'edited';\n");
        project.migration("20240101000004_four.sql", "create table four (id int);\n");
        const auto recorded = history_rows(url);
        auto r = run_with_db("push", project, url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: supabase/migrations/20240101000001_one.sql: migrations edited after they "
                       "were applied: 20240101000001 (their statements differ from the recorded ones)\n"
                       "hint: put the change in a new migration and restore the applied file; or, if the edit is "
                       "deliberate (comments, formatting), push with --allow-edited\n");
        CHECK_FALSE(exists(url, "public.four"));

        auto allowed = run_with_db("push", project, url, {"--allow-edited"});
        INFO(describe(allowed));
        CHECK(allowed.exit_code == 0);
        CHECK(allowed.err == "sbdeploy: warning: migration 20240101000001 was edited after it was applied; pushing "
                             "anyway (--allow-edited)\n");
        CHECK(exists(url, "public.four"));
        // The edited file is not re-run, and its record keeps what was applied.
        CHECK(history_rows(url).front() == recorded.front());
        CHECK(query_column(url, "SELECT coalesce(obj_description('one'::regclass), 'none')") == v({"none"}));
    }
}

TEST_CASE("repair, status and push --dry-run change only what they say") {
    TempProject project;
    const std::string url = fresh_database("repair");
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    project.migration("20240101000002_two.sql", "-- two\ncreate table two (id int);\n");

    SUBCASE("push --dry-run lists the files and changes nothing") {
        const auto schema = schema_dump(url);
        auto r = run_with_db("push", project, url, {"--dry-run"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with("Would push 2 migrations to "));
        CHECK(r.out.ends_with(":\n  20240101000001_one.sql\n  20240101000002_two.sql\n"));
        CHECK(schema_dump(url) == schema);
        CHECK_FALSE(exists(url, "supabase_migrations.schema_migrations"));
    }
    SUBCASE("status --json and --fail-on-pending") {
        REQUIRE(run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()}).exit_code == 0);
        project.migration("20240101000003_three.sql", "create table three (id int);\n");
        auto r = run_with_db("status", project, url, {"--json"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == R"({"environment":"","applied_count":2,"pending_count":1,"migrations":[)"
                       R"({"version":"20240101000001","name":"one","time":"2024-01-01 00:00:01","state":"applied"},)"
                       R"({"version":"20240101000002","name":"two","time":"2024-01-01 00:00:02","state":"applied"},)"
                       R"({"version":"20240101000003","name":"three","time":"2024-01-01 00:00:03","state":"pending"}]})"
                       "\n");
        auto failing = run_with_db("status", project, url, {"--fail-on-pending"});
        INFO(describe(failing));
        CHECK(failing.exit_code == 1);
        CHECK(failing.err == "sbdeploy: error: 1 migration is pending\n"
                             "hint: apply them with 'sbdeploy push' (through the deployment workflow)\n");
        REQUIRE(run_with_db("push", project, url).exit_code == 0);
        CHECK(run_with_db("status", project, url, {"--fail-on-pending"}).exit_code == 0);
    }
    SUBCASE("repair --status applied records a file without running it") {
        const auto schema = schema_dump(url);
        auto r = run_sbdeploy({"repair", "--status", "applied", "20240101000002", "--db-url", url, "--workdir",
                               project.root().string()});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Repaired migration history: 20240101000002 => applied\n");
        CHECK(history_rows(url) == v({"20240101000002|two|[\"-- two\\ncreate table two (id int)\"]"}));
        CHECK_FALSE(exists(url, "public.two"));
        // Only the history table was added.
        query_column(url, "DROP SCHEMA supabase_migrations CASCADE");
        CHECK(schema_dump(url) == schema);
    }
    SUBCASE("repair --status reverted forgets a version and keeps its objects") {
        REQUIRE(run_with_db("push", project, url).exit_code == 0);
        const auto schema = schema_dump(url);
        auto r = run_sbdeploy({"repair", "--status", "reverted", "20240101000002", "--db-url", url, "--workdir",
                               project.root().string()});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Repaired migration history: 20240101000002 => reverted\n");
        CHECK(history_versions(url) == v({"20240101000001"}));
        CHECK(schema_dump(url) == schema);
        CHECK(exists(url, "public.two"));
    }
}

TEST_CASE("push: session state set by one file does not leak into the next") {
    // Unqualified names: resolved in public only if the previous file's search_path is gone.
    // Row level security on, as validate's lint requires of a table in public.
    static constexpr const char* kUnqualified =
        "create table unqualified (id int);\nalter table unqualified enable row level security;\n";
    TempProject project;
    const std::string url = fresh_database("push_session");
    const std::string role = "limited_" + query_column(url, "SELECT current_database()").front();

    SUBCASE("search_path") {
        project.migration(
            "20240101000001_empty_path.sql",
            "select set_config('search_path', '', false);\nset search_path = '';\n"
            "create table public.marker (id int);\nalter table public.marker enable row level security;\n");
        project.migration("20240101000002_unqualified.sql", kUnqualified);
    }
    SUBCASE("role") {
        project.migration("20240101000001_set_role.sql",
                          "create role " + role +
                              " nologin;\n"
                              "grant usage on schema supabase_migrations to " +
                              role +
                              ";\n"
                              "grant insert on supabase_migrations.schema_migrations to " +
                              role +
                              ";\n"
                              "set role " +
                              role + ";\n");
        project.migration("20240101000002_unqualified.sql", kUnqualified);
    }
    SUBCASE("timeouts and other settings") {
        // Distinctive values, checked by the next file itself: deterministic, where a short
        // timeout that a leak would trip depends on the machine's speed.
        project.migration("20240101000001_settings.sql", "set statement_timeout = '1h';\nset lock_timeout = '2h';\n"
                                                         "set client_min_messages = 'error';\n");
        project.migration(
            "20240101000002_unqualified.sql",
            std::string(kUnqualified) +
                "do $$ begin\n"
                "  if current_setting('statement_timeout') = '1h' or current_setting('lock_timeout') = '2h'\n"
                "     or current_setting('client_min_messages') = 'error' then\n"
                "    raise exception 'a setting leaked from the previous file';\n"
                "  end if;\n"
                "end $$;\n");
    }
    const auto schema = schema_dump(url);
    auto validated = run_with_db("validate", project, url);
    INFO(describe(validated));
    CHECK(validated.exit_code == 0);
    CHECK(schema_dump(url) == schema);

    auto r = run_with_db("push", project, url);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(exists(url, "public.unqualified"));
    CHECK(query_column(url, "SELECT tableowner FROM pg_tables WHERE tablename = 'unqualified'") == v({"postgres"}));
    CHECK(history_versions(url).size() == 2);
}

TEST_CASE("push: a deferred constraint that fails at commit fails the file") {
    TempProject project;
    const std::string url = fresh_database("push_deferred");
    project.migration("20240101000001_parent.sql",
                      "create table parent (id int primary key);\nalter table parent enable row level security;\n");
    project.migration("20240101000002_child.sql",
                      "create table child (parent_id int references parent deferrable initially deferred);\n"
                      "alter table child enable row level security;\n"
                      "insert into child values (42);\n");
    const std::string expected = "sbdeploy: error: supabase/migrations/20240101000002_child.sql: committing "
                                 "\"20240101000002_child.sql\" failed: insert or update on table \"child\" violates "
                                 "foreign key constraint \"child_parent_id_fkey\" (SQLSTATE 23503)\n";

    auto validated = run_with_db("validate", project, url);
    INFO(describe(validated));
    CHECK(validated.exit_code == 1);
    CHECK(validated.err.starts_with(expected));

    auto r = run_with_db("push", project, url);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with(expected));
    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK_FALSE(exists(url, "public.child"));
}

TEST_CASE("push: an invalid index a failed CREATE INDEX CONCURRENTLY left is dropped and built again on the re-run") {
    // IF NOT EXISTS would see the invalid index and skip the build, recording the file while
    // the index stays invalid (never used by the planner, yet maintained on every write).
    TempProject project;
    project.migration("20240101000001_table.sql", "create table tags (v int);\ninsert into tags values (1), (1);\n");
    project.migration("20240101000002_unique.sql",
                      "create unique index concurrently if not exists tags_v on tags (v);\n");
    const std::string url = fresh_database("push_invalid_index");
    auto failed = run_with_db("push", project, url);
    INFO(describe(failed));
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("hint: the failed statement left the invalid index public.tags_v (never used, but kept up to "
                          "date on every write); the next push drops it before running this file again, or drop it "
                          "now: DROP INDEX CONCURRENTLY IF EXISTS public.tags_v;") != std::string::npos);
    CHECK(query_column(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'tags_v'::regclass") == v({"f"}));

    query_column(url, "DELETE FROM tags WHERE ctid = (SELECT max(ctid) FROM tags) RETURNING 1");
    auto rerun = run_with_db("push", project, url);
    INFO(describe(rerun));
    CHECK(rerun.exit_code == 0);
    CHECK(rerun.err.find("sbdeploy: warning: supabase/migrations/20240101000002_unique.sql: dropped the invalid index "
                         "public.tags_v that an interrupted or failed run of this file left, and built it again") !=
          std::string::npos);
    CHECK(query_column(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'tags_v'::regclass") == v({"t"}));
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));

    // The schema a clean run leaves.
    TempProject clean;
    clean.migration("20240101000001_table.sql", "create table tags (v int);\ninsert into tags values (1);\n");
    clean.migration("20240101000002_unique.sql",
                    "create unique index concurrently if not exists tags_v on tags (v);\n");
    const std::string clean_url = fresh_database("push_clean_index");
    REQUIRE(run_with_db("push", clean, clean_url).exit_code == 0);
    CHECK(schema_dump(url) == schema_dump(clean_url));
}
