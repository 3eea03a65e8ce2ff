// validate's step summary as a reviewer reads it (issue 24), against the real PostgreSQL 15 of
// the test run: the first line is the outcome ("✅ **validate against staging**: 2 files passed",
// "❌ ...: 1 of 3 failed — `<file>` line N"), the dry run's table escapes file names and server
// messages (a pipe in a name stays in its cell, an <img> in a message stays text), and versions
// applied but missing locally get the console's `repair` hint.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/workflow_step.hpp"

using namespace sbdeploy::test;

namespace {

const std::string kPayload = R"({"action": "opened", "number": 9, "pull_request": {"number": 9, "merged": false,
    "head": {"ref": "feature/x", "sha": "3333333333333333333333333333333333333333", "repo": {"full_name": "acme/app"}},
    "base": {"ref": "staging", "sha": "4444444444444444444444444444444444444444", "repo": {"full_name": "acme/app"}}},
    "repository": {"full_name": "acme/app"}})";

std::string table_sql(const std::string& table) {
    return "create table public." + table + " (id int);\nalter table public." + table + " enable row level security;\n";
}

StepRun validate(TempProject& project, const std::string& url) {
    return run_step(project, 1, "pull_request", kPayload, {"validate"}, {{"SBDEPLOY_STAGING_DB_URL", url}});
}

// The table row of `version`: the summary's line that starts with it.
std::string row_of(const std::string& summary, const std::string& version) {
    auto at = summary.find("| " + version + " |");
    if (at == std::string::npos) return "";
    return summary.substr(at, summary.find('\n', at) - at);
}

// Pipes that end a cell: those without a backslash before them.
std::size_t cell_pipes(const std::string& row) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < row.size(); ++i) n += row[i] == '|' && (i == 0 || row[i - 1] != '\\') ? 1 : 0;
    return n;
}

// Occurrences of `c` without a backslash before them: Markdown, not text.
std::size_t unescaped(const std::string& row, char c) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < row.size(); ++i) n += row[i] == c && (i == 0 || row[i - 1] != '\\') ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("validate summary: a passing dry run opens with ✅, the environment and the count") {
    TempProject project;
    project.migration("20250101000001_a.sql", table_sql("a"));
    project.migration("20250101000002_b.sql", table_sql("b"));
    auto r = validate(project, fresh_database("vsum_pass"));
    INFO(describe(r));
    CHECK(r.result.exit_code == 0);
    CHECK(r.summary.starts_with("✅ **validate against staging**: 2 files passed\n\n"));
    CHECK(r.summary.find("### sbdeploy validate") == std::string::npos);
    CHECK(cell_pipes(row_of(r.summary, "20250101000002")) == 4);
    CHECK(r.summary.ends_with("\n\n"));
}

TEST_CASE("validate summary: a failure names the file and line first, and the table escapes names and messages") {
    TempProject project;
    project.migration("20250101000001_a.sql", table_sql("a"));
    project.migration("20250101000002_pipe|name.sql",
                      table_sql("b") + "do $$ begin raise exception '<img src=x> **bold**'; end $$;\n");
    project.migration("20250101000003_c.sql", table_sql("c"));
    auto r = validate(project, fresh_database("vsum_fail"));
    INFO(describe(r));
    CHECK(r.result.exit_code == 1);
    CHECK(r.summary.starts_with(
        "❌ **validate against staging**: 1 of 3 failed — `20250101000002_pipe|name.sql` line 3\n"));
    // The failing row keeps its four cells: the pipe of the name and the message stay text.
    const std::string row = row_of(r.summary, "20250101000002");
    CHECK(cell_pipes(row) == 4);
    CHECK(row.find("pipe\\|name") != std::string::npos);
    CHECK(unescaped(row, '<') == 0);
    CHECK(unescaped(row, '*') == 0);
    CHECK(row.find("\\<img src=x\\> \\*\\*bold\\*\\*") != std::string::npos);
    // What never ran is said, and nothing stayed applied.
    CHECK(row_of(r.summary, "20250101000003").find("not run") != std::string::npos);
    CHECK(r.summary.find("nothing was changed") != std::string::npos);
}

TEST_CASE("validate summary: versions applied but missing locally get the repair hint the console prints") {
    const std::string url = fresh_database("vsum_missing");
    {
        TempProject applied;
        applied.migration("20250101000001_a.sql", table_sql("a"));
        applied.migration("20250101000002_b.sql", table_sql("b"));
        auto pushed = run_sbdeploy({"push", "--db-url", url, "--workdir", applied.root().string()});
        REQUIRE_MESSAGE(pushed.exit_code == 0, pushed.err);
    }
    TempProject project;
    project.migration("20250101000001_a.sql", table_sql("a"));
    project.migration("20250101000003_c.sql", table_sql("c"));
    auto r = validate(project, url);
    INFO(describe(r));
    CHECK(r.result.exit_code == 1);
    CHECK(r.result.err.find("sbdeploy repair --status reverted 20250101000002") != std::string::npos);
    CHECK(r.summary.starts_with("❌ **validate against staging**: "));
    CHECK(r.summary.find("sbdeploy repair --status reverted 20250101000002") != std::string::npos);
}
