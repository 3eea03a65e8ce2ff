// Down SQL in supabase/migrations/down/: the Supabase CLI 3.1.0 ignores the subfolder (its
// `db push --dry-run` and `migration list` see the migrations only), sbdeploy rolls back with
// it; the older forms the CLI does run (a sibling .down.sql, a `-- sbdeploy:down` section)
// make validate warn, with the move that fixes it.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

ProcessResult cli(const TempProject& project, std::vector<std::string> args) {
    args.push_back("--workdir");
    args.push_back(project.root().string());
    return run_supabase(args, project.root().string());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

constexpr const char* kMoods =
    "create table public.moods (id int);\nalter table public.moods enable row level security;\n";
constexpr const char* kLabels =
    "create table public.labels (id int);\nalter table public.labels enable row level security;\n";

} // namespace

TEST_CASE("down folder: the Supabase CLI ignores supabase/migrations/down/, rollback reads it") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.migration("20240101000002_labels.sql", kLabels);
    std::filesystem::create_directories(project.root() / "supabase/migrations/down");
    project.migration("down/20240101000001_moods.sql", "drop table public.moods;\n");
    project.migration("down/20240101000002_labels.sql", "drop table public.labels;\n");
    const std::string url = fresh_database("down_folder");

    // The CLI would push the two migrations, nothing from down/.
    auto dry = cli(project, {"db", "push", "--dry-run", "--remote=" + url, "--yes"});
    INFO(describe(dry));
    REQUIRE(dry.exit_code == 0);
    const std::string said = dry.out + dry.err;
    CHECK(contains(said, "20240101000001_moods.sql"));
    CHECK(contains(said, "20240101000002_labels.sql"));
    CHECK_FALSE(contains(said, "down"));

    // validate has nothing to warn about; push applies the two.
    auto validated = run_with_db("validate", project, url);
    INFO(describe(validated));
    CHECK(validated.exit_code == 0);
    CHECK_FALSE(contains(validated.err, "warning"));
    auto pushed = run_with_db("push", project, url);
    INFO(describe(pushed));
    REQUIRE(pushed.exit_code == 0);

    // The CLI takes sbdeploy's rows as the whole story: up to date, both listed applied.
    auto after = cli(project, {"db", "push", "--dry-run", "--remote=" + url, "--yes"});
    INFO(describe(after));
    CHECK(after.exit_code == 0);
    CHECK(after.out.ends_with("Remote database is up to date.\n"));
    auto list = cli(project, {"migration", "list", "--remote=" + url});
    INFO(describe(list));
    CHECK(list.exit_code == 0);
    CHECK_FALSE(contains(list.out + list.err, "down"));

    // sbdeploy rolls back with the files in down/.
    auto rolled = run_with_db("rollback", project, url, {"--last", "2"});
    INFO(describe(rolled));
    CHECK(rolled.exit_code == 0);
    CHECK(history_versions(url).empty());
    CHECK(query_column(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                            "('moods', 'labels')") == std::vector<std::string>{"0"});
}

TEST_CASE("down folder: validate warns about down SQL the Supabase CLI would run, with the move") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.migration("20240101000001_moods.down.sql", "drop table public.moods;\n");
    project.migration("20240101000002_labels.sql",
                      std::string(kLabels) + "-- sbdeploy:down\ndrop table public.labels;\n");
    const std::string url = fresh_database("down_warn");

    // What the warning is about: the CLI would push the .down.sql as a migration of its own.
    auto dry = cli(project, {"db", "push", "--dry-run", "--remote=" + url, "--yes"});
    INFO(describe(dry));
    CHECK(contains(dry.out + dry.err, "20240101000001_moods.down.sql"));

    auto validated = run_with_db("validate", project, url);
    INFO(describe(validated));
    CHECK(validated.exit_code == 0);
    CHECK(
        contains(validated.err,
                 "sbdeploy: warning: supabase/migrations/20240101000001_moods.down.sql: the Supabase CLI takes this "
                 "down file for a migration of version 20240101000001 and applies it on `supabase db push`; move it "
                 "to "
                 "\"supabase/migrations/down/20240101000001_moods.sql\", which sbdeploy reads and the CLI ignores\n"));
    CHECK(contains(validated.err, "sbdeploy: warning: supabase/migrations/20240101000002_labels.sql: the Supabase CLI "
                                  "applies this file's `-- sbdeploy:down` section as part of the migration; move the "
                                  "section to \"supabase/migrations/down/20240101000002_labels.sql\""));

    // Under Actions: warning annotations on the files.
    auto annotated =
        run_sbdeploy({"validate", "--db-url", url, "--workdir", project.root().string()}, {{"GITHUB_ACTIONS", "true"}});
    INFO(describe(annotated));
    CHECK(contains(annotated.out + annotated.err, "::warning file=supabase/migrations/20240101000001_moods.down.sql"));

    // Moved as the warning says: no warning, and rollback reads it from down/.
    std::filesystem::create_directories(project.root() / "supabase/migrations/down");
    std::filesystem::rename(project.root() / "supabase/migrations/20240101000001_moods.down.sql",
                            project.root() / "supabase/migrations/down/20240101000001_moods.sql");
    project.migration("20240101000002_labels.sql", kLabels);
    project.migration("down/20240101000002_labels.sql", "drop table public.labels;\n");
    auto clean = run_with_db("validate", project, url);
    INFO(describe(clean));
    CHECK(clean.exit_code == 0);
    CHECK_FALSE(contains(clean.err, "warning"));
}
