// Pure parts of `sbdeploy new` and `sbdeploy init`: migration names, GitHub remotes, the branch
// choice, the workflows' job environments and secrets, and the branch protection PUT body.
#include <doctest/doctest.h>

#include "github/protection.hpp"
#include "init/repository.hpp"
#include "init/workflows.hpp"
#include "migrations/new_file.hpp"

using namespace sbdeploy;

TEST_CASE("migration names: the ones refused, and the name suggested instead") {
    struct Case {
        std::string name, reason, suggestion;
    };
    const Case cases[] = {
        {"add_profiles", "", "add_profiles"},
        {"Add-Profiles.v2", "", "Add-Profiles_v2"},
        {"", "the name is empty", ""},
        {"add users", "it contains a space", "add_users"},
        {"a/b", "it contains a path separator", "a_b"},
        {"a\\b", "it contains a path separator", "a_b"},
        {"a;b", "it contains \";\"", "a_b"},
        {".hidden", "it starts with \".\"", "hidden"},
        {"x.SQL", "it ends in \".sql\" (the file would be <version>_<name>.sql.sql)", "x"},
        {"x.down", "it ends in \".down\" (<version>_<name>.down.sql is read as another migration's down SQL)", "x"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        CHECK(migrations::bad_name_reason(c.name) == c.reason);
        CHECK(migrations::suggested_name(c.name) == c.suggestion);
    }
    CHECK(migrations::timestamp_version(0) == "19700101000000");
    CHECK(migrations::timestamp_version(1'733'480'400) == "20241206102000");
}

TEST_CASE("the GitHub repository of a remote URL") {
    CHECK(init::github_repository_of("https://github.com/acme/app.git") == "acme/app");
    CHECK(init::github_repository_of("https://github.com/acme/app\n") == "acme/app");
    CHECK(init::github_repository_of("git@github.com:acme/app.git") == "acme/app");
    CHECK(init::github_repository_of("ssh://git@github.com/acme/app") == "acme/app");
    CHECK(init::github_repository_of("https://x-access-token@github.com/acme/app.git") == "acme/app");
    CHECK_FALSE(init::github_repository_of("https://gitlab.com/acme/app.git"));
    CHECK_FALSE(init::github_repository_of("file:///tmp/app.git"));
    CHECK_FALSE(init::github_repository_of("https://github.com/acme"));
    CHECK_FALSE(init::github_repository_of("https://github.com/acme/app/extra"));
}

TEST_CASE("the production and staging branches: the first that exists") {
    CHECK(init::pick_branch({"develop", "master"}, {"main", "master"}) == "master");
    CHECK(init::pick_branch({"main", "master"}, {"main", "master"}) == "main");
    CHECK(init::pick_branch({}, {"staging", "develop"}) == "staging");
}

TEST_CASE("secrets per scope: database URLs, or the access token where config.toml names the project") {
    init::WorkflowSettings s;
    auto urls = init::required_secrets(s);
    REQUIRE(urls.size() == 3);
    CHECK(urls[0].scope == "environment staging");
    CHECK(urls[0].names == std::vector<std::string>{"STAGING_DB_URL"});
    CHECK(urls[1].names == std::vector<std::string>{"PRODUCTION_DB_URL", "STAGING_DB_URL"});
    CHECK(urls[2].scope == "repository");
    s.api_environments = {"staging", "production"};
    auto api = init::required_secrets(s);
    CHECK(api[1].names == std::vector<std::string>{"SUPABASE_ACCESS_TOKEN"});
    auto files = init::release_workflows(s);
    REQUIRE(files.size() == 4);
    CHECK(files[2].path == ".github/workflows/migrations-production.yml");
    CHECK(files[2].content.find(
              "    env:\n      SUPABASE_ACCESS_TOKEN: ${{ secrets.SUPABASE_ACCESS_TOKEN }}\n    steps:\n") !=
          std::string::npos);
    for (const auto& f : files) CHECK(f.content.find('%') == std::string::npos);
}

TEST_CASE("the protection PUT body: defaults, and what the branch already requires kept") {
    auto fresh = github::protection_body("", {"validate-migrations"});
    REQUIRE(fresh);
    CHECK(*fresh == R"({"required_status_checks":{"strict":true,"checks":[{"context":"validate-migrations"}]},)"
                    R"("enforce_admins":false,"required_pull_request_reviews":{"required_approving_review_count":1},)"
                    R"("restrictions":null})");
    // As GitHub answers GET: objects with "enabled", logins and slugs inside objects.
    auto kept = github::protection_body(
        R"({"required_status_checks":{"strict":false,"contexts":["build"],"checks":[{"context":"build","app_id":15368},)"
        R"({"context":"validate-migrations","app_id":null}]},"enforce_admins":{"enabled":true},)"
        R"("required_pull_request_reviews":{"required_approving_review_count":2,"dismiss_stale_reviews":true},)"
        R"("restrictions":{"users":[{"login":"octocat"}],"teams":[{"slug":"core"}],"apps":[]},)"
        R"("allow_force_pushes":{"enabled":false},"required_signatures":{"enabled":true}})",
        {"validate-migrations"});
    REQUIRE(kept);
    CHECK(*kept ==
          R"({"required_status_checks":{"strict":false,"checks":[{"context":"build","app_id":15368},)"
          R"({"context":"validate-migrations"}]},"enforce_admins":true,)"
          R"("required_pull_request_reviews":{"required_approving_review_count":2,"dismiss_stale_reviews":true},)"
          R"("restrictions":{"users":["octocat"],"teams":["core"],"apps":[]},"allow_force_pushes":false})");
    auto bad = github::protection_body("[1]", {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().exit_code() == 2);
}
