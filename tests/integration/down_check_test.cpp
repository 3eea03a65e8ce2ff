// validate's down check against the real PostgreSQL of the fixture: each pending file with down
// SQL runs, then its down SQL, then again, inside the dry run's rolled-back transaction. A
// broken down SQL fails at its file and line, one that forgets an object fails naming it, one
// that does not undo enough for the file to run again fails at step up-again, a correct one
// passes; the database is left as it was (pg_dump and the history compared) every time.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::map<std::string, std::string> outputs(const std::string& path) {
    std::map<std::string, std::string> m;
    for (auto& [name, value] : parse_file_commands(slurp(path))) m[name] = value;
    return m;
}

constexpr const char* kBase = "create table public.moods (id int primary key, mood text);\n";
constexpr const char* kAddNote = "alter table public.moods add column note text not null default '';\n"
                                 "create index moods_note_idx on public.moods (note);\n";

// A project with one applied migration (public.moods) and kAddNote pending, whose down SQL is
// `down` in supabase/migrations/down/; the database's schema and history before validate.
struct Fixture {
    TempProject project;
    std::string url;
    std::string schema;
    std::vector<std::string> history;

    Fixture(const std::string& name, const std::string& down) : url(fresh_database(name)) {
        project.migration("20240101000001_base.sql", kBase);
        REQUIRE(run_with_db("push", project, url).exit_code == 0);
        project.migration("20240101000002_note.sql", kAddNote);
        std::filesystem::create_directories(project.root() / "supabase/migrations/down");
        project.migration("down/20240101000002_note.sql", down);
        schema = schema_dump(url);
        history = history_rows(url);
    }
    void unchanged() const {
        CHECK(schema_dump(url) == schema);
        CHECK(history_rows(url) == history);
    }
};

constexpr const char* kDownFile = "supabase/migrations/down/20240101000002_note.sql";

}  // namespace

TEST_CASE("down check: a broken down SQL fails validate at the down file's line") {
    SUBCASE("a syntax error") {
        Fixture f("down_check_syntax",
                  "-- undo the note\ndrop index public.moods_note_idx;\nalter table public.moods dropp column note;\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out,
                       "FAILED  20240101000002_note.sql: its down SQL, " + std::string(kDownFile) + " line 3\n"));
        CHECK(contains(r.err,
                       "sbdeploy: error: " + std::string(kDownFile) +
                           ":3: down SQL of \"20240101000002_note.sql\" failed after the migration: syntax error "
                           "at or near \"dropp\" (SQLSTATE 42601)\n"));
        CHECK(contains(r.err, "hint: validate ran the migration, then its down SQL, in a transaction it rolled back: "
                              "fix the down SQL so that it undoes the migration\n"));
        f.unchanged();
    }
    SUBCASE("a runtime error, under GitHub Actions: annotation on the down file, verdicts and summary") {
        Fixture f("down_check_runtime",
                  "drop index public.moods_note_idx;\n\nalter table public.moods drop column notes;\n");
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", f.project.path("github_output")},
                {"GITHUB_STEP_SUMMARY", f.project.path("step_summary")}};
        f.project.file("github_output", "");
        f.project.file("step_summary", "");
        auto r = run_with_db("validate", f.project, f.url, {}, env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "::error file=" + std::string(kDownFile) +
                                  ",line=3::down SQL of \"20240101000002_note.sql\" failed after the migration: column "
                                  "\"notes\" of relation \"moods\" does not exist (SQLSTATE 42703)"));
        auto out = outputs(f.project.path("github_output"));
        CHECK(out["valid"] == "false");
        CHECK(out["failed_count"] == "1");
        CHECK(out["verdicts"] ==
              "[{\"version\":\"20240101000002\",\"file\":\"supabase/migrations/20240101000002_note.sql\","
              "\"verdict\":\"failed\",\"step\":\"down\",\"down\":\"failed\",\"down_file\":\"" +
                  std::string(kDownFile) +
                  "\",\"line\":3,\"message\":\"down SQL of \\\"20240101000002_note.sql\\\" failed after the migration: "
                  "column \\\"notes\\\" of relation \\\"moods\\\" does not exist (SQLSTATE 42703)\",\"sqlstate\":"
                  "\"42703\"}]");
        auto summary = slurp(f.project.path("step_summary"));
        CHECK(contains(summary,
                       "| 20240101000002 | note | ✅ ok | ❌ line 3: down SQL of "
                       "\"20240101000002\\_note.sql\" failed after the migration: column \"notes\" of relation "
                       "\"moods\" does not exist (SQLSTATE 42703) |\n"));
        f.unchanged();
    }
}

