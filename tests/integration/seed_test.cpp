// push --include-seed against the real PostgreSQL of the fixture and the real Supabase CLI
// 3.1.0: seed files run once and again only when they changed, tracked in
// supabase_migrations.seed_files exactly as the CLI tracks them (each tool sees the other's
// seeds as done), [db.seed] sql_paths, failures and the production guard. Also: a migration
// with a `-- sbdeploy:down` section is recorded as the CLI records the file without it.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "util/sha256.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

ProcessResult push(const TempProject& project, const std::string& url, std::vector<std::string> extra = {},
                   const Env& env = {}) {
    std::vector<std::string> args{"push", "--db-url", url, "--workdir", project.root().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sbdeploy(args, env);
}

ProcessResult cli_push(const TempProject& project, const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"db", "push", "--remote=" + url, "--yes", "--workdir", project.root().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_supabase(args, project.root().string());
}

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Databases created once per test process and emptied for each use (a CREATE DATABASE per
// subcase costs more than the rest of it). Compared databases are emptied the same way.
std::string database(int slot) {
    static std::map<int, std::string> urls;
    auto& url = urls[slot];
    if (url.empty()) url = fresh_database("seed" + std::to_string(slot));
    query_column(url, "DROP SCHEMA IF EXISTS supabase_migrations CASCADE; DROP SCHEMA public CASCADE; "
                      "CREATE SCHEMA public; SELECT 1");
    return url;
}

// "path|hash" for every row of supabase_migrations.seed_files, by path.
std::vector<std::string> seed_rows(const std::string& url) {
    return query_column(url, "SELECT path || '|' || hash FROM supabase_migrations.seed_files ORDER BY path");
}

std::vector<std::string> ids(const std::string& url) {
    return query_column(url, "SELECT m.id::text FROM public.moods m ORDER BY m.id");
}

constexpr const char* kMoods = "create table public.moods (id bigint primary key, mood text not null);\n"
                               "alter table public.moods enable row level security;\n";
// Plain inserts: running the file twice fails on the primary key, so a second run shows.
constexpr const char* kSeed = "-- staging data; a ; inside a string\n"
                              "insert into public.moods values (1, 'happy; really');\n"
                              "insert into public.moods values (2, 'sad');\n";

} // namespace

TEST_CASE("seed: push --include-seed runs supabase/seed.sql once, and again only when it changed") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.file("supabase/seed.sql", kSeed);
    const std::string url = database(0);

    auto first = push(project, url, {"--include-seed"});
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(contains(first.out, "Applied 20240101000001_moods.sql ("));
    CHECK(contains(first.out, "Seeded supabase/seed.sql ("));
    CHECK(ids(url) == v({"1", "2"}));
    CHECK(seed_rows(url) == std::vector<std::string>{"supabase/seed.sql|" + util::sha256_hex(kSeed)});

    // Without --include-seed nothing about seeds happens; with it, an unchanged file is done.
    auto plain = push(project, url);
    INFO(describe(plain));
    CHECK(plain.exit_code == 0);
    CHECK_FALSE(contains(plain.out, "Seed"));
    auto again = push(project, url, {"--include-seed"});
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "Remote database is up to date"));
    CHECK(ids(url) == v({"1", "2"}));
    auto dry = push(project, url, {"--include-seed", "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(contains(dry.out, "Remote database is up to date"));

    // A changed file runs again, whole, and its new hash is recorded.
    const std::string changed = std::string(kSeed) + "insert into public.moods values (3, 'calm');\n";
    project.file("supabase/seed.sql", "delete from public.moods;\n" + changed);
    auto would = push(project, url, {"--include-seed", "--dry-run"});
    INFO(describe(would));
    CHECK(would.exit_code == 0);
    CHECK(contains(would.out, "Would seed 1 file:\n  supabase/seed.sql (changed since it was seeded)\n"));
    // Only seed data: said so, no count of zero migrations.
    CHECK(would.out.starts_with("No migrations to push to "));
    CHECK_FALSE(contains(would.out, "Would push"));
    CHECK(ids(url) == v({"1", "2"}));
    auto rerun = push(project, url, {"--include-seed"});
    INFO(describe(rerun));
    CHECK(rerun.exit_code == 0);
    CHECK(contains(rerun.out, "Seeded supabase/seed.sql again: it changed since it was seeded ("));
    CHECK(rerun.out.ends_with("; seed data applied: 1 file\n"));
    CHECK(contains(rerun.out, "No migrations to push to "));
    CHECK_FALSE(contains(rerun.out, "Pushed 0"));
    CHECK(ids(url) == v({"1", "2", "3"}));
    CHECK(seed_rows(url) ==
          std::vector<std::string>{"supabase/seed.sql|" + util::sha256_hex("delete from public.moods;\n" + changed)});
}

TEST_CASE("seed: tracked as the Supabase CLI tracks it, both ways") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.file("supabase/seed.sql", kSeed);
    // [db.seed] sql_paths with a glob: its matches sorted, then seed.sql, each path once.
    project.file("supabase/seeds/b_more.sql", "insert into public.moods values (20, 'b');\n");
    project.file("supabase/seeds/a_first.sql", "insert into public.moods values (10, 'a');\n");
    project.file("supabase/config.toml", "project_id = \"app\"\n\n[db.seed]\n# as supabase init writes it\n"
                                         "enabled = true\nsql_paths = [\"./seeds/*.sql\", \"./seed.sql\", "
                                         "\"./seeds/a_first.sql\"]\n");

    SUBCASE("after sbdeploy seeds, the CLI has no seed to run") {
        const std::string url = database(0);
        auto r = push(project, url, {"--include-seed"});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        auto a = r.out.find("Seeded supabase/seeds/a_first.sql (");
        auto b = r.out.find("Seeded supabase/seeds/b_more.sql (");
        auto s = r.out.find("Seeded supabase/seed.sql (");
        CHECK(a < b);
        CHECK(b < s);
        CHECK(s != std::string::npos);
        CHECK(ids(url) == v({"1", "2", "10", "20"}));

        auto cli = cli_push(project, url, {"--include-seed", "--dry-run"});
        INFO(describe(cli));
        CHECK(cli.exit_code == 0);
        CHECK(cli.out.ends_with("Remote database is up to date.\n"));
        CHECK_FALSE(contains(cli.err, "Would seed"));

        // And the rows are the ones the CLI writes: compare with a database it seeded.
        const std::string by_cli = database(1);
        auto ref = cli_push(project, by_cli, {"--include-seed"});
        INFO(describe(ref));
        REQUIRE(ref.exit_code == 0);
        CHECK(seed_rows(url) == seed_rows(by_cli));
        CHECK(schema_dump(url) == schema_dump(by_cli));
    }
    SUBCASE("after the CLI seeds, sbdeploy has no seed to run") {
        const std::string url = database(0);
        auto cli = cli_push(project, url, {"--include-seed"});
        INFO(describe(cli));
        REQUIRE(cli.exit_code == 0);
        REQUIRE(ids(url) == v({"1", "2", "10", "20"}));

        auto dry = push(project, url, {"--include-seed", "--dry-run"});
        INFO(describe(dry));
        CHECK(dry.exit_code == 0);
        CHECK(contains(dry.out, "Remote database is up to date"));
        // Plain inserts would fail on a second run: this exit 0 means nothing ran.
        auto r = push(project, url, {"--include-seed"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK_FALSE(contains(r.out, "Seeded"));
        CHECK(ids(url) == v({"1", "2", "10", "20"}));

        // One changed file: both tools see that one, and only that one.
        project.file("supabase/seeds/b_more.sql", "insert into public.moods values (21, 'b2');\n");
        auto cli_dry = cli_push(project, url, {"--include-seed", "--dry-run"});
        INFO(describe(cli_dry));
        CHECK(contains(cli_dry.err, "Would seed these files:\n • supabase/seeds/b_more.sql (hash update)\n"));
        auto ours = push(project, url, {"--include-seed", "--dry-run"});
        INFO(describe(ours));
        CHECK(contains(ours.out, "Would seed 1 file:\n  supabase/seeds/b_more.sql (changed since it was seeded)\n"));
    }
}

TEST_CASE("seed: a failing seed file leaves nothing of itself, the migrations stay applied") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.file("supabase/seed.sql", "insert into public.moods values (1, 'happy');\n"
                                      "\n"
                                      "insert into public.moods values (2, null);\n");
    const std::string url = database(0);
    auto r = push(project, url, {"--include-seed"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("sbdeploy: error: supabase/seed.sql:3: null value in column \"mood\""));
    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK(ids(url).empty());
    // Not even the seed_files table it would have created.
    CHECK(query_column(url, "SELECT to_regclass('supabase_migrations.seed_files') IS NULL") == v({"t"}));

    // Fixed, it runs.
    project.file("supabase/seed.sql", kSeed);
    const std::string summary = project.path("summary.md");
    project.file("summary.md", "");
    auto fixed = push(project, url, {"--include-seed"}, {{"GITHUB_STEP_SUMMARY", summary}});
    INFO(describe(fixed));
    CHECK(fixed.exit_code == 0);
    CHECK(fixed.out.ends_with("; seed data applied: 1 file\n"));
    CHECK(contains(slurp(summary), "No migrations to push.\n"));
    CHECK_FALSE(contains(slurp(summary), "| Version | Name |"));
    CHECK(ids(url) == v({"1", "2"}));
}

TEST_CASE("seed: meant for staging, production needs --allow-production-seed") {
    TempProject project;
    project.migration("20240101000001_moods.sql", kMoods);
    project.file("supabase/seed.sql", kSeed);
    const std::string production = database(0);
    Env env{{"SBDEPLOY_PRODUCTION_DB_URL", production}};
    auto run = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"push", "--environment", "production",           "--promote-from",
                                      "none", "--workdir",     project.root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_sbdeploy(args, env);
    };
    auto refused = run({"--include-seed"});
    INFO(describe(refused));
    CHECK(refused.exit_code == 2);
    CHECK(refused.err == "sbdeploy: error: push --include-seed: seed data is not run on production\n"
                         "hint: seed staging and preview databases; if production must get it, add "
                         "--allow-production-seed\n");
    CHECK(history_versions(production).empty());

    auto allowed = run({"--include-seed", "--allow-production-seed"});
    INFO(describe(allowed));
    CHECK(allowed.exit_code == 0);
    CHECK(ids(production) == v({"1", "2"}));
}

TEST_CASE("down sections: the history row is the one the CLI writes for the file without its section") {
    const std::string up = "-- moods, with a note\n"
                           "create table public.moods (id bigint primary key, mood text not null);\n"
                           "alter table public.moods enable row level security;\n"
                           "/* the note */ alter table public.moods add column note text;\n"
                           "-- a trailing comment\n";
    const std::string second = "create table public.labels (id int primary key);\n"
                               "alter table public.labels enable row level security;\n";
    auto crlf = [](const std::string& text) {
        std::string out;
        for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
        return out;
    };
    // What the CLI stores for the migrations alone (no section; LF, and CRLF line endings) ...
    TempProject cli_project;
    cli_project.migration("20240101000001_moods.sql", up);
    cli_project.migration("20240101000002_labels.sql", crlf(second));
    const std::string by_cli = database(1);
    auto cli = cli_push(cli_project, by_cli);
    INFO(describe(cli));
    REQUIRE(cli.exit_code == 0);

    // ... is what sbdeploy stores for them with a section.
    TempProject ours;
    ours.migration("20240101000001_moods.sql", up + "\n-- sbdeploy:down\ndrop table public.moods;\n");
    ours.migration("20240101000002_labels.sql", crlf(second + "-- sbdeploy:down\ndrop table public.labels;\n"));
    const std::string url = database(0);
    auto r = push(ours, url);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(history_rows(url) == history_rows(by_cli));
    CHECK(schema_dump(url) == schema_dump(by_cli));

    // And the CLI takes sbdeploy's rows as applied.
    auto dry = cli_push(ours, url, {"--dry-run"});
    INFO(describe(dry));
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.ends_with("Remote database is up to date.\n"));
}
