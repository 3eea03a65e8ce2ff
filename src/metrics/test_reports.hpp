// Test reports -> test_runs rows: JUnit XML (the format every test runner can write; read
// with pugixml) and the seeds' development-metrics/tests/*.json files. Errors are input
// errors naming the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/records.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

struct TestCounts {
    long total = 0;
    long passed = 0;
    long failed = 0;  // failures and errors
    long skipped = 0;
    std::optional<double> seconds;
    std::optional<std::int64_t> timestamp;  // the first suite's timestamp attribute
};

// <testsuites> or a lone <testsuite>, suites nested at any depth. Test cases are counted
// one by one (a <failure> or <error> child fails one, <skipped> skips it); a suite without
// test cases counts its tests/failures/errors/skipped attributes.
Result<TestCounts> parse_junit(std::string_view xml, std::string_view display_name);

// The seed's format: {"run_id", "timestamp", "total_tests", "passed_tests", "failed_tests",
// "skipped_tests", "execution_time_seconds", "test_type"}; totals must add up.
// `repository` and the source (display name) fill the rest.
Result<TestRun> parse_test_json(std::string_view json, std::string_view display_name, std::string_view repository);

} // namespace sbdeploy::metrics
