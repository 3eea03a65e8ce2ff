#include "metrics/test_reports.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <pugixml.hpp>

#include "metrics/time.hpp"
#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

long count_attr(const pugi::xml_node& n, const char* name) { return static_cast<long>(n.attribute(name).as_llong(0)); }

void walk_suite(const pugi::xml_node& suite, TestCounts& c) {
    long cases = 0;
    for (auto child : suite.children()) {
        std::string_view name = child.name();
        if (name == "testsuite") {
            walk_suite(child, c);
        } else if (name == "testcase") {
            ++cases;
            ++c.total;
            if (child.child("failure") || child.child("error"))
                ++c.failed;
            else if (child.child("skipped"))
                ++c.skipped;
            else
                ++c.passed;
        }
    }
    if (cases == 0 && !suite.child("testsuite")) {
        long tests = count_attr(suite, "tests");
        long failed = count_attr(suite, "failures") + count_attr(suite, "errors");
        long skipped = count_attr(suite, "skipped") + count_attr(suite, "disabled");
        if (tests >= failed + skipped && failed >= 0 && skipped >= 0) {
            c.total += tests;
            c.failed += failed;
            c.skipped += skipped;
            c.passed += tests - failed - skipped;
        }
    }
    if (!c.timestamp)
        if (auto ts = suite.attribute("timestamp"); ts) c.timestamp = parse_time(ts.as_string());
}

} // namespace

Result<TestCounts> parse_junit(std::string_view xml, std::string_view display) {
    pugi::xml_document doc;
    auto parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
    if (!parsed) {
        int line = 1;
        for (std::ptrdiff_t i = 0; i < parsed.offset && static_cast<std::size_t>(i) < xml.size(); ++i)
            if (xml[static_cast<std::size_t>(i)] == '\n') ++line;
        return fail(make_error(ErrorKind::input, "JUnit report: " + std::string(parsed.description()),
                               "the file must be JUnit XML (<testsuites> or <testsuite>)")
                        .at(std::string(display), line));
    }
    pugi::xml_node root = doc.document_element();
    std::string_view root_name = root.name();
    if (root_name != "testsuites" && root_name != "testsuite")
        return fail(make_error(ErrorKind::input,
                               "JUnit report: root element is <" + std::string(root_name) +
                                   ">, not <testsuites> or <testsuite>",
                               "point --junit at JUnit XML reports")
                        .at(std::string(display)));
    TestCounts c;
    if (root_name == "testsuite") {
        walk_suite(root, c);
    } else {
        for (auto s : root.children("testsuite")) walk_suite(s, c);
    }
    // Time: the root's attribute, else the top-level suites' sum.
    if (auto t = root.attribute("time"); t && !std::string_view(t.as_string()).empty()) {
        c.seconds = t.as_double();
    } else {
        double sum = 0;
        bool any = false;
        for (auto s : root.children("testsuite"))
            if (auto a = s.attribute("time")) {
                sum += a.as_double();
                any = true;
            }
        if (any) c.seconds = sum;
    }
    return c;
}

Result<TestRun> parse_test_json(std::string_view text, std::string_view display, std::string_view repository) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    auto bad = [&](std::string message) {
        return fail(make_error(ErrorKind::input, "test results: " + message,
                               "expected {\"run_id\", \"timestamp\", \"total_tests\", \"passed_tests\", "
                               "\"failed_tests\", \"skipped_tests\", \"execution_time_seconds\", \"test_type\"}")
                        .at(std::string(display)));
    };
    if (d.HasParseError()) {
        std::string msg = rapidjson::GetParseError_En(d.GetParseError());
        if (!msg.empty() && msg.back() == '.') msg.pop_back();
        return bad("not JSON: " + util::to_lower(msg) + " at offset " + std::to_string(d.GetErrorOffset()));
    }
    if (!d.IsObject()) return bad("not a JSON object");
    auto text_field = [&](const char* k) -> std::string {
        auto it = d.FindMember(k);
        if (it == d.MemberEnd()) return {};
        if (it->value.IsString()) return it->value.GetString();
        if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
        return {};
    };
    auto count = [&](const char* k) -> std::optional<long> {
        auto it = d.FindMember(k);
        if (it == d.MemberEnd() || !it->value.IsInt64() || it->value.GetInt64() < 0) return std::nullopt;
        return static_cast<long>(it->value.GetInt64());
    };
    TestRun r;
    r.repository = repository;
    r.source = display;
    r.run_id = text_field("run_id");
    if (r.run_id.empty()) return bad("\"run_id\" is missing");
    auto ts = parse_time(text_field("timestamp"));
    if (!ts) return bad("\"timestamp\" is missing or not an ISO 8601 time");
    r.run_timestamp = *ts;
    auto total = count("total_tests");
    auto passed = count("passed_tests");
    auto failed = count("failed_tests");
    auto skipped = count("skipped_tests");
    if (!total || !passed || !failed)
        return bad("\"total_tests\", \"passed_tests\" and \"failed_tests\" must be whole numbers");
    r.total = *total;
    r.passed = *passed;
    r.failed = *failed;
    r.skipped = skipped.value_or(*total - *passed - *failed);
    if (r.passed + r.failed + r.skipped != r.total)
        return bad("passed (" + std::to_string(r.passed) + ") + failed (" + std::to_string(r.failed) + ") + skipped (" +
                   std::to_string(r.skipped) + ") is not total_tests (" + std::to_string(r.total) + ")");
    if (auto it = d.FindMember("execution_time_seconds"); it != d.MemberEnd() && it->value.IsNumber())
        r.execution_time_seconds = it->value.GetDouble();
    r.test_type = text_field("test_type");
    if (r.test_type.empty()) r.test_type = "unknown";
    return r;
}

} // namespace sbdeploy::metrics
