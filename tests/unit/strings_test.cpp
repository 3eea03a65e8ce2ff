#include "util/strings.hpp"

#include <doctest/doctest.h>

using namespace sbdeploy::util;

TEST_CASE("plural: regular and irregular words") {
    CHECK(plural(0, "file") == "0 files");
    CHECK(plural(1, "file") == "1 file");
    CHECK(plural(2, "pending migration") == "2 pending migrations");
    CHECK(plural(1, "entry", "entries") == "1 entry");
    CHECK(plural(3, "entry", "entries") == "3 entries");
}

TEST_CASE("format_ms: milliseconds below a second, seconds with two decimals above") {
    CHECK(format_ms(0) == "0 ms");
    CHECK(format_ms(840.4) == "840 ms");
    CHECK(format_ms(999.4) == "999 ms");
    CHECK(format_ms(1000) == "1.00 s");
    CHECK(format_ms(2345) == "2.35 s");
}