TEST_CASE("down check: a down SQL that forgets an object fails naming it") {
    SUBCASE("an index") {
        Fixture f("down_check_index", "alter table public.moods drop column note;\n");
        // Dropping the column drops its index too: forget the index of an expression instead.
        f.project.migration("20240101000002_note.sql",
                            std::string(kAddNote) +
                                "create index moods_lower_mood_idx on public.moods (lower(mood));\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out,
                       "FAILED  20240101000002_note.sql: its down SQL does not restore the schema (1 object)\n"));
        CHECK(contains(r.err, "sbdeploy: error: " + std::string(kDownFile) +
                                  ": down SQL of \"20240101000002_note.sql\" leaves index public.moods_lower_mood_idx "
                                  "(created by the file)\n"));
        f.unchanged();
    }
    SUBCASE("a column, and a default the file changed") {
        Fixture f("down_check_column", "drop index public.moods_note_idx;\n");
        f.project.migration("20240101000002_note.sql",
                            std::string(kAddNote) + "alter table public.moods alter column mood set default 'ok';\n");
        auto r = run_with_db("validate", f.project, f.url, {"--json"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, ": down SQL of \"20240101000002_note.sql\" leaves column public.moods.note (created by "
                              "the file)\n"));
        CHECK(contains(r.err, ": down SQL of \"20240101000002_note.sql\" does not restore column public.moods.mood: "
                              "default \"none\" before the file, \"'ok'::text\" after its down SQL\n"));
        CHECK(contains(r.out, "\"step\":\"down\",\"down\":\"failed\""));
        CHECK(contains(r.out, "\"differences\":[\"does not restore column public.moods.mood: default \\\"none\\\" "
                              "before the file, \\\"'ok'::text\\\" after its down SQL\",\"leaves column "
                              "public.moods.note (created by the file)\"]"));
        f.unchanged();
    }
    SUBCASE("a role") {
        Fixture f("down_check_role", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n");
        f.project.migration("20240101000002_note.sql", std::string(kAddNote) +
                                                           "create role down_check_reader nologin;\n"
                                                           "grant select on public.moods to down_check_reader;\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, ": down SQL of \"20240101000002_note.sql\" does not restore table public.moods: "
                              "privileges \"postgres=arwdDxt/postgres\" before the file, "
                              "\"down_check_reader=r/postgres,postgres=arwdDxt/postgres\" after its down SQL\n"));
        CHECK(contains(r.err, ": down SQL of \"20240101000002_note.sql\" leaves role down_check_reader (created by "
                              "the file)\n"));
        CHECK(query_column(f.url, "SELECT count(*) FROM pg_roles WHERE rolname = 'down_check_reader'") ==
              std::vector<std::string>{"0"});
        f.unchanged();
    }
    SUBCASE("row level security and a policy") {
        Fixture f("down_check_rls", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n");
        f.project.migration("20240101000002_note.sql",
                            std::string(kAddNote) +
                                "alter table public.moods enable row level security;\n"
                                "create policy \"read all\" on public.moods for select using (true);\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "does not restore table public.moods: row level security \"disabled\" before the file, "
                              "\"enabled\" after its down SQL\n"));
        CHECK(contains(r.err, "leaves policy \"read all\" on public.moods (created by the file)\n"));
        f.unchanged();
    }
}

TEST_CASE("down check: a correct down SQL passes, and files without one are counted") {
    Fixture f("down_check_ok", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n");
    f.project.migration("20240101000003_label.sql", "alter table public.moods add column label text;\n");
    Env env{{"GITHUB_ACTIONS", "true"},
            {"GITHUB_OUTPUT", f.project.path("github_output")},
            {"GITHUB_STEP_SUMMARY", f.project.path("step_summary")}};
    f.project.file("github_output", "");
    f.project.file("step_summary", "");
    auto r = run_with_db("validate", f.project, f.url, {}, env);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "ok      20240101000002_note.sql (down SQL undoes it)\n"));
    CHECK(contains(r.out, "ok      20240101000003_label.sql\n"));
    CHECK(contains(r.out, "1 pending migration of 2 has no down SQL: rollback cannot undo it\n"));
    auto out = outputs(f.project.path("github_output"));
    CHECK(out["valid"] == "true");
    CHECK(contains(out["verdicts"],
                   "\"verdict\":\"ok\",\"down\":\"passed\",\"down_file\":\"" + std::string(kDownFile)));
    CHECK(contains(out["verdicts"], "\"verdict\":\"ok\",\"down\":\"none\"}"));
    auto summary = slurp(f.project.path("step_summary"));
    CHECK(contains(summary, "| 20240101000002 | note | ✅ ok | ✅ undoes it |\n"));
    CHECK(contains(summary, "| 20240101000003 | label | ✅ ok | none |\n"));
    CHECK(contains(summary, "1 pending migration of 2 has no down SQL: rollback cannot undo it\n"));
    f.unchanged();
}

