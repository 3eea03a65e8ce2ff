// Down migrations without a database: where the -- sbdeploy:down section starts (and where a
// marker line is only text), sibling .down.sql files in the listing, loading both kinds,
// and which versions a rollback takes.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "migrations/apply.hpp"
#include "migrations/down.hpp"
#include "migrations/files.hpp"
#include "migrations/rollback.hpp"
#include "migrations/split.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy;
using namespace sbdeploy::migrations;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> texts(std::string_view sql) {
    auto s = split_statements(sql);
    REQUIRE(s);
    std::vector<std::string> out;
    for (const auto& st : *s) out.push_back(st.text);
    return out;
}

std::vector<int> lines(std::string_view sql) {
    auto s = split_statements(sql);
    REQUIRE(s);
    std::vector<int> out;
    for (const auto& st : *s) out.push_back(st.code_line);
    return out;
}

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

} // namespace

TEST_CASE("down: the marker line") {
    CHECK(is_down_marker("-- sbdeploy:down"));
    CHECK(is_down_marker("-- sbdeploy:down\n"));
    CHECK(is_down_marker("  --sbdeploy:down  \r\n"));
    CHECK(is_down_marker("-- SBDEPLOY:DOWN"));
    CHECK_FALSE(is_down_marker("-- sbdeploy:down please"));
    CHECK_FALSE(is_down_marker("select 1; -- sbdeploy:down"));
    CHECK_FALSE(is_down_marker("-- sbdeploy: down"));
    CHECK_FALSE(is_down_marker("/* sbdeploy:down */"));
}

TEST_CASE("down: the section after the marker is not part of the migration") {
    SUBCASE("no marker: the whole file, no down") {
        const std::string sql = "create table a (id int);\n-- trailing comment\n";
        auto s = split_down_section(sql);
        CHECK(s.up == sql);
        CHECK_FALSE(s.down);
        CHECK(s.marker_line == 0);
    }
    SUBCASE("marker between statements: up is what comes before, down keeps its file lines") {
        const std::string sql = "create table a (id int);\n"
                                "create index a_id on a (id);\n"
                                "\n"
                                "-- sbdeploy:down\n"
                                "drop index a_id;\n"
                                "-- the table last\n"
                                "drop table a;\n";
        auto s = split_down_section(sql);
        CHECK(s.marker_line == 4);
        CHECK(texts(s.up) == v({"create table a (id int)", "create index a_id on a (id)"}));
        REQUIRE(s.down);
        CHECK(texts(*s.down) == v({"drop index a_id", "-- the table last\ndrop table a"}));
        CHECK(lines(*s.down) == std::vector<int>{5, 7});
    }
    SUBCASE("the up part is stored as the CLI stores the same file without the section") {
        // s.up views the file's text: the file must outlive it (a temporary would dangle).
        const std::string up = "-- leading\ncreate table a (id int);\n-- a trailing note\n\n";
        const std::string file = up + "-- sbdeploy:down\ndrop table a;\n";
        auto s = split_down_section(file);
        CHECK(s.up == up);
        CHECK(texts(s.up) == texts(up));
        CHECK(texts(s.up) == v({"-- leading\ncreate table a (id int)", "-- a trailing note"}));
    }
    SUBCASE("an empty section: down SQL with nothing to run") {
        auto s = split_down_section("create table a (id int);\n-- sbdeploy:down\n");
        REQUIRE(s.down);
        CHECK(texts(*s.down).empty());
    }
    SUBCASE("a marker inside a quote, a dollar quote, a block comment or a statement is only text") {
        for (const std::string& sql : {
                 std::string("create function f() returns int language plpgsql as $$\nbegin\n-- sbdeploy:down\n"
                             "return 1;\nend $$;\n"),
                 std::string("insert into t values ('a\n-- sbdeploy:down\n');\n"),
                 std::string("/* a note\n-- sbdeploy:down\n*/\ncreate table a (id int);\n"),
                 std::string("create table a (\n-- sbdeploy:down\n  id int\n);\n"),
             }) {
            CAPTURE(sql);
            auto s = split_down_section(sql);
            CHECK(s.up == sql);
            CHECK_FALSE(s.down);
        }
    }
    SUBCASE("the first marker between statements counts, after one that is only text") {
        const std::string sql = "select '\n-- sbdeploy:down\n';\n-- sbdeploy:down\nselect 2;\n";
        auto s = split_down_section(sql);
        CHECK(s.marker_line == 4);
        REQUIRE(s.down);
        CHECK(texts(*s.down) == v({"select 2"}));
    }
    SUBCASE("Windows line endings") {
        auto s = split_down_section("create table a (id int);\r\n-- sbdeploy:down\r\ndrop table a;\r\n");
        CHECK(s.marker_line == 2);
        REQUIRE(s.down);
        CHECK(texts(*s.down) == v({"drop table a"}));
        CHECK(lines(*s.down) == std::vector<int>{3});
    }
}

