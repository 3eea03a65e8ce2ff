// migrations::plan_revert: which removed files become rollback steps (applied, no local file
// of that version left), in which order, with which down SQL; and where down SQL is looked for.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "migrations/revert.hpp"

using namespace sbdeploy::migrations;

namespace {

RemovedFile removed(std::string filename, std::string content, std::string down_name = {},
                    std::optional<std::string> down = std::nullopt) {
    return RemovedFile{std::move(filename), std::move(content), std::move(down_name), std::move(down)};
}

RemoteEntry applied(std::string version, std::string name, std::vector<std::string> statements) {
    return RemoteEntry{std::move(version), std::move(name), std::move(statements)};
}

Migration local(const std::string& filename, const std::string& sql) {
    MigrationFile f;
    REQUIRE(parse_migration_name(filename, f.version, f.name));
    f.filename = filename;
    f.display = "supabase/migrations/" + filename;
    auto m = parse_migration(f, sql);
    REQUIRE(m.has_value());
    return std::move(*m);
}

std::vector<std::string> versions(const RevertPlan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) out.push_back(s.version);
    return out;
}

} // namespace

TEST_CASE("down_candidates: down/ first, then its .down.sql, then the sibling") {
    CHECK(down_candidates("20240101000002_note.sql") == std::vector<std::string>{"down/20240101000002_note.sql",
                                                                                 "down/20240101000002_note.down.sql",
                                                                                 "20240101000002_note.down.sql"});
}

TEST_CASE("plan_revert: applied versions whose files were removed, newest first, with the parent's down SQL") {
    const std::vector<RemovedFile> files = {
        removed("20240101000002_b.sql", "create table b (id int);\n", "down/20240101000002_b.sql", "drop table b;\n"),
        removed("20240101000003_c.sql", "create table c (id int);\n-- sbdeploy:down\ndrop table c;\n"),
        removed("20240101000004_d.sql", "create table d (id int);\n"),        // never applied
        removed("20240101000002_b.down.sql", "drop table b;\n"),               // a down file itself
        removed("notes.sql", "select 1;\n"),                                   // no migration name
        removed("20240101000005_e.sql", "create table e (id int);\n"),         // renamed: still local
    };
    const std::vector<RemoteEntry> history = {
        applied("20240101000001", "a", {"create table a (id int)"}),
        applied("20240101000002", "b", {"create table b (id int)"}),
        applied("20240101000003", "c", {"create table x (id int)"}),  // recorded differently: edited
        applied("20240101000005", "e", {"create table e (id int)"}),
    };
    const std::vector<Migration> here = {local("20240101000001_a.sql", "create table a (id int);\n"),
                                         local("20240101000005_e2.sql", "create table e (id int);\n")};
    auto plan = plan_revert(files, "supabase/migrations", here, history);
    REQUIRE(plan.has_value());
    CHECK(versions(*plan) == std::vector<std::string>{"20240101000003", "20240101000002"});
    const auto& c = plan->steps[0];
    const auto& b = plan->steps[1];
    CHECK(c.edited);
    CHECK_FALSE(b.edited);
    REQUIRE(c.down() != nullptr);
    REQUIRE(b.down() != nullptr);
    CHECK(c.down()->texts() == std::vector<std::string>{"drop table c"});
    CHECK(c.down()->file.display == "supabase/migrations/20240101000003_c.sql");
    CHECK(b.down()->texts() == std::vector<std::string>{"drop table b"});
    CHECK(b.down()->file.display == "supabase/migrations/down/20240101000002_b.sql");
    CHECK(b.migration->file.display == "supabase/migrations/20240101000002_b.sql");
    CHECK(without_down(plan->steps).empty());
}

TEST_CASE("plan_revert: what has no down SQL, and down SQL given twice") {
    const std::vector<RemoteEntry> history = {applied("20240101000002", "b", {"create table b (id int)"})};
    SUBCASE("none") {
        const std::vector<RemovedFile> files = {removed("20240101000002_b.sql", "create table b (id int);\n")};
        auto plan = plan_revert(files, "supabase/migrations", {}, history);
        REQUIRE(plan.has_value());
        CHECK(without_down(plan->steps) ==
              std::vector<std::string>{"20240101000002 (supabase/migrations/20240101000002_b.sql)"});
    }
    SUBCASE("a section and a down file: the config error load_migration gives") {
        const std::vector<RemovedFile> files = {removed("20240101000002_b.sql",
                                                        "create table b (id int);\n-- sbdeploy:down\ndrop table b;\n",
                                                        "down/20240101000002_b.sql", "drop table b;\n")};
        auto plan = plan_revert(files, "supabase/migrations", {}, history);
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.error().exit_code() == 2);
        CHECK(plan.error().message ==
              "migration \"supabase/migrations/20240101000002_b.sql\" has a down section (line 2) and a down file "
              "\"supabase/migrations/down/20240101000002_b.sql\"");
    }
}