TEST_CASE("down check: a file that cannot run again after its down SQL fails at step up-again") {
    // The down SQL restores the catalog but not the row the file inserted: running the file
    // again hits the primary key, as a push after a rollback would.
    Fixture f("down_check_again", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n");
    f.project.migration("20240101000002_note.sql",
                        std::string(kAddNote) + "insert into public.moods (id) values (1);\n");
    auto r = run_with_db("validate", f.project, f.url, {"--json"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "FAILED  20240101000002_note.sql line 3, run again after its down SQL\n"));
    CHECK(contains(r.err, "sbdeploy: error: supabase/migrations/20240101000002_note.sql:3: running "
                          "\"20240101000002_note.sql\" again after its down SQL failed: duplicate key value violates "
                          "unique constraint \"moods_pkey\" (SQLSTATE 23505)\n"));
    CHECK(contains(r.err, "hint: its down SQL (" + std::string(kDownFile) +
                              ") does not undo everything the migration "
                              "does; make it drop or revert what this statement finds left behind\n"));
    CHECK(contains(r.out, "\"verdict\":\"failed\",\"step\":\"up-again\",\"down\":\"failed\""));
    f.unchanged();
}

TEST_CASE("down check: a failing migration fails at step up, and --no-down-check turns the check off") {
    Fixture f("down_check_off", "alter table public.moods dropp column note;\n");
    SUBCASE("the migration itself fails: step up, its down SQL not run") {
        f.project.migration("20240101000002_note.sql", "alter table public.nope add column note text;\n");
        auto r = run_with_db("validate", f.project, f.url, {"--json"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.out, "\"verdict\":\"failed\",\"step\":\"up\",\"down\":\"not checked\""));
        CHECK_FALSE(contains(r.err, "dropp"));
    }
    SUBCASE("--no-down-check") {
        auto r = run_with_db("validate", f.project, f.url, {"--no-down-check"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "ok      20240101000002_note.sql\n"));
    }
    SUBCASE("SBDEPLOY_NO_DOWN_CHECK") {
        auto r = run_with_db("validate", f.project, f.url, {}, Env{{"SBDEPLOY_NO_DOWN_CHECK", "true"}});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
    }
    f.unchanged();
}

TEST_CASE("down check: a later file sees the database as the file alone left it") {
    // A sequence-backed table created and dropped by the down SQL: the next file inserts into
    // it and reads a function of the first; both pass, the database is untouched.
    Fixture f("down_check_later", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n"
                                  "drop table public.tags;\ndrop function public.tag_count();\n");
    f.project.migration("20240101000002_note.sql",
                        std::string(kAddNote) +
                            "create table public.tags (id serial primary key, moods_id int references public.moods);\n"
                            "alter table public.tags enable row level security;\n"
                            "create function public.tag_count() returns bigint language sql as "
                            "$$ select count(*) from public.tags $$;\n");
    f.project.migration("20240101000003_use.sql", "insert into public.tags (moods_id) values (null);\n"
                                                  "select public.tag_count();\n");
    auto r = run_with_db("validate", f.project, f.url);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "ok      20240101000002_note.sql (down SQL undoes it)\n"));
    CHECK(contains(r.out, "ok      20240101000003_use.sql\n"));
    f.unchanged();
}

TEST_CASE("down check: down SQL in a -- sbdeploy:down section, down SQL outside a transaction, the Management API") {
    Fixture f("down_check_forms", "drop index public.moods_note_idx;\nalter table public.moods drop column note;\n");
    SUBCASE("a section: its error is at the migration file's line") {
        f.project.remove_migration("down/20240101000002_note.sql");
        f.project.migration("20240101000002_note.sql", std::string(kAddNote) +
                                                           "-- sbdeploy:down\n"
                                                           "drop index public.moods_note_idx;\n"
                                                           "alter table public.moods drop column nope;\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(contains(r.err, "sbdeploy: error: supabase/migrations/20240101000002_note.sql:5: down SQL of "
                              "\"20240101000002_note.sql\" failed after the migration: column \"nope\" of relation "
                              "\"moods\" does not exist (SQLSTATE 42703)\n"));
    }
    SUBCASE("down SQL that cannot run in a transaction block is not checked, and says so") {
        f.project.migration("down/20240101000002_note.sql", "drop index concurrently public.moods_note_idx;\n");
        auto r = run_with_db("validate", f.project, f.url);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "ok      20240101000002_note.sql (down SQL not checked: its down SQL cannot run in a "
                              "transaction block)\n"));
    }
    SUBCASE("over the Management API: not checked, with a notice saying why") {
        f.project.migration("down/20240101000002_note.sql", "alter table public.moods dropp column note;\n");
        const std::string ref = api_server().add_project(f.url);
        auto r = run_api("validate", f.project, ref);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out + r.err, "down SQL not checked: over the Management API each request is a transaction of "
                                      "its own"));
    }
    f.unchanged();
}
