#include "db/conninfo.hpp"

#include <algorithm>

#include <doctest/doctest.h>

using namespace sbdeploy::db;

// Found by fuzz/conninfo_fuzz: with an unencoded "/" or "?" in the password, libpq ended the
// host at it and read the rest of the password as the database name (or a query), so the
// description in every "cannot connect to ..." message showed it, and nothing masked it.
TEST_CASE("conninfo: a password with an unencoded / or ? is refused, never shown, and masked") {
    for (std::string url : {"postgresql://postgres:/pa55w0rd-tail@db.example.co:5432/postgres",
                            "postgresql://postgres:ab/pa55w0rd-tail@db.example.co/postgres",
                            "postgresql://postgres:ab?pa55w0rd-tail@db.example.co/postgres",
                            "postgres://postgres:x/pa55w0rd-tail@db.example.co",
                            "postgresql://postgres:/a/pa55w0rd=tail@db.example.co/postgres"}) {
        INFO(url);
        auto info = parse_conninfo(url);
        REQUIRE_FALSE(info);
        CHECK(info.error().exit_code() == 2);
        CHECK(info.error().message ==
              "invalid database URL: it has an \"@\" after the host, as when a \"/\" or \"?\" in the password is not "
              "percent-encoded");
        CHECK(info.error().message.find("pa55w0rd") == std::string::npos);
        CHECK(describe_conninfo(url).find("pa55w0rd") == std::string::npos);
        auto secrets = conninfo_secrets(url);
        const auto colon = url.find(':', url.find("//")) + 1;  // the password: from USER: to the @
        const std::string password = url.substr(colon, url.find('@') - colon);
        CHECK(std::ranges::find(secrets, password) != secrets.end());
    }
}

TEST_CASE("conninfo: an @ in a query value or an encoded password is not a misplaced @") {
    auto info = parse_conninfo("postgresql://localhost:5432/postgres?user=me@corp");
    REQUIRE(info);
    CHECK(info->get("user") == "me@corp");
    info = parse_conninfo("postgresql://postgres:a%2Fb%3Fc%40d@db.example.co/postgres");
    REQUIRE(info);
    CHECK(info->get("password") == "a/b?c@d");
    CHECK(describe_conninfo("postgresql://postgres:a%2Fb%3Fc%40d@db.example.co/postgres") ==
          "db.example.co/postgres as postgres");
}
