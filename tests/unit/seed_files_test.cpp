// Seed data without a database: [db.seed] sql_paths read from config.toml, the files the
// patterns select in the Supabase CLI's order, their SHA-256, and which ones are pending.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "migrations/seed.hpp"
#include "support/temp_dir.hpp"
#include "util/sha256.hpp"

using namespace sbdeploy;
using namespace sbdeploy::migrations;
namespace fs = std::filesystem;

namespace {

using Strings = std::vector<std::string>;

Strings v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

std::optional<Strings> paths(std::string_view toml) {
    auto r = parse_seed_paths(toml, "supabase/config.toml");
    REQUIRE(r);
    return *r;
}

std::string error_of(std::string_view toml) {
    auto r = parse_seed_paths(toml, "supabase/config.toml");
    REQUIRE_FALSE(r);
    CHECK(r.error().exit_code() == 2);
    return r.error().message;
}

} // namespace

TEST_CASE("seed: sha256 of the bytes, as hex") {
    CHECK(util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Verified with the Supabase CLI 3.1.0: the hash it records for this seed.sql.
    CHECK(util::sha256_hex("insert into t values (1, 'a');\ninsert into t values (2, 'b');\n") ==
          "4aedd77f0fc4fb3f0a07035fd14dacad344d9bb9432b8f4215700d9168a32ef6");
}

TEST_CASE("seed: sql_paths in config.toml") {
    SUBCASE("absent: nullopt") {
        CHECK_FALSE(paths(""));
        CHECK_FALSE(paths("project_id = \"app\"\n[db]\nport = 54322\n[db.seed]\nenabled = true\n"));
        CHECK_FALSE(paths("[db.seeds]\nsql_paths = [\"x.sql\"]\n[other.db.seed]\nsql_paths = [\"y.sql\"]\n"));
    }
    SUBCASE("the [db.seed] table, with what a real config has around it") {
        constexpr const char* toml = R"toml(# A supabase/config.toml as `supabase init` writes it, trimmed.
project_id = "app"

[api]
enabled = true
port = 54321
schemas = ["public", "graphql_public"]
extra_search_path = ["public", "extensions"]
max_rows = 1000

[db]
port = 54322
major_version = 15

[db.pooler]
enabled = false
default_pool_size = 20

[db.seed]
# If enabled, seeds the database after migrations during a db reset.
enabled = true
# Specifies an ordered list of seed files to load during db reset.
sql_paths = [
  './seed.sql',   # the main one
  "./seeds/*.sql",
]

[auth]
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = ["https://127.0.0.1:3000"]
jwt_expiry = 3600
[auth.email.template.invite]
subject = "You are invited"
content_path = """
./supabase/templates/invite.html"""
[[auth.hook.x]]
when = 1979-05-27 07:32:00Z
inline = { a = 1, b = [2, 3], c = "d" }
)toml";
        CHECK(paths(toml) == v({"./seed.sql", "./seeds/*.sql"}));
    }
    SUBCASE("dotted keys and quoted parts") {
        CHECK(paths("[db]\nseed.sql_paths = [\"a.sql\"]\n") == v({"a.sql"}));
        CHECK(paths("db.seed.sql_paths = ['b.sql']\n") == v({"b.sql"}));
        CHECK(paths("[ db . \"seed\" ]\n\"sql_paths\" = [ \"c \\\"q\\\".sql\", 'd\\e.sql' ]\n") ==
              v({"c \"q\".sql", "d\\e.sql"}));
        CHECK(paths("[db.seed]\nsql_paths = []\n") == Strings{});
        CHECK(paths("\xEF\xBB\xBF[db.seed]\r\nsql_paths = [\"\\u00e9.sql\"]\r\n") == v({"\xC3\xA9.sql"}));
    }
    SUBCASE("errors name the line") {
        CHECK(error_of("[db.seed]\nsql_paths = \"seed.sql\"\n") ==
              "supabase/config.toml:2: sql_paths must be an array of strings, such as [\"./seed.sql\"]");
        // toml++'s own words after the file and line.
        CHECK(error_of("[db.seed]\nsql_paths = [\"a.sql\" \"b.sql\"]\n") ==
              "supabase/config.toml:2: array: expected comma or closing ']', saw '\"'");
        CHECK(error_of("[api]\nname = \"x\n[db.seed]\n") ==
              "supabase/config.toml:2: string: unescaped control characters other than TAB (U+0009) are explicitly "
              "prohibited");
        CHECK(error_of("[db.seed\n") == "supabase/config.toml:1: table header: expected ']', saw '\\n'");
        CHECK(error_of("[db.seed]\nsql_paths = [\"a.sql\", 1]\n") ==
              "supabase/config.toml:2: sql_paths must be an array of strings, such as [\"./seed.sql\"]");
    }
}

