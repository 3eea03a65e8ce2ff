#include "db/api_sql.hpp"

#include <doctest/doctest.h>

using namespace sbdeploy::db;

namespace {
std::optional<std::string> text(const char* s) { return std::string(s); }
} // namespace

TEST_CASE("api rows: cells read as libpq's text format would give them, numbers exactly as written") {
    auto rows = parse_rows(R"([{"version":"20240101000000","n":1.10,"big":123456789012345678901234567890.5,)"
                           R"("e":-1.5E+300,"ok":true,"no":false,"gone":null,"doc":{"a":[1.50,-0e0,"x\"y"],"b":null}},)"
                           R"({"n":2,"version":"20240102000000","extra":"ignored"}])");
    REQUIRE(rows);
    CHECK(rows->columns == std::vector<std::string>{"version", "n", "big", "e", "ok", "no", "gone", "doc"});
    REQUIRE(rows->rows.size() == 2);
    CHECK(rows->rows[0] == Row{text("20240101000000"), text("1.10"), text("123456789012345678901234567890.5"),
                               text("-1.5E+300"), text("t"), text("f"), std::nullopt,
                               text(R"({"a":[1.50,-0e0,"x\"y"],"b":null})")});
    // By name, whatever the order; a column the row lacks is NULL.
    CHECK(rows->rows[1] == Row{text("20240102000000"), text("2"), std::nullopt, std::nullopt, std::nullopt,
                               std::nullopt, std::nullopt, std::nullopt});
}

// Found by fuzz/api_response_fuzz: RapidJSON 1.1's full-precision conversion read past its
// table of powers of ten for a 300-digit number with an exponent; numbers are now never
// converted at all.
TEST_CASE("api rows: a number too large for a double is kept as text, not converted") {
    const std::string digits = "333337" + std::string(294, '0');
    auto rows = parse_rows("[{\"n\":" + digits + "e184}]");
    REQUIRE(rows);
    CHECK(rows->rows.at(0).at(0) == digits + "e184");

    // RapidJSON 1.1 reads no number over 1e308, even as text: one clear message.
    auto over = parse_rows("[{\"n\":1" + std::string(400, '0') + "}]");
    REQUIRE_FALSE(over);
    CHECK(over.error().message == "the management api answered with a number over 1e308, which sbdeploy cannot read");
}

TEST_CASE("api rows: an empty array is no rows, anything else than an array of objects is refused") {
    auto none = parse_rows(" [ ] ");
    REQUIRE(none);
    CHECK(none->columns.empty());
    CHECK(none->rows.empty());

    for (const char* body : {"{}", "\"rows\"", "", "[{\"a\":1}", "<html>502</html>", "[{\"a\":1}]x"}) {
        INFO(body);
        auto r = parse_rows(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().message == "the management api answered with something other than a JSON array of rows");
    }
    for (const char* body : {"[1]", "[[{\"a\":1}]]", "[null]"}) {
        INFO(body);
        auto r = parse_rows(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().message == "the management api answered with rows that are not JSON objects");
    }
    auto later = parse_rows(R"([{"a":1},"b"])");
    REQUIRE_FALSE(later);
    CHECK(later.error().message == "the management api answered with a row that is not a JSON object");
}
