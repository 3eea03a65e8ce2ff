// Rows as the writers send them: texts exactly as given (quotes, emoji, SQL, backslashes)
// inside Postgres array literals, NULL for empty texts, NUL characters replaced.
#include <doctest/doctest.h>

#include "metrics/records.hpp"
#include "metrics/writer.hpp"

using namespace sbdeploy;
using namespace sbdeploy::metrics;

TEST_CASE("metrics records: array elements quote every text and escape quotes and backslashes") {
    std::string out;
    append_array_element(out, std::nullopt);
    out += ',';
    append_array_element(out, std::string("it's \"quoted\" \\ {a,b} NULL 🚀'); DROP TABLE x; --"));
    out += ',';
    append_array_element(out, std::string("NULL"));
    out += ',';
    append_array_element(out, std::string(""));
    CHECK(out == "NULL,\"it's \\\"quoted\\\" \\\\ {a,b} NULL 🚀'); DROP TABLE x; --\",\"NULL\",\"\"");
}

TEST_CASE("metrics records: texts and numbers as the database reads them") {
    CHECK(text_value("") == std::nullopt);
    CHECK(text_value("a") == db::Value("a"));
    CHECK(text_value(std::string_view("a\0b", 3)) == db::Value("a\xEF\xBF\xBD" "b"));
    CHECK(decimal_text(12.5) == "12.5");
    CHECK(decimal_text(3) == "3");
    CHECK(decimal_text(0.0004) == "0");
    CHECK(decimal_text(-0.0001) == "0");
    CHECK(decimal_text(1.23456) == "1.235");
}

TEST_CASE("metrics records: pr_events rows in table column order") {
    PrEvent e;
    e.repository = "o/r";
    e.pr_number = 7;
    e.event_type = "merged";
    e.event_timestamp = 1557933633;
    e.title = "feat: x";
    e.pr_created_at = 1557933600;
    e.cycle_time_seconds = 33;
    auto rows = to_rows(std::span<const PrEvent>(&e, 1));
    REQUIRE(rows.rows() == 1);
    REQUIRE(rows.table->columns.size() == 11);
    std::vector<db::Value> expected = {"o/r",       "7",         "merged",  "2019-05-15T15:20:33Z", "feat: x",
                                       std::nullopt, std::nullopt, std::nullopt, "2019-05-15T15:20:00Z", "33",
                                       std::nullopt};
    CHECK(rows.cells == expected);
    CHECK(std::vector<std::string_view>(rows.table->key.begin(), rows.table->key.end()) ==
          std::vector<std::string_view>{"repository", "pr_number", "event_type", "event_timestamp"});
}
