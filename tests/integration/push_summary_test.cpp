// push's step summary (issue 24): the first line is the outcome (✅ applied, ❌ failed at file k,
// ⏭️ nothing to push), names and server messages are escaped in the table and the failure
// line, a failure says what stayed applied and what never ran, and long lists collapse behind
// a total line. Against the real PostgreSQL of the fixture, through the built binary.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// push --environment staging with a step summary; returns the summary.
std::string push_summary(TempProject& project, const std::string& url, int expected_exit) {
    project.file("summary.md", "");
    auto r = run_with_db("push", project, url, {"--environment", "staging"},
                         {{"GITHUB_STEP_SUMMARY", project.path("summary.md")}});
    INFO(describe(r));
    CHECK(r.exit_code == expected_exit);
    return slurp(project.path("summary.md"));
}

} // namespace

TEST_CASE("push summary: a failure opens with ❌ and the count, escapes names and messages, lists what never ran") {
    TempProject project;
    project.migration("20250101000001_plain.sql", "create table t1 (id int);\n");
    project.migration("20250101000002_tick`s`name.sql", "create table t2 (id int);\n");
    project.migration("20250101000003_pipe|name.sql",
                      "create table t3 (id int);\n\ndo $$ begin raise exception '<img src=x> **bold**'; end $$;\n");
    project.migration("20250101000004_after.sql", "create table t4 (id int);\n");
    const std::string url = fresh_database("push_summary_failed");
    const std::string s = push_summary(project, url, 1);
    INFO(s);

    CHECK(first_line(s) == "❌ **push to staging**: 2 of 4 applied, failed at `20250101000003_pipe|name.sql` line 3");
    CHECK(contains(s, "| 20250101000001 | plain | applied | "));
    CHECK(contains(s, "| 20250101000002 | tick\\`s\\`name | applied | "));
    CHECK(contains(s, "| 20250101000003 | pipe\\|name | ❌ **failed** at line 3 |  |\n"));
    CHECK(contains(s, "| 20250101000004 | after | not run |  |\n"));
    CHECK(contains(s, "**Failed**: `supabase/migrations/20250101000003_pipe|name.sql` line 3: \\<img src=x\\> "
                      "\\*\\*bold\\*\\* (SQLSTATE P0001)\n"));
    CHECK(contains(s, "\nhint: fix the migration and run again: nothing of this file was applied\n"));
    CHECK(contains(s, "**Stayed applied**: 2 migrations applied before the failure. **Never ran**: "
                      "`20250101000004_after.sql`.\n"));
    // No raw HTML from the server's message: every "<" of it is escaped.
    std::string unescaped = s;
    for (auto at = unescaped.find("\\<"); at != std::string::npos; at = unescaped.find("\\<", at))
        unescaped.erase(at, 2);
    CHECK_FALSE(contains(unescaped, "<img"));
    CHECK(s.ends_with("\n\n"));
}

TEST_CASE("push summary: the first line says what happened") {
    TempProject project;
    project.migration("20250101000001_a.sql", "create table a (id int);\n");
    project.migration("20250101000002_b.sql", "create table b (id int);\n");
    const std::string url = fresh_database("push_summary_outcome");

    const std::string applied = push_summary(project, url, 0);
    INFO(applied);
    CHECK(first_line(applied) == "✅ **push to staging**: 2 migrations applied");
    CHECK(contains(applied,
                   "| Version | Name | Result | Time |\n| --- | --- | --- | --- |\n| 20250101000001 | a | applied | "));
    CHECK_FALSE(contains(applied, "<details>"));

    const std::string nothing = push_summary(project, url, 0);
    INFO(nothing);
    CHECK(first_line(nothing) == "⏭️ **push to staging**: nothing to push, the database is up to date");
    CHECK(nothing.ends_with("\n\n"));
}

TEST_CASE("push summary: a long push gives a total line and a collapsed table") {
    TempProject project;
    for (int i = 1; i <= 30; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "202501010000%02d_m%d.sql", i, i);
        project.migration(name, "select " + std::to_string(i) + ";\n");
    }
    const std::string url = fresh_database("push_summary_long");
    const std::string s = push_summary(project, url, 0);
    INFO(s);
    CHECK(first_line(s) == "✅ **push to staging**: 30 migrations applied");
    CHECK(contains(s, "\n**30 migrations applied**\n\n<details><summary>Show all 30 rows</summary>\n\n| Version |"));
    CHECK(contains(s, "| 20250101000030 | m30 | applied | "));
}
