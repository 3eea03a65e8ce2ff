#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "migrations/files.hpp"

using namespace sbdeploy;
using namespace sbdeploy::migrations;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("sbdeploy-files-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    void file(const std::string& name, const std::string& content = "select 1;") {
        fs::create_directories((path / name).parent_path());
        std::ofstream(path / name) << content;
    }
};
} // namespace

TEST_CASE("files: migration names") {
    std::string v, n;
    CHECK(parse_migration_name("20250101120000_init.sql", v, n));
    CHECK(v == "20250101120000");
    CHECK(n == "init");
    CHECK(parse_migration_name("0001_a_b.c.sql", v, n));
    CHECK(n == "a_b.c");
    CHECK_FALSE(parse_migration_name("init.sql", v, n));
    CHECK_FALSE(parse_migration_name("2025_x.SQL", v, n));
    CHECK_FALSE(parse_migration_name("20250101.sql", v, n));
    CHECK_FALSE(parse_migration_name("2025a_x.sql", v, n));
    CHECK_FALSE(parse_migration_name("_x.sql", v, n));
}

TEST_CASE("files: listing the migrations folder") {
    TempDir d;
    SUBCASE("file name order, subfolders and other files ignored with notices") {
        d.file("20250102000000_b.sql");
        d.file("20250101000000_a.sql");
        d.file("meta/_journal.json", "{}");
        d.file(".DS_Store", "x");
        auto l = list_migrations(d.path.string(), "supabase/migrations");
        REQUIRE(l);
        REQUIRE(l->files.size() == 2);
        CHECK(l->files[0].filename == "20250101000000_a.sql");
        CHECK(l->files[0].display == "supabase/migrations/20250101000000_a.sql");
        CHECK(l->files[1].version == "20250102000000");
        CHECK(l->notices ==
              std::vector<std::string>{
                  "ignored \"supabase/migrations/.DS_Store\" (not a .sql file)",
                  "ignored subfolder \"supabase/migrations/meta\" (only files directly in the folder are migrations)"});
        CHECK(l->warnings.empty());
    }
    SUBCASE("a .sql file that does not match is skipped as the CLI skips it, listed with the rename that fixes it") {
        d.file("20250101000000_a.sql");
        d.file("fix_users.sql");
        d.file("20250614154001-0631db99-bd3e-43ad-b16d-8675856435eb.sql");
        d.file("2026-01-26_triage_sweep.sql");
        d.file("20250101000001_b.SQL");
        d.file("20250101000002.sql");
        d.file("._20250101000000_a.sql");
        auto l = list_migrations(d.path.string(), "m");
        REQUIRE(l);
        REQUIRE(l->files.size() == 1);
        CHECK(l->files[0].filename == "20250101000000_a.sql");
        struct Expected {
            const char* display;
            const char* why;
            const char* rename;
        };
        const Expected expected[] = {
            {"m/._20250101000000_a.sql", "it is a hidden file (a macOS ._ file?), not a migration", ""},
            {"m/20250101000001_b.SQL", "it ends in \".SQL\", not \".sql\"", "20250101000001_b.sql"},
            {"m/20250101000002.sql", "it has no underscore and name after the version", "20250101000002_<name>.sql"},
            {"m/20250614154001-0631db99-bd3e-43ad-b16d-8675856435eb.sql",
             "the version is followed by \"-\", not an underscore",
             "20250614154001_0631db99-bd3e-43ad-b16d-8675856435eb.sql"},
            {"m/2026-01-26_triage_sweep.sql", "its version is a date written with dashes, and a version is digits only",
             "20260126000000_triage_sweep.sql"},
            {"m/fix_users.sql", "it does not start with a version (digits)", "<YYYYMMDDHHMMSS>_fix_users.sql"},
        };
        REQUIRE(l->unmatched.size() == std::size(expected));
        for (std::size_t i = 0; i < std::size(expected); ++i) {
            CAPTURE(expected[i].display);
            CHECK(l->unmatched[i].display == expected[i].display);
            CHECK(l->unmatched[i].why == expected[i].why);
            CHECK(l->unmatched[i].rename == expected[i].rename);
        }
    }
    SUBCASE("two files with one version") {
        d.file("20250101000000_a.sql");
        d.file("20250101000000_b.sql");
        auto l = list_migrations(d.path.string(), "m");
        REQUIRE_FALSE(l);
        CHECK(l.error().message ==
              "migrations \"m/20250101000000_a.sql\" and \"m/20250101000000_b.sql\" share version \"20250101000000\"");
    }
    SUBCASE("versions of different widths: a warning") {
        d.file("0001_a.sql");
        d.file("20250101000000_b.sql");
        auto l = list_migrations(d.path.string(), "m");
        REQUIRE(l);
        CHECK(l->warnings ==
              std::vector<std::string>{"migration versions have different widths (4, 14 digits); they are "
                                       "applied in file name order, as the Supabase CLI does"});
    }
    SUBCASE("a missing folder") {
        auto l = list_migrations((d.path / "nope").string(), "supabase/migrations");
        REQUIRE_FALSE(l);
        CHECK(l.error().message == "migrations folder \"supabase/migrations\" does not exist");
    }
}
