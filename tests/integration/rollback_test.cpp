// sbdeploy rollback against the real PostgreSQL of the fixture: down SQL from a section and
// from sibling files undoing a release down to a schema dump equal to a database that never
// had it, a failing step that leaves nothing of itself, refusals before anything changes,
// record-only and dry runs, the promotion gate after staging rolled back, and push's
// --rollback-on-verify-failure.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/file_commands.hpp"
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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Databases created once per test process and emptied for each use (a CREATE DATABASE per
// subcase costs more than the rest of it). Compared databases are emptied the same way.
std::string database(int slot) {
    static std::map<int, std::string> urls;
    auto& url = urls[slot];
    if (url.empty()) url = fresh_database("rollback" + std::to_string(slot));
    query_column(url, "DROP SCHEMA IF EXISTS supabase_migrations CASCADE; DROP SCHEMA public CASCADE; "
                      "CREATE SCHEMA public; SELECT 1");
    return url;
}

// The schema in one catalog query, for "nothing changed" checks cheaper than a pg_dump:
// relations with their kind and RLS flag, columns, functions, indexes.
std::vector<std::string> catalog(const std::string& url) {
    return query_column(
        url, "SELECT 'rel ' || c.relname || ' ' || c.relkind::text || ' ' || c.relrowsecurity FROM pg_class c "
             "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
             "UNION ALL SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type "
             "FROM information_schema.columns WHERE table_schema = 'public' "
             "UNION ALL SELECT 'fn ' || p.oid::regprocedure::text FROM pg_proc p "
             "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
             "UNION ALL SELECT 'row ' || m.id || ' ' || coalesce(m.mood, '') FROM public.moods m "
             "ORDER BY 1");
}

// A release in three steps, each with its undo: the first and the second in a
// `-- sbdeploy:down` section, the third in a sibling .down.sql file.
constexpr const char* kFirst = "create table public.moods (id bigint primary key, mood text not null);\n"
                               "alter table public.moods enable row level security;\n"
                               "-- sbdeploy:down\n"
                               "drop table public.moods;\n";
constexpr const char* kSecond = "-- a note column, and an index for it\n"
                                "alter table public.moods add column note text;\n"
                                "create index moods_note on public.moods (note);\n"
                                "insert into public.moods values (1, 'happy', 'first');\n"
                                "\n"
                                "-- sbdeploy:down\n"
                                "delete from public.moods where id = 1;\n"
                                "drop index public.moods_note;\n"
                                "alter table public.moods drop column note;\n";
constexpr const char* kThird = "create function public.mood_count() returns bigint language sql stable\n"
                               "  as $$ select count(*) from public.moods $$;\n"
                               "create view public.recent_moods as select id, mood from public.moods;\n";
constexpr const char* kThirdDown = "drop view public.recent_moods;\n"
                                   "drop function public.mood_count();\n";

void write_release(TempProject& p) {
    p.migration("20240101000001_moods.sql", kFirst);
    p.migration("20240101000002_note.sql", kSecond);
    p.migration("20240101000003_count.sql", kThird);
    p.migration("20240101000003_count.down.sql", kThirdDown);
}

} // namespace

