// `sbdeploy new NAME --down` makes a pair the rest of sbdeploy reads as one migration and its
// undo: push applies the file (what was piped into `new`), status counts it rollback-ready, and
// rollback runs the down file it wrote (once filled in), leaving the schema as before.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/pg.hpp"
#include "support/project.hpp"
#include "util/process.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

TEST_CASE("new --down: push applies the file, rollback runs its down file") {
    TempProject project;
    util::ProcessSpec spec;
    spec.program = SBDEPLOY_BINARY;
    spec.args = {"new", "moods", "--down", "--workdir", project.root().string()};
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    spec.stdin_text = "create table public.moods (id int);\n";
    auto made = util::run_process(spec);
    REQUIRE(made);
    REQUIRE_MESSAGE(made->exit_code == 0, made->err);
    std::string down;
    for (const auto& e : std::filesystem::directory_iterator(project.root() / "supabase/migrations/down"))
        down = e.path().string();
    REQUIRE_FALSE(down.empty());
    const std::string placeholder = slurp(down);
    CHECK(placeholder.starts_with("-- The undo of the migration of the same name one folder up"));
    // The team writes the undo under the comment new left.
    project.file("supabase/migrations/down/" + std::filesystem::path(down).filename().string(),
                 placeholder + "drop table public.moods;\n");

    const std::string url = fresh_database("newmig");
    auto pushed = run_with_db("push", project, url);
    REQUIRE_MESSAGE(pushed.exit_code == 0, describe(pushed));
    CHECK(exists(url, "public.moods"));
    auto status = run_with_db("status", project, url);
    CHECK(status.exit_code == 0);
    CHECK_MESSAGE(status.out.find("(1 can be rolled back)") != std::string::npos, status.out);
    auto rolled = run_with_db("rollback", project, url, {"--last", "1"});
    REQUIRE_MESSAGE(rolled.exit_code == 0, describe(rolled));
    CHECK_FALSE(exists(url, "public.moods"));
    CHECK(query_column(url, "select count(*) from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"0"});
}
