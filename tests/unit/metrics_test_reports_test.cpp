// Test reports: JUnit XML as the common runners write it (counted test case by test case,
// suites nested or not, attributes when there are no cases), the seeds' JSON files, and
// clear input errors naming the file.
#include <doctest/doctest.h>

#include "metrics/test_reports.hpp"
#include "metrics/time.hpp"

using namespace sbdeploy::metrics;

TEST_CASE("metrics test reports: JUnit XML counted by test case") {
    SUBCASE("testsuites with failures, errors and skips (jest, pytest, doctest style)") {
        auto c = parse_junit(R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all" tests="6" failures="1" errors="1" time="3.5">
  <testsuite name="a" tests="3" timestamp="2024-05-01T10:00:00" time="1.25">
    <testcase name="ok 1"/>
    <testcase name="ok 2"><system-out>fine</system-out></testcase>
    <testcase name="bad"><failure message="expected 1">trace</failure></testcase>
  </testsuite>
  <testsuite name="b" tests="3" time="2.25">
    <testcase name="err"><error message="boom"/></testcase>
    <testcase name="skip"><skipped/></testcase>
    <testcase name="ok 3"/>
  </testsuite>
</testsuites>)",
                             "reports/unit.xml");
        REQUIRE(c);
        CHECK(c->total == 6);
        CHECK(c->passed == 3);
        CHECK(c->failed == 2);
        CHECK(c->skipped == 1);
        CHECK(c->seconds == 3.5);
        CHECK(c->timestamp == parse_time("2024-05-01T10:00:00Z"));
    }
    SUBCASE("a lone testsuite with nested suites, time summed from the suites") {
        auto c = parse_junit(R"(<testsuite name="root" time="4"><testsuite name="inner">
            <testcase name="x"/><testcase name="y"><failure/></testcase></testsuite></testsuite>)",
                             "r.xml");
        REQUIRE(c);
        CHECK(c->total == 2);
        CHECK(c->passed == 1);
        CHECK(c->failed == 1);
        CHECK(c->seconds == 4.0);
        CHECK_FALSE(c->timestamp);
    }
    SUBCASE("suites without test cases count their attributes") {
        auto c =
            parse_junit(R"(<testsuites><testsuite name="s" tests="10" failures="2" errors="1" skipped="3" time="1"/>
            <testsuite name="t" tests="5" time="2"/></testsuites>)",
                        "r.xml");
        REQUIRE(c);
        CHECK(c->total == 15);
        CHECK(c->failed == 3);
        CHECK(c->skipped == 3);
        CHECK(c->passed == 9);
        CHECK(c->seconds == 3.0);
    }
}

TEST_CASE("metrics test reports: bad JUnit files are input errors naming the file and line") {
    auto broken = parse_junit("<testsuites>\n<testsuite>\n<testcase name=\"x\">\n</testsuites>", "reports/bad.xml");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().kind == sbdeploy::ErrorKind::input);
    CHECK(broken.error().file == "reports/bad.xml");
    CHECK(broken.error().line == 4);
    CHECK(broken.error().message == "JUnit report: Start-end tags mismatch");
    auto other = parse_junit("<html><body/></html>", "index.html");
    REQUIRE_FALSE(other);
    CHECK(other.error().message == "JUnit report: root element is <html>, not <testsuites> or <testsuite>");
}

TEST_CASE("metrics test reports: the seeds' development-metrics JSON") {
    auto r = parse_test_json(R"({"run_id": "run-7", "timestamp": "2025-11-20T09:30:00Z", "total_tests": 120,
        "passed_tests": 110, "failed_tests": 4, "skipped_tests": 6, "execution_time_seconds": 42.5,
        "test_type": "unit"})",
                             "development-metrics/tests/2025-11-20.json", "o/r");
    REQUIRE(r);
    CHECK(r->repository == "o/r");
    CHECK(r->run_id == "run-7");
    CHECK(r->run_timestamp == parse_time("2025-11-20T09:30:00Z"));
    CHECK(r->total == 120);
    CHECK(r->passed == 110);
    CHECK(r->failed == 4);
    CHECK(r->skipped == 6);
    CHECK(r->execution_time_seconds == 42.5);
    CHECK(r->test_type == "unit");
    CHECK(r->source == "development-metrics/tests/2025-11-20.json");

    SUBCASE("skipped may be left out; numbers may be run ids") {
        auto s = parse_test_json(R"({"run_id": 7, "timestamp": "2025-11-20", "total_tests": 3, "passed_tests": 2,
            "failed_tests": 0})",
                                 "t.json", "o/r");
        REQUIRE(s);
        CHECK(s->run_id == "7");
        CHECK(s->skipped == 1);
        CHECK(s->test_type == "unknown");
    }
    SUBCASE("totals that do not add up") {
        auto s = parse_test_json(R"({"run_id": "x", "timestamp": "2025-11-20", "total_tests": 3, "passed_tests": 2,
            "failed_tests": 2, "skipped_tests": 0})",
                                 "t.json", "o/r");
        REQUIRE_FALSE(s);
        CHECK(s.error().message == "test results: passed (2) + failed (2) + skipped (0) is not total_tests (3)");
        CHECK(s.error().file == "t.json");
    }
    SUBCASE("not JSON") {
        auto s = parse_test_json("{oops", "t.json", "o/r");
        REQUIRE_FALSE(s);
        CHECK(s.error().message == "test results: not JSON: missing a name for object member at offset 1");
    }
}
