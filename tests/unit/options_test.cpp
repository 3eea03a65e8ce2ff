#include <doctest/doctest.h>

#include <string_view>

#include "cli/options.hpp"

using namespace sbdeploy;
using namespace sbdeploy::cli;

namespace {
constexpr std::string_view kAllowed[] = {"db-url", "json", "lock-timeout", "include-all", "dry-run"};
Result<Options> parse(std::vector<std::string> args, std::map<std::string, std::string, std::less<>> env = {}) {
    return parse_options("push", kAllowed, args, util::Environment(std::move(env)));
}
} // namespace

TEST_CASE("options: one table maps every flag to SBDEPLOY_<OPTION>") {
    CHECK(env_var_for("db-url") == "SBDEPLOY_DB_URL");
    CHECK(env_var_for("migrations-dir") == "SBDEPLOY_MIGRATIONS_DIR");
    for (const auto& spec : option_table()) {
        CAPTURE(spec.name);
        CHECK(find_option(spec.name) == &spec);  // names are unique
        CHECK_FALSE(spec.help.empty());
    }
}

TEST_CASE("options: flags, environment variables and which wins") {
    SUBCASE("a flag with a value, both spellings") {
        auto o = parse({"--db-url", "postgres://a", "--lock-timeout=4s"});
        REQUIRE(o);
        CHECK(o->get("db-url") == "postgres://a");
        CHECK(o->source("db-url") == Source::flag);
        CHECK(o->duration_ms("lock-timeout", 0).value() == 4000);
    }
    SUBCASE("the environment fills what the flags did not give") {
        auto o = parse({}, {{"SBDEPLOY_DB_URL", "postgres://env"}, {"SBDEPLOY_INCLUDE_ALL", "true"}});
        REQUIRE(o);
        CHECK(o->get("db-url") == "postgres://env");
        CHECK(o->source("db-url") == Source::env);
        CHECK(o->flag("include-all"));
    }
    SUBCASE("a flag wins over the environment") {
        auto o = parse({"--db-url", "postgres://flag"}, {{"SBDEPLOY_DB_URL", "postgres://env"}});
        REQUIRE(o);
        CHECK(o->get("db-url") == "postgres://flag");
    }
    SUBCASE("an empty variable counts as unset (unset action inputs are empty)") {
        auto o = parse({}, {{"SBDEPLOY_DB_URL", ""}});
        REQUIRE(o);
        CHECK_FALSE(o->get("db-url"));
    }
    SUBCASE("yes/no variables") {
        CHECK(parse({}, {{"SBDEPLOY_DRY_RUN", "1"}})->flag("dry-run"));
        CHECK_FALSE(parse({}, {{"SBDEPLOY_DRY_RUN", "false"}})->flag("dry-run"));
        auto bad = parse({}, {{"SBDEPLOY_DRY_RUN", "maybe"}});
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message == "not a yes/no value: SBDEPLOY_DRY_RUN=\"maybe\"");
        CHECK(bad.error().exit_code() == 2);
    }
    SUBCASE("positional arguments") {
        auto o = parse({"--json", "a", "b"});
        REQUIRE(o);
        CHECK(o->flag("json"));
        CHECK(o->positional() == std::vector<std::string>{"a", "b"});
    }
}

TEST_CASE("options: bad flags are usage errors that say what to do") {
    SUBCASE("unknown, with the nearest one suggested") {
        auto o = parse({"--dburl", "x"});
        REQUIRE_FALSE(o);
        CHECK(o.error().message == "push: unknown option \"--dburl\"");
        CHECK(o.error().hint == "did you mean --db-url?");
        CHECK(o.error().exit_code() == 2);
    }
    SUBCASE("unknown and far from everything") {
        auto o = parse({"--frobnicate"});
        REQUIRE_FALSE(o);
        CHECK(o.error().hint == "see 'sbdeploy push --help'");
    }
    SUBCASE("a value option without its value") {
        auto o = parse({"--db-url"});
        REQUIRE_FALSE(o);
        CHECK(o.error().message == "push: option --db-url needs a value (URL)");
    }
    SUBCASE("a bad duration") {
        auto o = parse({"--lock-timeout", "soon"});
        REQUIRE(o);
        auto d = o->duration_ms("lock-timeout", 0);
        REQUIRE_FALSE(d);
        CHECK(d.error().message == "option --lock-timeout: \"soon\" is not a duration");
    }
    SUBCASE("a duration longer than PostgreSQL's timeouts take") {
        auto o = parse({"--lock-timeout", "999999999h"});
        REQUIRE(o);
        auto d = o->duration_ms("lock-timeout", 0);
        REQUIRE_FALSE(d);
        CHECK(d.error().kind == sbdeploy::ErrorKind::usage);
        CHECK(d.error().message == "option --lock-timeout: \"999999999h\" is longer than 2147483647ms (about 24 "
                                   "days), the most PostgreSQL and libcurl accept");
        CHECK(parse({"--lock-timeout", "596h"})->duration_ms("lock-timeout", 0).value() == 2'145'600'000L);
        CHECK_FALSE(parse({"--lock-timeout", "597h"})->duration_ms("lock-timeout", 0));
    }
}

TEST_CASE("options: durations") {
    CHECK(parse_duration_ms("500ms") == 500);
    CHECK(parse_duration_ms("4s") == 4000);
    CHECK(parse_duration_ms("4") == 4000);
    CHECK(parse_duration_ms("2m") == 120000);
    CHECK(parse_duration_ms("1h") == 3600000);
    CHECK_FALSE(parse_duration_ms(""));
    CHECK_FALSE(parse_duration_ms("-1s"));
    CHECK_FALSE(parse_duration_ms("4 parsecs"));
}
