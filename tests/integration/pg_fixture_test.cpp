// The PostgreSQL fixture itself: version 15, loopback only, password auth over TCP,
// and fresh databases that do not share state.
#include "support/pg.hpp"

#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Connection connect(const std::string& url, const char* password_override = nullptr) {
    const char* keywords[] = {"dbname", password_override != nullptr ? "password" : nullptr, nullptr};
    const char* values[] = {url.c_str(), password_override, nullptr};
    return Connection(PQconnectdbParams(keywords, values, 1), &PQfinish);
}

}  // namespace

TEST_CASE("fixture: a fresh database is reachable over libpq on PostgreSQL 15") {
    const std::string url = sbdeploy::test::fresh_database("fixture");
    const Connection conn = connect(url);
    REQUIRE_MESSAGE(PQstatus(conn.get()) == CONNECTION_OK, PQerrorMessage(conn.get()));
    CHECK(PQserverVersion(conn.get()) / 10000 == 15);

    const auto version = sbdeploy::test::query_column(url, "SHOW server_version_num");
    REQUIRE(version.size() == 1);
    CHECK(version[0].size() == 6);
    CHECK(version[0].starts_with("15"));
    CHECK(sbdeploy::test::query_column(url, "SHOW server_encoding") == std::vector<std::string>{"UTF8"});
}

TEST_CASE("fixture: the server listens on loopback only and checks the password") {
    const std::string url = sbdeploy::test::server_url();
    CHECK(url.starts_with("postgresql://postgres:"));
    CHECK(sbdeploy::test::query_column(url, "SELECT host(inet_server_addr())") ==
          std::vector<std::string>{"127.0.0.1"});
    CHECK(sbdeploy::test::query_column(url, "SHOW listen_addresses") == std::vector<std::string>{"127.0.0.1"});

    SUBCASE("a wrong password is refused") {
        const Connection conn = connect(url, "not-the-password");
        CHECK(PQstatus(conn.get()) == CONNECTION_BAD);
        CHECK(std::string(PQerrorMessage(conn.get())).find("password authentication failed for user \"postgres\"") !=
              std::string::npos);
    }
    SUBCASE("the right password is accepted") {
        const Connection conn = connect(url);
        CHECK(PQstatus(conn.get()) == CONNECTION_OK);
    }
}

TEST_CASE("fixture: two fresh databases are distinct and empty") {
    const std::string first = sbdeploy::test::fresh_database();
    const std::string second = sbdeploy::test::fresh_database();
    CHECK(first != second);
    const auto first_name = sbdeploy::test::query_column(first, "SELECT current_database()");
    const auto second_name = sbdeploy::test::query_column(second, "SELECT current_database()");
    REQUIRE(first_name.size() == 1);
    REQUIRE(second_name.size() == 1);
    CHECK(first_name != second_name);
    CHECK(first.ends_with("/" + first_name[0]));

    sbdeploy::test::query_column(first, "CREATE TABLE only_here (id int)");
    const std::string count = "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'";
    CHECK(sbdeploy::test::query_column(first, count) == std::vector<std::string>{"1"});
    CHECK(sbdeploy::test::query_column(second, count) == std::vector<std::string>{"0"});
}

TEST_CASE("fixture: query_column reports SQL errors with the server's message") {
    const std::string url = sbdeploy::test::fresh_database();
    CHECK_THROWS_WITH_AS(sbdeploy::test::query_column(url, "SELECT * FROM missing_table"),
                         "test postgres: query \"SELECT * FROM missing_table\": ERROR:  relation \"missing_table\" "
                         "does not exist\nLINE 1: SELECT * FROM missing_table\n                      ^",
                         std::runtime_error);
    CHECK(sbdeploy::test::query_column(url, "SELECT NULL::text UNION ALL SELECT 'x'") ==
          std::vector<std::string>{"", "x"});
}