TEST_CASE("rollback --to the first of three: schema and history as if only the first had ever run") {
    TempProject project;
    write_release(project);
    const std::string url = database(0);
    auto pushed = run_with_db("push", project, url);
    INFO(describe(pushed));
    REQUIRE(pushed.exit_code == 0);
    REQUIRE(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    // The sections are neither applied nor stored: the history holds the migrations only.
    CHECK(exists(url, "public.moods"));
    CHECK(query_column(url, "SELECT note FROM public.moods") == v({"first"}));
    CHECK_FALSE(contains(history_rows(url)[0] + history_rows(url)[1], "sbdeploy:down"));
    CHECK_FALSE(contains(history_rows(url)[0] + history_rows(url)[1], "drop"));

    // status says which applied versions can be rolled back.
    auto status = run_with_db("status", project, url);
    INFO(describe(status));
    CHECK(status.exit_code == 0);
    CHECK(contains(status.out, "(3 can be rolled back)"));

    // The reference: a database that only ever had the first migration.
    TempProject only_first;
    only_first.migration("20240101000001_moods.sql", kFirst);
    const std::string reference = database(1);
    REQUIRE(run_with_db("push", only_first, reference).exit_code == 0);

    auto r = run_with_db("rollback", project, url, {"--to", "20240101000001"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    // Newest first, each named.
    auto third = r.out.find("Rolled back 20240101000003_count.sql (");
    auto second = r.out.find("Rolled back 20240101000002_note.sql (");
    CHECK(third != std::string::npos);
    CHECK(second != std::string::npos);
    CHECK(third < second);
    CHECK(contains(r.out, "Rolled back 2 versions on "));
    CHECK(schema_dump(url) == schema_dump(reference));
    CHECK(history_rows(url) == history_rows(reference));

    // They are pending again, and push brings them back.
    auto again = run_with_db("push", project, url);
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    CHECK(exists(url, "public.recent_moods"));

    // --last 3 undoes everything, the first migration included: an empty schema again.
    const std::string empty = database(1);
    query_column(empty, "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
                        "(version text NOT NULL PRIMARY KEY, statements text[], name text); SELECT 1");
    auto all = run_with_db("rollback", project, url, {"--last", "3"});
    INFO(describe(all));
    CHECK(all.exit_code == 0);
    CHECK(history_versions(url).empty());
    CHECK(schema_dump(url) == schema_dump(empty));
}

TEST_CASE("rollback: a failing step leaves nothing of itself, the newer one stays rolled back") {
    TempProject project;
    write_release(project);
    // A fourth step whose undo works; the third's undo fails on its second statement, line 2.
    project.migration("20240101000003_count.down.sql", "drop view public.recent_moods;\n"
                                                       "drop function public.no_such_function();\n");
    project.migration("20240101000004_labels.sql", "create table public.labels (id int primary key);\n"
                                                   "alter table public.labels enable row level security;\n"
                                                   "-- sbdeploy:down\n"
                                                   "drop table public.labels;\n");
    const std::string url = database(0);
    REQUIRE(run_with_db("push", project, url).exit_code == 0);
    const auto before = catalog(url);

    SUBCASE("the dry run finds it and changes nothing") {
        auto r = run_with_db("rollback", project, url, {"--to", "20240101000001", "--dry-run"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out, "ok      20240101000004_labels.sql\n"));
        CHECK(contains(r.out, "FAILED  20240101000003_count.sql line 2\n"));
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000003_count.down.sql:2: "));
        CHECK(catalog(url) == before);
        CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003", "20240101000004"}));
    }
    SUBCASE("the rollback stops there, exit 1 naming the file and line") {
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", project.path("github_output")},
                {"GITHUB_STEP_SUMMARY", project.path("step_summary")}};
        project.file("github_output", "");
        project.file("step_summary", "");
        auto r = run_with_db("rollback", project, url, {"--to", "20240101000001"}, env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out, "Rolled back 20240101000004_labels.sql ("));
        CHECK(contains(r.err, "::error file=supabase/migrations/20240101000003_count.down.sql,line=2"));
        CHECK(contains(r.err, "rolling back 20240101000003: function public.no_such_function() does not exist"));
        auto out = outputs(project.path("github_output"));
        CHECK(out["rolled_back"] == "[\"20240101000004\"]");
        CHECK(out["remaining"] == "[\"20240101000003\",\"20240101000002\"]");
        const std::string summary = slurp(project.path("step_summary"));
        CHECK(summary.starts_with("❌ **rollback**: 1 of 3 versions rolled back, failed at "
                                  "`supabase/migrations/20240101000003_count.down.sql` line 2\n\n"));
        CHECK(contains(summary, "| 20240101000003 | count | ❌ **failed** at line 2 |  |\n"));
        CHECK(contains(summary, "Still applied: 20240101000003, 20240101000002\n"));
        // The newer step is rolled back; nothing of the failing one remains (its view is
        // there again); the older one was never touched.
        CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
        CHECK_FALSE(exists(url, "public.labels"));
        CHECK(exists(url, "public.recent_moods"));
        CHECK(query_column(url, "SELECT count(*) FROM pg_proc WHERE proname = 'mood_count'") == v({"1"}));
        CHECK(exists(url, "public.moods_note"));
    }
}

TEST_CASE("rollback: refused before anything changes when a version has no down SQL, and --record-only") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kFirst);
    project.migration("20240101000002_plain.sql", "alter table public.moods add column note text;\n");
    project.migration("20240101000003_count.sql", kThird);
    project.migration("20240101000003_count.down.sql", kThirdDown);
    const std::string url = database(0);
    REQUIRE(run_with_db("push", project, url).exit_code == 0);
    const auto before = catalog(url);
    const auto rows = history_rows(url);

    SUBCASE("named, exit 1, nothing changed") {
        auto r = run_with_db("rollback", project, url, {"--last", "2"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: rollback refused, nothing was changed: 1 version has no down SQL: "
                       "20240101000002 (supabase/migrations/20240101000002_plain.sql)\n"
                       "hint: write each undo in supabase/migrations/down/<version>_<name>.sql (a folder the "
                       "Supabase CLI ignores); or delete only the history rows with --record-only and undo the "
                       "schema yourself\n");
        CHECK(catalog(url) == before);
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("a version without a local file is named too") {
        project.remove_migration("20240101000003_count.sql");
        project.remove_migration("20240101000003_count.down.sql");
        auto r = run_with_db("rollback", project, url, {"--last", "1"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "1 version has no down SQL: 20240101000003 (no local file)\n"));
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("--dry-run runs the down SQL and rolls it back") {
        auto r = run_with_db("rollback", project, url, {"--last", "1", "--dry-run"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "ok      20240101000003_count.sql\n"));
        CHECK(contains(r.out, "All 1 version would roll back on "));
        CHECK(catalog(url) == before);
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("--record-only deletes the history rows and runs nothing, as repair --status reverted") {
        auto r = run_with_db("rollback", project, url, {"--last", "2", "--record-only"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "Deleted the history row of 20240101000002_plain (record only: no SQL was run)\n"));
        CHECK(history_versions(url) == v({"20240101000001"}));
        CHECK(catalog(url) == before);

        // The same as the seeds' record-only rollback with repair.
        const std::string other = database(1);
        REQUIRE(run_with_db("push", project, other).exit_code == 0);
        auto repaired =
            run_with_db("repair", project, other, {"--status", "reverted", "20240101000002", "20240101000003"});
        INFO(describe(repaired));
        REQUIRE(repaired.exit_code == 0);
        CHECK(history_rows(other) == history_rows(url));
    }
    SUBCASE("usage errors: exit 2 before connecting") {
        auto neither = run_with_db("rollback", project, url);
        CHECK(neither.exit_code == 2);
        CHECK(contains(neither.err, "rollback: say what to roll back"));
        auto both = run_with_db("rollback", project, url, {"--to", "20240101000001", "--last", "1"});
        CHECK(both.exit_code == 2);
        auto not_applied = run_with_db("rollback", project, url, {"--to", "20240101000009"});
        CHECK(not_applied.exit_code == 2);
        CHECK(contains(not_applied.err, "rollback --to 20240101000009: that version is not applied"));
        CHECK(history_rows(url) == rows);
    }
}

TEST_CASE("rollback: after staging rolls back, production refuses those versions again") {
    TempProject project;
    write_release(project);
    const std::string staging = database(0);
    const std::string production = database(1);
    Env env{{"SBDEPLOY_STAGING_DB_URL", staging}, {"SBDEPLOY_PRODUCTION_DB_URL", production}};
    auto on = [&](const std::string& environment, const std::string& command, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{command, "--environment", environment, "--workdir", project.root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_sbdeploy(args, env);
    };
    REQUIRE(on("staging", "push").exit_code == 0);
    auto back = on("staging", "rollback", {"--to", "20240101000001"});
    INFO(describe(back));
    REQUIRE(back.exit_code == 0);

    auto refused = on("production", "push");
    INFO(describe(refused));
    CHECK(refused.exit_code == 1);
    CHECK(contains(refused.err, "20240101000002_note (not applied on staging), 20240101000003_count (not applied on "
                                "staging)"));
    CHECK(history_versions(production).empty());
}

TEST_CASE("push --rollback-on-verify-failure: a failed verify rolls this push back") {
    TempProject project;
    write_release(project);
    const std::string url = database(0);
    TempProject first;
    first.migration("20240101000001_moods.sql", kFirst);
    REQUIRE(run_with_db("push", first, url).exit_code == 0);
    const auto before = catalog(url);
    const auto rows = history_rows(url);

    SUBCASE("verify fails: the push's migrations are rolled back, the earlier ones stay") {
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", project.path("github_output")},
                {"GITHUB_STEP_SUMMARY", project.path("step_summary")}};
        project.file("github_output", "");
        project.file("step_summary", "");
        auto r = run_with_db("push", project, url,
                             {"--rollback-on-verify-failure", "--expect", "view:public.recent_moods", "--expect",
                              "table:public.feelings"},
                             env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out, "Applied 20240101000003_count.sql ("));
        CHECK(contains(r.out, "MISSING  table public.feelings"));
        CHECK(contains(r.out, "Rolled back 20240101000003_count.sql ("));
        CHECK(contains(r.out, "Rolled back 20240101000002_note.sql ("));
        CHECK(contains(r.err, "verify failed after the push: rolled back 2 migrations of this push (20240101000003, "
                              "20240101000002)"));
        auto out = outputs(project.path("github_output"));
        CHECK(out["rolled_back"] == "[\"20240101000003\",\"20240101000002\"]");
        CHECK(out["verified"] == "false");
        CHECK(contains(slurp(project.path("step_summary")),
                       "**Verify failed**: rolled back 2 migrations of this push"));
        CHECK(catalog(url) == before);
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("verify passes: nothing is rolled back") {
        auto r = run_with_db("push", project, url,
                             {"--rollback-on-verify-failure", "--expect", "view:public.recent_moods", "--expect",
                              "function:public.mood_count()"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK_FALSE(contains(r.out, "Rolled back"));
        CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    }
    SUBCASE("a pending migration without down SQL: refused before anything is applied") {
        project.migration("20240101000004_plain.sql", "create table public.plain (id int);\n");
        auto r = run_with_db("push", project, url, {"--rollback-on-verify-failure", "--expect", "table:public.plain"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "push --rollback-on-verify-failure refused, nothing was applied: 1 pending migration "
                              "has no down SQL, so a failed verify could not roll it back: 20240101000004 "
                              "(supabase/migrations/20240101000004_plain.sql)"));
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("nothing to verify is a usage error") {
        auto r = run_with_db("push", project, url, {"--rollback-on-verify-failure"});
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "push --rollback-on-verify-failure: nothing to verify"));
        CHECK(history_rows(url) == rows);
    }
}
