// The push path under valgrind (memcheck): the optimized binary applies a file and fails on
// the next at its line, against the real PostgreSQL with zero memory errors and no definite leaks. The
// ASan+UBSan build runs the whole suite instrumented instead (valgrind cannot run ASan code).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/pg.hpp"
#include "support/project.hpp"
#include "util/process.hpp"

using namespace sbdeploy::test;

#if !defined(__SANITIZE_ADDRESS__)
namespace {

sbdeploy::util::ProcessResult under_valgrind(const std::vector<std::string>& args) {
    sbdeploy::util::ProcessSpec spec;
    spec.program = "valgrind";
    spec.args = {"--quiet",
                 "--error-exitcode=99",
                 "--leak-check=full",
                 "--errors-for-leak-kinds=definite",
                 "--show-leak-kinds=definite",
                 SBDEPLOY_BINARY};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    if (const char* path = std::getenv("PATH")) spec.env["PATH"] = path;
    spec.timeout = std::chrono::milliseconds(120'000);
    auto r = sbdeploy::util::run_process(spec);
    REQUIRE_MESSAGE(r.has_value(), "valgrind: " << (r ? "" : r.error().message) << " (scripts/setup installs it)");
    return *r;
}

} // namespace
#endif

TEST_CASE("memory: a push that applies a file and fails on the next is clean under valgrind") {
#if defined(__SANITIZE_ADDRESS__)
    MESSAGE("skipped in the ASan build: the whole suite runs under ASan+UBSan there");
    return;
#else
    TempProject project;
    project.migration("20240101000001_first.sql",
                      "create table t1 (id int primary key, label text);\n"
                      "create function t1_count() returns bigint language sql as $$ select count(*) from t1 $$;\n");
    project.migration("20240101000002_fails.sql",
                      "insert into t1 values (1, 'one');\ninsert into missing values (2);\n");
    const std::string url = fresh_database("valgrind");
    const std::vector<std::string> push{"push", "--db-url", url, "--workdir", project.root().string()};

    // One run (valgrind is slow): it applies the first file, fails on the second at its line.
    auto failed = under_valgrind(push);
    INFO("stderr:\n" << failed.err);
    CHECK(failed.exit_code == 1);  // the migration's failure, not valgrind's 99
    CHECK(failed.err ==
          "sbdeploy: error: supabase/migrations/20240101000002_fails.sql:2: relation \"missing\" does not "
          "exist (SQLSTATE 42P01)\n"
          "  statement 2 of 2:\n"
          "  2 | insert into missing values (2)\n"
          "    |             ^\n"
          "hint: fix the migration and run again: nothing of this file was applied\n");
    CHECK(query_column(url, "SELECT count(*) FROM t1") == std::vector<std::string>{"0"});
#endif
}
