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

TEST_CASE("conninfo: which destinations are loopback") {
    for (std::string_view local : {"", "localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1",
                                   "/var/run/postgresql", "@abstract"}) {
        CAPTURE(local);
        CHECK(is_loopback_destination(local));
    }
    for (std::string_view remote : {"0.0.0.0", "192.0.2.10", "10.0.0.1", "::ffff:192.0.2.10", "2001:db8::1",
                                    "db.example.invalid", "localhost.example.com", "128.0.0.1"}) {
        CAPTURE(remote);
        CHECK_FALSE(is_loopback_destination(remote));
    }
}

TEST_CASE("conninfo: the destinations libpq will use come from hostaddr before host, one per host of a list") {
    auto settings = [](std::vector<std::pair<std::string, std::string>> params) {
        auto s = effective_settings(params);
        REQUIRE(s);
        return s->destinations();
    };
    CHECK(settings({{"dbname", "postgresql://u:p@localhost:5432/db?hostaddr=192.0.2.10"}}) ==
          std::vector<std::string>{"192.0.2.10"});
    CHECK(settings({{"dbname", "host=127.0.0.1,db.example.invalid port=5432,5433 dbname=db"}}) ==
          std::vector<std::string>{"127.0.0.1", "db.example.invalid"});
    // Later pairs win, as in PQconnectdbParams; empty values are ignored.
    CHECK(settings({{"host", "db.example.invalid"}, {"dbname", "postgresql://u:p@127.0.0.1/db"}, {"host", ""}}) ==
          std::vector<std::string>{"127.0.0.1"});
    auto s = effective_settings({{"dbname", "postgresql://u:p@db.example.invalid/db?sslmode=prefer"}});
    REQUIRE(s);
    CHECK(s->values["sslmode"] == "prefer");
}
