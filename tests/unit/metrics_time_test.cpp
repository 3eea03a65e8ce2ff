// Metrics timestamps: ISO 8601 as GitHub and git write them, to epoch seconds and back;
// durations for people; retention ages.
#include <doctest/doctest.h>

#include "metrics/time.hpp"

using namespace sbdeploy::metrics;

TEST_CASE("metrics time: ISO 8601 texts parse to UTC epoch seconds") {
    struct Row {
        const char* text;
        std::optional<std::int64_t> epoch;
    };
    const Row rows[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2019-05-15T15:20:33Z", 1557933633},
        {"2021-12-15T20:11:38.000Z", 1639599098},
        {"2024-05-01T12:00:00+02:00", 1714557600},
        {"2024-05-01T12:00:00-0130", 1714570200},
        {"2024-05-01 12:00:00 +0200", 1714557600},
        {"2024-05-01T12:00", 1714564800},
        {"2024-05-01", 1714521600},
        {"2024-02-29T00:00:00Z", 1709164800},
        {"2023-02-29T00:00:00Z", std::nullopt},
        {"2024-13-01", std::nullopt},
        {"2024-05-01T25:00:00Z", std::nullopt},
        {"2024-05-01T12:00:00Q", std::nullopt},
        {"yesterday", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        CHECK(parse_time(r.text) == r.epoch);
    }
}

TEST_CASE("metrics time: formatting is UTC, dates are UTC days") {
    CHECK(format_time(1557933633) == "2019-05-15T15:20:33Z");
    CHECK(format_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_time(-1) == "1969-12-31T23:59:59Z");
    CHECK(format_time(951782400) == "2000-02-29T00:00:00Z");
    CHECK(format_time(253402300799) == "9999-12-31T23:59:59Z");
    CHECK(parse_time(format_time(1717243199)) == 1717243199);
    CHECK(format_date(1557933633) == "2019-05-15");
    CHECK(format_date(-1) == "1969-12-31");
    CHECK(day_start(1557933633) == 1557878400);
}

TEST_CASE("metrics time: durations for people keep two units") {
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(45) == "45s");
    CHECK(format_duration(720) == "12m");
    CHECK(format_duration(725) == "12m 5s");
    CHECK(format_duration(12000) == "3h 20m");
    CHECK(format_duration(93912) == "1d 2h");
    CHECK(format_duration(7 * 86400) == "7d");
}

TEST_CASE("metrics time: retention ages") {
    CHECK(parse_age_seconds("730d") == 730 * 86400);
    CHECK(parse_age_seconds("104w") == 104 * 7 * 86400);
    CHECK(parse_age_seconds("36h") == 36 * 3600);
    CHECK(parse_age_seconds("90") == 90 * 86400);
    CHECK(parse_age_seconds("d") == std::nullopt);
    CHECK(parse_age_seconds("2y") == std::nullopt);
    CHECK(parse_age_seconds("-5d") == std::nullopt);
}
