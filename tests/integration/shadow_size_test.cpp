// validate on a shadow database at any size (issue 26): the shadow is a throwaway database the
// job owns, so the pending files are applied there for real, each in its own transaction, and
// the lock table that caps a one-transaction dry run is no limit. The shadow runs on a server of
// its own with a deliberately small lock table (max_locks_per_transaction 10, max_connections
// 20: 200 objects), the target on the shared fixture, which validate only reads.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/private_pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string version(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2024010100%04d", i);
    return buf;
}

struct Run {
    sbdeploy::util::ProcessResult r;
    std::map<std::string, std::string> outputs;
    [[nodiscard]] std::string log() const { return r.out + r.err; }
};

Run validate(TempProject& project, const std::string& target, std::vector<std::string> extra) {
    project.file("github_output", "");
    Env env{{"GITHUB_ACTIONS", "true"}, {"GITHUB_OUTPUT", project.path("github_output")}};
    extra.insert(extra.end(), {"--lint-fail-on", "never"});
    Run run{run_with_db("validate", project, target, extra, env), {}};
    for (auto& [name, value] : parse_file_commands(slurp(project.path("github_output")))) run.outputs[name] = value;
    return run;
}

std::vector<std::string> field(const std::string& json, const std::string& name) {
    std::vector<std::string> out;
    const std::regex value("\"" + name + "\":\"([^\"]+)\"");
    for (auto it = std::sregex_iterator(json.begin(), json.end(), value); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

// 60 files of 5 locked objects each (table, TOAST table and index, sequence, primary key): 300,
// more than the small server's 200 in one transaction. File 30 has down SQL.
void sixty_tables(TempProject& project) {
    for (int i = 1; i <= 60; ++i)
        project.migration(version(i) + "_t" + std::to_string(i) + ".sql",
                          "create table public.t" + std::to_string(i) + " (id serial primary key, note text);\n");
    project.migration("down/" + version(30) + "_t30.sql", "drop table public.t30;\n");
}

} // namespace

TEST_CASE("validate --shadow-db-url: a set larger than the shadow server's lock table is applied there file by "
          "file, every verdict passed, the target untouched") {
    const std::string target = fresh_database("shadow_size_target");
    const std::string shadow = small_lock_table_database("shadow_size_shadow");
    TempProject project;
    sixty_tables(project);
    const auto schema = schema_dump(target);

    auto s = validate(project, target, {"--shadow-db-url", shadow});
    INFO(describe(s.r));
    CHECK(s.r.exit_code == 0);
    CHECK(s.outputs["valid"] == "true");
    CHECK(s.outputs["failed_count"] == "0");
    CHECK(field(s.outputs["verdicts"], "verdict") == std::vector<std::string>(60, "ok"));
    auto down = std::vector<std::string>(60, "none");
    down[29] = "passed";  // file 30: run, down, compared, run again in its transaction, then committed
    CHECK(field(s.outputs["verdicts"], "down") == down);
    CHECK_FALSE(contains(s.log(), "max_locks_per_transaction"));
    CHECK(contains(s.log(), "(applied there for real, file by file)"));
    // The shadow took every file with its history row; the target only gave its history.
    CHECK(query_column(shadow, "select count(*) from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"60"});
    CHECK(query_column(shadow, "select count(*) from pg_tables where schemaname = 'public'") ==
          std::vector<std::string>{"60"});
    CHECK(schema_dump(target) == schema);
    CHECK(history_rows(target).empty());
}

TEST_CASE("validate --shadow-db-url: a failure stops the real apply there, and --keep-going applies on and marks "
          "the consequences") {
    TempProject project;
    for (int i = 1; i <= 6; ++i) {
        const std::string n = std::to_string(i);
        std::string sql = "create table public.t" + n + " (id int primary key);\n";
        if (i == 3) sql += "select 1/0;\n";                        // the failure
        if (i == 5) sql = "insert into public.t3 values (1);\n";  // fails only because file 3 did
        project.migration(version(i) + "_f" + n + ".sql", sql);
    }
    const std::string target = fresh_database("shadow_stop_target");
    SUBCASE("default: stops at file 3, the rest not run") {
        const std::string shadow = fresh_database("shadow_stop_shadow");
        auto s = validate(project, target, {"--shadow-db-url", shadow});
        INFO(describe(s.r));
        CHECK(s.r.exit_code == 1);
        CHECK(field(s.outputs["verdicts"], "verdict") ==
              std::vector<std::string>{"ok", "ok", "failed", "not run", "not run", "not run"});
        CHECK(contains(s.log(), "::error file=supabase/migrations/" + version(3) + "_f3.sql,line=2::division by zero"));
        CHECK(query_column(shadow, "select version from supabase_migrations.schema_migrations order by 1") ==
              std::vector<std::string>{version(1), version(2)});
    }
    SUBCASE("--keep-going: every file its verdict, file 5 possibly a consequence of file 3") {
        const std::string shadow = fresh_database("shadow_keep_shadow");
        auto s = validate(project, target, {"--shadow-db-url", shadow, "--keep-going"});
        INFO(describe(s.r));
        CHECK(s.r.exit_code == 1);
        CHECK(field(s.outputs["verdicts"], "verdict") ==
              std::vector<std::string>{"ok", "ok", "failed", "ok", "failed", "ok"});
        CHECK(contains(s.outputs["verdicts"], "\"sqlstate\":\"42P01\",\"possibly_consequential\":true}"));
        CHECK(s.outputs["failed_count"] == "2");
    }
    CHECK(history_rows(target).empty());
}

TEST_CASE("validate --shadow-db-url: a down SQL that does not undo its file fails at step down, checked inside the "
          "file's own transaction on the shadow") {
    TempProject project;
    project.migration(version(1) + "_t1.sql", "create table public.t1 (id int primary key);\n");
    project.migration(version(2) + "_t2.sql", "create table public.t2 (id int primary key);\n"
                                              "create index t2_id on public.t2 (id);\n");
    project.migration("down/" + version(2) + "_t2.sql", "drop index public.t2_id;\n");  // forgets the table
    project.migration(version(3) + "_t3.sql", "create table public.t3 (id int references public.t2);\n");
    const std::string target = fresh_database("shadow_down_target");
    const std::string shadow = fresh_database("shadow_down_shadow");
    auto s = validate(project, target, {"--shadow-db-url", shadow});
    INFO(describe(s.r));
    CHECK(s.r.exit_code == 1);
    CHECK(field(s.outputs["verdicts"], "verdict") == std::vector<std::string>{"ok", "failed", "ok"});
    CHECK(field(s.outputs["verdicts"], "step") == std::vector<std::string>{"down"});
    CHECK(contains(s.log(), "leaves table public.t2"));
    // The file itself stays applied there as the file alone left it, so file 3 ran against it.
    CHECK(query_column(shadow, "select count(*) from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"3"});
    CHECK(history_rows(target).empty());
}