TEST_CASE("seed: the files the patterns select, in the CLI's order") {
    test::TempDir d;
    const std::string root = d.path("");
    fs::create_directories(fs::path(root) / "supabase/seeds/sub");
    d.write("supabase/seed.sql", "insert into t values (4);\n");
    d.write("supabase/seeds/b.sql", "insert into t values (1);\n");
    d.write("supabase/seeds/a.sql", "insert into t values (2);\n");
    d.write("supabase/seeds/sub/c.sql", "insert into t values (3);\n");
    d.write("supabase/seeds/notes.txt", "not sql");
    auto displays = [](const SeedListing& l) {
        Strings out;
        for (const auto& f : l.files) out.push_back(f.display);
        return out;
    };
    SUBCASE("each pattern's matches sorted, a file once, unmatched patterns reported") {
        const Strings patterns{"./seeds/*.sql", "./seed.sql", "seeds/a.sql", "./seeds/**/*.sql", "./nothing/*.sql"};
        auto l = list_seed_files(root, patterns);
        REQUIRE(l);
        CHECK(displays(*l) ==
              v({"supabase/seeds/a.sql", "supabase/seeds/b.sql", "supabase/seed.sql", "supabase/seeds/sub/c.sql"}));
        CHECK(l->unmatched == v({"supabase/nothing/*.sql"}));
        CHECK(l->files[2].hash == util::sha256_hex("insert into t values (4);\n"));
        CHECK(l->files[2].sql.texts() == v({"insert into t values (4)"}));
    }
    SUBCASE("the default, and a missing file") {
        auto l = list_seed_files(root, v({"./seed.sql", "./absent.sql"}));
        REQUIRE(l);
        CHECK(displays(*l) == v({"supabase/seed.sql"}));
        CHECK(l->unmatched == v({"supabase/absent.sql"}));
    }
    SUBCASE("paths outside the project are refused") {
        auto up = list_seed_files(root, v({"../../etc/*.sql"}));
        REQUIRE_FALSE(up);
        CHECK(up.error().message == "seed path \"../../etc/*.sql\" is outside the project");
        auto absolute = list_seed_files(root, v({"/etc/seed.sql"}));
        REQUIRE_FALSE(absolute);
        CHECK(absolute.error().exit_code() == 2);
    }
    SUBCASE("a seed file that cannot be split is an error at its line") {
        d.write("supabase/seed.sql", "insert into t values (1);\ninsert into t values ('open);\n");
        auto l = list_seed_files(root, v({"./seed.sql"}));
        REQUIRE_FALSE(l);
        CHECK(l.error().file == "supabase/seed.sql");
        CHECK(l.error().line == 2);
    }
}

TEST_CASE("seed: pending files are those not recorded with the same hash") {
    std::vector<SeedFile> files(3);
    files[0].display = "supabase/seed.sql";
    files[0].hash = "aa";
    files[1].display = "supabase/seeds/b.sql";
    files[1].hash = "bb";
    files[2].display = "supabase/seeds/c.sql";
    files[2].hash = "cc";
    std::vector<db::SeedRow> recorded{{"supabase/seed.sql", "aa"}, {"supabase/seeds/b.sql", "old"}, {"gone.sql", "x"}};
    auto pending = pending_seeds(files, recorded);
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].file == &files[1]);
    CHECK(pending[0].change == SeedChange::changed);
    CHECK(pending[1].file == &files[2]);
    CHECK(pending[1].change == SeedChange::new_file);
}
