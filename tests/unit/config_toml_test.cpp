// supabase/config.toml through toml++: the project refs of [remotes.<name>] (the seed paths
// are in seed_files_test.cpp).
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "migrations/config_toml.hpp"

using namespace sbdeploy;
using namespace sbdeploy::migrations;

TEST_CASE("config.toml: [remotes.<name>] project_id") {
    SUBCASE("each remote with a project_id, trimmed; others left out") {
        auto c = parse_supabase_config(R"toml(project_id = "local-name"
[remotes.staging]
project_id = " abcdefghijklmnopqrst "
[remotes.staging.db.seed]
sql_paths = ["./staging.sql"]
[remotes.preview]
[remotes.production]
project_id = "zyxwvutsrqponmlkjihg"
)toml",
                                       "supabase/config.toml");
        REQUIRE(c);
        CHECK(c->remote_project_ids ==
              std::map<std::string, std::string, std::less<>>{{"production", "zyxwvutsrqponmlkjihg"},
                                                              {"staging", "abcdefghijklmnopqrst"}});
        CHECK_FALSE(c->seed_paths);  // the remote's own seed paths are not the project's
    }
    SUBCASE("none") {
        auto c = parse_supabase_config("[db]\nport = 54322\n", "supabase/config.toml");
        REQUIRE(c);
        CHECK(c->remote_project_ids.empty());
    }
    SUBCASE("a project_id that is not a string") {
        auto c = parse_supabase_config("[remotes.staging]\nproject_id = 12\n", "supabase/config.toml");
        REQUIRE_FALSE(c);
        CHECK(c.error().exit_code() == 2);
        CHECK(c.error().message == "supabase/config.toml:2: [remotes.staging] project_id must be a project ref string");
    }
}