TEST_CASE("down: sibling file names") {
    CHECK(up_name_of_down("20240101000000_init.down.sql") == std::optional<std::string>("20240101000000_init.sql"));
    CHECK(up_name_of_down("1_a.b.down.sql") == std::optional<std::string>("1_a.b.sql"));
    CHECK_FALSE(up_name_of_down("20240101000000_init.sql"));
    CHECK_FALSE(up_name_of_down("init.down.sql"));
    CHECK_FALSE(up_name_of_down("20240101000000_init.DOWN.sql"));
}

TEST_CASE("down: the listing pairs .down.sql files with their migrations") {
    test::TempDir d;
    SUBCASE("paired, and not a migration of its own") {
        d.write("20240101000000_a.sql", "create table a (id int);\n");
        d.write("20240101000000_a.down.sql", "drop table a;\n");
        d.write("20240102000000_b.sql", "create table b (id int);\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE(l);
        REQUIRE(l->files.size() == 2);
        CHECK(l->files[0].down_display == "supabase/migrations/20240101000000_a.down.sql");
        CHECK(l->files[1].down_path.empty());
    }
    SUBCASE("a down file without its migration is an error naming it") {
        d.write("20240101000000_a.sql", "create table a (id int);\n");
        d.write("20240101000000_other.down.sql", "drop table a;\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE_FALSE(l);
        CHECK(l.error().exit_code() == 2);
        CHECK(l.error().file == "supabase/migrations/20240101000000_other.down.sql");
        CHECK(l.error().message == "down migration \"supabase/migrations/20240101000000_other.down.sql\" has no "
                                   "migration \"20240101000000_other.sql\" to undo");
    }
}

TEST_CASE("down: the listing pairs down/<version>_<name>.sql with its migration") {
    test::TempDir d;
    fs::create_directories(d.path("down"));
    d.write("20240101000000_a.sql", "create table a (id int);\n");
    d.write("20240102000000_b.sql", "create table b (id int);\n");
    SUBCASE("paired, neither a migration nor an ignored subfolder") {
        d.write("down/20240101000000_a.sql", "drop table a;\n");
        d.write("down/20240102000000_b.down.sql", "drop table b;\n");  // the sibling's name, moved as it was
        d.write("down/README.md", "undo files\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE(l);
        REQUIRE(l->files.size() == 2);
        CHECK(l->files[0].down_display == "supabase/migrations/down/20240101000000_a.sql");
        CHECK(l->files[0].down_path == d.path("down/20240101000000_a.sql"));
        CHECK(l->files[1].down_display == "supabase/migrations/down/20240102000000_b.down.sql");
        CHECK(l->notices == std::vector<std::string>{"ignored \"supabase/migrations/down/README.md\" (not a down "
                                                     "migration)"});
        auto m = load_migration(l->files[0]);
        REQUIRE(m);
        REQUIRE(m->down);
        CHECK(m->down->texts() == v({"drop table a"}));
        CHECK(m->down->file.display == "supabase/migrations/down/20240101000000_a.sql");
    }
    SUBCASE("one without its migration is an error naming it, with the layout") {
        d.write("down/20240103000000_c.sql", "drop table c;\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE_FALSE(l);
        CHECK(l.error().exit_code() == 2);
        CHECK(l.error().file == "supabase/migrations/down/20240103000000_c.sql");
        CHECK(l.error().message == "down migration \"supabase/migrations/down/20240103000000_c.sql\" has no "
                                   "migration \"20240103000000_c.sql\" to undo");
        CHECK(l.error().hint == "name it as the migration it undoes: supabase/migrations/down/<version>_<name>.sql for "
                                "supabase/migrations/<version>_<name>.sql");
    }
    SUBCASE("a .sql file not named like a migration is an error") {
        d.write("down/undo_a.sql", "drop table a;\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE_FALSE(l);
        CHECK(l.error().file == "supabase/migrations/down/undo_a.sql");
    }
    SUBCASE("in down/ and beside the migration: an error saying which to keep") {
        d.write("down/20240101000000_a.sql", "drop table a;\n");
        d.write("20240101000000_a.down.sql", "drop table a;\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE_FALSE(l);
        CHECK(l.error().exit_code() == 2);
        CHECK(l.error().message == "migration \"supabase/migrations/20240101000000_a.sql\" has two down files: "
                                   "\"supabase/migrations/20240101000000_a.down.sql\" and "
                                   "\"supabase/migrations/down/20240101000000_a.sql\"");
        CHECK(l.error().hint == "keep one: the one in supabase/migrations/down/, which the Supabase CLI ignores");
    }
    SUBCASE("in down/ and as a section: an error") {
        d.write("20240102000000_b.sql", "create table b (id int);\n-- sbdeploy:down\ndrop table b;\n");
        d.write("down/20240102000000_b.sql", "drop table b;\n");
        auto l = list_migrations(d.path(""), "supabase/migrations");
        REQUIRE(l);
        auto m = load_migration(l->files[1]);
        REQUIRE_FALSE(m);
        CHECK(m.error().exit_code() == 2);
    }
}

TEST_CASE("down: loading a migration with its down SQL") {
    test::TempDir d;
    auto load = [&](const std::string& name) -> Result<Migration> {
        auto l = list_migrations(d.path(""), "supabase/migrations");
        if (!l) return fail(l.error());
        for (const auto& f : l->files)
            if (f.filename == name) return load_migration(f);
        return fail(ErrorKind::config, "not listed: " + name);
    };
    SUBCASE("from the section: the migration without it, the down at the file's lines") {
        d.write("20240101000000_a.sql", "create table a (id int);\n-- sbdeploy:down\ndrop table a;\n");
        auto m = load("20240101000000_a.sql");
        REQUIRE(m);
        CHECK(m->texts() == v({"create table a (id int)"}));
        REQUIRE(m->down);
        CHECK(m->down->texts() == v({"drop table a"}));
        CHECK(m->down->file.display == "supabase/migrations/20240101000000_a.sql");
        CHECK(m->down->statements[0].line == 3);
    }
    SUBCASE("from the sibling file") {
        d.write("20240101000000_a.sql", "create table a (id int);\n");
        d.write("20240101000000_a.down.sql", "drop table a;\n");
        auto m = load("20240101000000_a.sql");
        REQUIRE(m);
        REQUIRE(m->down);
        CHECK(m->down->texts() == v({"drop table a"}));
        CHECK(m->down->file.display == "supabase/migrations/20240101000000_a.down.sql");
        CHECK(m->down->file.filename == "20240101000000_a.down.sql");
    }
    SUBCASE("none") {
        d.write("20240101000000_a.sql", "create table a (id int);\n");
        auto m = load("20240101000000_a.sql");
        REQUIRE(m);
        CHECK_FALSE(m->down);
    }
    SUBCASE("both at once is an error") {
        d.write("20240101000000_a.sql", "create table a (id int);\n-- sbdeploy:down\ndrop table a;\n");
        d.write("20240101000000_a.down.sql", "drop table a;\n");
        auto m = load("20240101000000_a.sql");
        REQUIRE_FALSE(m);
        CHECK(m.error().exit_code() == 2);
        CHECK(m.error().line == 2);
        CHECK(m.error().message == "migration \"supabase/migrations/20240101000000_a.sql\" has a down section (line 2) "
                                   "and a down file \"supabase/migrations/20240101000000_a.down.sql\"");
    }
    SUBCASE("down SQL that breaks the transaction rules is an error at its line") {
        d.write("20240101000000_a.sql",
                "create table a (id int);\n-- sbdeploy:down\ndrop table a;\ncommit;\ndrop table b;\n");
        auto m = load("20240101000000_a.sql");
        REQUIRE_FALSE(m);
        CHECK(m.error().exit_code() == 2);
        CHECK(m.error().file == "supabase/migrations/20240101000000_a.sql");
        CHECK(m.error().line == 4);
    }
}

TEST_CASE("rollback: which applied versions, newest first") {
    std::vector<Migration> local(3);
    for (std::size_t i = 0; i < 3; ++i) {
        local[i].file.version = "2024010100000" + std::to_string(i + 1);
        local[i].file.name = std::string(1, static_cast<char>('a' + i));
        local[i].file.filename = local[i].file.version + "_" + local[i].file.name + ".sql";
        local[i].file.display = "supabase/migrations/" + local[i].file.filename;
        Statement st;
        st.text = "create table " + local[i].file.name + " (id int)";
        local[i].statements.push_back(st);
    }
    local[1].down = std::make_shared<const Migration>();
    local[2].down = std::make_shared<const Migration>();
    std::vector<RemoteEntry> applied{{"20240101000003", "c", v({"create table c (id int)"})},
                                     {"20240101000001", "a", v({"create table a (id int)"})},
                                     {"20240101000002", "b", v({"create table b (changed int)"})},
                                     {"20240101000004", "gone", std::nullopt}};
    auto versions = [](const std::vector<RollbackStep>& steps) {
        std::vector<std::string> out;
        for (const auto& s : steps) out.push_back(s.version);
        return out;
    };
    SUBCASE("--to: every version after it") {
        auto steps = plan_rollback(local, applied, {std::string("20240101000001"), std::nullopt});
        REQUIRE(steps);
        CHECK(versions(*steps) == v({"20240101000004", "20240101000003", "20240101000002"}));
        CHECK((*steps)[0].migration == nullptr);
        CHECK((*steps)[1].migration == &local[2]);
        CHECK_FALSE((*steps)[1].edited);
        CHECK((*steps)[2].edited);
        CHECK(without_down(*steps) == v({"20240101000004 (no local file)"}));
    }
    SUBCASE("--to the newest: nothing") {
        auto steps = plan_rollback(local, applied, {std::string("20240101000004"), std::nullopt});
        REQUIRE(steps);
        CHECK(steps->empty());
    }
    SUBCASE("--last") {
        auto steps = plan_rollback(std::span<const Migration>(local).first(2), applied, {std::nullopt, 3});
        REQUIRE(steps);
        CHECK(versions(*steps) == v({"20240101000004", "20240101000003", "20240101000002"}));
        CHECK(without_down(*steps) == v({"20240101000004 (no local file)", "20240101000003 (no local file)"}));
    }
    SUBCASE("usage errors") {
        auto not_applied = plan_rollback(local, applied, {std::string("20240101000009"), std::nullopt});
        REQUIRE_FALSE(not_applied);
        CHECK(not_applied.error().exit_code() == 2);
        CHECK(not_applied.error().message == "rollback --to 20240101000009: that version is not applied");
        CHECK(not_applied.error().hint ==
              "--to takes an applied version, the newest one to keep; the newest applied: 20240101000004 "
              "20240101000003 20240101000002 20240101000001");
        auto too_many = plan_rollback(local, applied, {std::nullopt, 5});
        REQUIRE_FALSE(too_many);
        CHECK(too_many.error().message == "rollback --last 5: 4 versions are applied");
        auto neither = plan_rollback(local, applied, {});
        REQUIRE_FALSE(neither);
        CHECK(neither.error().message == "rollback: say what to roll back");
    }
}
