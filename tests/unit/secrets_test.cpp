#include "cli/secrets.hpp"

#include <algorithm>

#include <doctest/doctest.h>

using sbdeploy::cli::collect_secrets;
using sbdeploy::util::Environment;
using Vars = std::map<std::string, std::string, std::less<>>;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) { return std::ranges::find(v, s) != v.end(); }
} // namespace

TEST_CASE("secrets: the password of a database URL is masked, not its host") {
    Environment env(Vars{{"SBDEPLOY_STAGING_DB_URL", "postgresql://postgres:p%40ss@db.example.co:5432/postgres"}});
    auto s = collect_secrets(env, nullptr);
    CHECK(has(s, "p@ss"));
    CHECK(has(s, "p%40ss"));
    CHECK_FALSE(has(s, "db.example.co"));
}

TEST_CASE("secrets: an http URL is an address, only a password written into it is secret") {
    Environment env(Vars{{"SBDEPLOY_SUPABASE_URL", "https://abcdefghijklmnopqrst.supabase.co"},
                         {"SBDEPLOY_HEALTH_URL", "https://user:hunter2@example.com/health"}});
    auto s = collect_secrets(env, nullptr);
    CHECK_FALSE(has(s, "https://abcdefghijklmnopqrst.supabase.co"));
    CHECK(has(s, "hunter2"));
    CHECK_FALSE(has(s, "https://user:hunter2@example.com/health"));
}

TEST_CASE("secrets: tokens, keys and passwords are masked whole") {
    Environment env(Vars{{"SUPABASE_ACCESS_TOKEN", "sbp_0123456789abcdef"},
                         {"SBDEPLOY_SUPABASE_KEY", "eyJhbGciOi.secret"},
                         {"GITHUB_TOKEN", "ghs_abc"}});
    auto s = collect_secrets(env, nullptr);
    CHECK(has(s, "sbp_0123456789abcdef"));
    CHECK(has(s, "eyJhbGciOi.secret"));
    CHECK(has(s, "ghs_abc"));
}
