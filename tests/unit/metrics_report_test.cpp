// The DORA report on a history whose figures are computed by hand below: outages that start
// before the window, consecutive failures, unrestored outages, percentiles as Postgres's
// percentile_cont; thresholds; and the three renderings.
#include <doctest/doctest.h>

#include <set>

#include "metrics/report.hpp"
#include "metrics/report_chart.hpp"
#include "metrics/time.hpp"

using namespace sbdeploy::metrics;

namespace {

std::int64_t at(const char* text) {
    auto t = parse_time(text);
    REQUIRE(t);
    return *t;
}

// The window: ten days up to 2024-06-01T00:00:00Z.
Window window() {
    Window w;
    w.until = at("2024-06-01T00:00:00Z");
    w.days = 10;
    w.from = w.until - 10 * 86400;
    w.repository = "octo/app";
    w.environment = "production";
    return w;
}

History history() {
    History h;
    h.deployments = {
        {at("2024-05-21T12:00:00Z"), false, std::nullopt},  // before the window: an outage already on
        {at("2024-05-22T09:00:00Z"), false, std::nullopt},  // the same outage: not a new one
        {at("2024-05-22T11:00:00Z"), true, 3600},           // restores it (began before the window)
        {at("2024-05-23T10:00:00Z"), true, 7200},
        {at("2024-05-25T08:00:00Z"), false, std::nullopt},  // outage 1
        {at("2024-05-25T08:30:00Z"), false, std::nullopt},  // still outage 1
        {at("2024-05-25T10:00:00Z"), true, 1800},           // restores outage 1 after 2 h
        {at("2024-05-28T12:00:00Z"), true, 10800},
        {at("2024-05-30T15:00:00Z"), false, std::nullopt},  // outage 2, not restored in the window
    };
    h.merged = {
        {at("2024-05-20T10:00:00Z"), 999},  // before the window
        {at("2024-05-22T10:00:00Z"), 3600},  {at("2024-05-22T12:00:00Z"), 86400},
        {at("2024-05-24T10:00:00Z"), 7200},  {at("2024-05-26T10:00:00Z"), 14400},
        {at("2024-05-31T23:59:59Z"), 10800}, {at("2024-05-27T10:00:00Z"), std::nullopt}, // merged, cycle time unknown
    };
    h.tests = {
        {at("2024-05-21T10:00:00Z"), 10, 0, 10, 0}, // before the window
        {at("2024-05-23T10:00:00Z"), 100, 95, 3, 2},
        {at("2024-05-29T10:00:00Z"), 50, 40, 10, 0},
    };
    h.rules = {
        {at("2024-05-23T10:00:00Z"), "branch-naming", true},
        {at("2024-05-23T10:00:00Z"), "branch-naming", false},
        {at("2024-05-24T10:00:00Z"), "branch-naming", true},
        {at("2024-05-24T10:00:00Z"), "conventional-title", true},
        {at("2024-05-24T10:00:00Z"), "conventional-title", false},
        {at("2024-05-10T10:00:00Z"), "conventional-title", false}, // before the window
    };
    return h;
}

} // namespace

TEST_CASE("metrics report: percentiles interpolate between closest ranks") {
    CHECK(percentile({}, 0.5) == std::nullopt);
    CHECK(percentile({5}, 0.9) == 5.0);
    CHECK(percentile({4, 1, 3, 2}, 0.5) == 2.5);
    CHECK(percentile({3600, 7200, 10800, 14400, 86400}, 0.9) == doctest::Approx(57600.0));
}

TEST_CASE("metrics report: the figures of a seeded history, computed by hand") {
    auto f = compute_figures(history(), window());
    // 4 successful deployments in 10 days.
    CHECK(f.deployments == 4);
    CHECK(f.deployment_frequency == doctest::Approx(0.4));
    // Lead times 3600, 7200, 1800, 10800: the median of the middle two.
    CHECK(f.lead_time_median == 5400.0);
    // 4 of 8 deployments failed.
    CHECK(f.failed_deployments == 4);
    CHECK(f.change_failure_rate == 50.0);
    // Outages starting in the window: 05-25 08:00 (restored 10:00) and 05-30 (not restored).
    CHECK(f.outages == 2);
    CHECK(f.restored_outages == 1);
    CHECK(f.time_to_restore_median == 7200.0);
    // Six merged, five with cycle times 3600, 7200, 10800, 14400, 86400.
    CHECK(f.prs_merged == 6);
    CHECK(f.cycle_time_median == 10800.0);
    CHECK(f.cycle_time_p90 == doctest::Approx(57600.0));
    // 135 passed of 148 that ran (skipped ones do not count).
    CHECK(f.tests_total == 150);
    CHECK(f.tests_passed == 135);
    CHECK(f.tests_failed == 13);
    CHECK(f.test_pass_rate == doctest::Approx(100.0 * 135 / 148));
    // 3 of 5 rule checks compliant.
    CHECK(f.rule_checks == 5);
    CHECK(f.rule_compliant == 3);
    CHECK(f.rule_compliance == 60.0);
    REQUIRE(f.rules.size() == 2);
    CHECK(f.rules[0].rule == "branch-naming");
    CHECK(f.rules[0].checks == 3);
    CHECK(f.rules[0].compliant == 2);
    // One row a day, the window's ten days.
    REQUIRE(f.daily.size() == 10);
    CHECK(f.daily.front().date == "2024-05-22");
    CHECK(f.daily.back().date == "2024-05-31");
    CHECK(f.daily[0].deployments == 1);
    CHECK(f.daily[0].failed_deployments == 1);
    CHECK(f.daily[0].prs_merged == 2);
    CHECK(f.daily[3].failed_deployments == 2);
    CHECK(f.daily[9].prs_merged == 1);
}

TEST_CASE("metrics report: an empty window has no figures, and says so") {
    auto f = compute_figures({}, window());
    CHECK(f.deployments == 0);
    CHECK(f.deployment_frequency == 0.0);
    CHECK_FALSE(f.lead_time_median);
    CHECK_FALSE(f.change_failure_rate);
    CHECK_FALSE(f.time_to_restore_median);
    CHECK_FALSE(f.test_pass_rate);
    CHECK_FALSE(f.rule_compliance);
    Limits l;
    l.min_test_pass_rate = 80;
    auto t = check_thresholds(f, l);
    REQUIRE(t.size() == 1);
    CHECK(t[0].ok);
    CHECK(t[0].value_text == "no data");
}

TEST_CASE("metrics report: thresholds") {
    auto f = compute_figures(history(), window());
    Limits l;
    l.min_test_pass_rate = 80;
    l.max_change_failure_rate = 15;
    l.min_rule_compliance = 75;
    l.max_lead_time = 7200;
    l.max_pr_cycle_time = 86400;
    l.max_time_to_restore = 3600;
    l.min_deployment_frequency = 1;
    auto t = check_thresholds(f, l);
    REQUIRE(t.size() == 7);
    std::vector<std::string> lines;
    for (const auto& r : t)
        lines.push_back(r.option + " " + (r.ok ? "ok" : "fail") + " " + r.value_text + " / " + r.limit_text);
    CHECK(lines == std::vector<std::string>{
                       "min-deployment-frequency fail 0.40/day / at least 1/day",
                       "max-lead-time ok 1h 30m / at most 2h",
                       "max-change-failure-rate fail 50.0% / at most 15%",
                       "max-time-to-restore fail 2h / at most 1h",
                       "max-pr-cycle-time ok 3h / at most 1d",
                       "min-test-pass-rate ok 91.2% / at least 80%",
                       "min-rule-compliance fail 60.0% / at least 75%",
                   });
}

TEST_CASE("metrics report: terminal table, JSON and Markdown") {
    auto f = compute_figures(history(), window());
    Limits l;
    l.min_test_pass_rate = 80;
    l.max_change_failure_rate = 15;
    auto t = check_thresholds(f, l);
    CHECK(render_table(f, t) == "development metrics: octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n"
                                "  deployment frequency    0.40/day    4 successful deployments in 10 days\n"
                                "  lead time for changes   1h 30m      median of 4 deployments\n"
                                "  change failure rate     50.0%       4 of 8 deployments failed\n"
                                "  time to restore         2h          median of 1 restored outage (2 outages)\n"
                                "  PR cycle time           3h          median over 5 of 6 merged PRs, p90 16h\n"
                                "  test pass rate          91.2%       135 of 148 tests passed (2 skipped)\n"
                                "  rule compliance         60.0%       3 of 5 checks compliant\n"
                                "rules:\n"
                                "  branch-naming           66.7%       2 of 3 checks\n"
                                "  conventional-title      50.0%       1 of 2 checks\n"
                                "thresholds:\n"
                                "  FAIL  change failure rate 50.0% (at most 15%, --max-change-failure-rate)\n"
                                "  ok    test pass rate 91.2% (at least 80%, --min-test-pass-rate)\n");
    CHECK(
        render_json(f, t) ==
        R"({"repository":"octo/app","environment":"production","days":10,"from":"2024-05-22T00:00:00Z",)"
        R"("until":"2024-06-01T00:00:00Z","deployments":4,"failed_deployments":4,"deployment_frequency_per_day":0.4,)"
        R"("lead_time_seconds_median":5400.0,"change_failure_rate_percent":50.0,"outages":2,"restored_outages":1,)"
        R"("time_to_restore_seconds_median":7200.0,"prs_merged":6,"pr_cycle_time_seconds_median":10800.0,)"
        R"("pr_cycle_time_seconds_p90":57600.0,"tests_total":150,"tests_passed":135,"tests_failed":13,)"
        R"("test_pass_rate_percent":91.22,"rule_checks":5,"rule_compliance_percent":60.0,)"
        R"("rules":[{"rule":"branch-naming","checks":3,"compliant":2},{"rule":"conventional-title","checks":2,"compliant":1}],)"
        R"("thresholds":[{"option":"max-change-failure-rate","limit":15.0,"value":50.0,"ok":false},)"
        R"({"option":"min-test-pass-rate","limit":80.0,"value":91.22,"ok":true}],)"
        R"("daily":[{"date":"2024-05-22","deployments":1,"failed_deployments":1,"prs_merged":2},)"
        R"({"date":"2024-05-23","deployments":1,"failed_deployments":0,"prs_merged":0},)"
        R"({"date":"2024-05-24","deployments":0,"failed_deployments":0,"prs_merged":1},)"
        R"({"date":"2024-05-25","deployments":1,"failed_deployments":2,"prs_merged":0},)"
        R"({"date":"2024-05-26","deployments":0,"failed_deployments":0,"prs_merged":1},)"
        R"({"date":"2024-05-27","deployments":0,"failed_deployments":0,"prs_merged":1},)"
        R"({"date":"2024-05-28","deployments":1,"failed_deployments":0,"prs_merged":0},)"
        R"({"date":"2024-05-29","deployments":0,"failed_deployments":0,"prs_merged":0},)"
        R"({"date":"2024-05-30","deployments":0,"failed_deployments":1,"prs_merged":0},)"
        R"({"date":"2024-05-31","deployments":0,"failed_deployments":0,"prs_merged":1}]})");
    CHECK(
        render_markdown(f, t) ==
        "octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n\n"
        "| threshold | limit | value | result |\n| --- | --- | --- | --- |\n"
        "| change failure rate | at most 15% | 50.0% | ❌ not met |\n"
        "| test pass rate | at least 80% | 91.2% | ✅ met |\n\n"
        "| metric | value | based on |\n| --- | --- | --- |\n"
        "| deployment frequency | 0.40/day | 4 successful deployments in 10 days |\n"
        "| lead time for changes | 1h 30m | median of 4 deployments |\n"
        "| change failure rate | 50.0% | 4 of 8 deployments failed |\n"
        "| time to restore | 2h | median of 1 restored outage (2 outages) |\n"
        "| PR cycle time | 3h | median over 5 of 6 merged PRs, p90 16h |\n"
        "| test pass rate | 91.2% | 135 of 148 tests passed (2 skipped) |\n"
        "| rule compliance | 60.0% | 3 of 5 checks compliant |\n\n"
        "| rule | compliance | checks |\n| --- | --- | --- |\n"
        "| branch-naming | 66.7% | 2 of 3 |\n"
        "| conventional-title | 50.0% | 1 of 2 |\n\n"
        "```mermaid\n---\nconfig:\n  themeVariables:\n    xyChart:\n      plotColorPalette: \"#4493f8, #e5534b\"\n---\n"
        "xychart-beta\n"
        "    title \"Deployments per day (production)\"\n"
        "    x-axis \"day (May 22 to May 31, UTC)\" [\"22\", \"23\", \"24\", \"25\", \"26\", \"27\", \"28\", \"29\", "
        "\"30\", \"31\"]\n"
        "    y-axis \"deployments\" 0 --> 8\n"
        "    bar [2, 1, 0, 3, 0, 0, 1, 0, 1, 0]\n"
        "    line [1, 0, 0, 2, 0, 0, 0, 0, 1, 0]\n"
        "```\n\nBars: deployments per day (UTC), failed ones included; red line: the failed ones.\n\n");
    // Thresholds all met: after the figures.
    l.max_change_failure_rate = 60;
    auto met = render_markdown(f, check_thresholds(f, l));
    CHECK(met.find("| threshold |") > met.find("| metric |"));
}

TEST_CASE("metrics report: the outcome line says what was found, thresholds not met first") {
    auto f = compute_figures(history(), window());
    Limits l;
    l.min_test_pass_rate = 80;
    CHECK(report_headline(f, check_thresholds(f, l), Strict::no) ==
          "✅ **metrics report for production**: 8 deployments (4 failed) in the last 10 days, 1 threshold met");
    l.max_change_failure_rate = 15;
    l.min_rule_compliance = 75;
    CHECK(report_headline(f, check_thresholds(f, l), Strict::no) ==
          "⚠️ **metrics report for production**: 2 thresholds not met (change failure rate 50.0%, at most 15% wanted; "
          "rule compliance 60.0%, at least 75% wanted); 8 deployments (4 failed) in the last 10 days");
    CHECK(report_headline(f, check_thresholds(f, l), Strict::yes)
              .starts_with("❌ **metrics report for production**: 2 thresholds not met"));
    History tests_only;
    tests_only.deployments = {{at("2024-05-23T10:00:00Z"), true, std::nullopt}};
    auto no_tests = compute_figures(tests_only, window());
    Limits pass_rate;
    pass_rate.min_test_pass_rate = 80;
    CHECK(report_headline(no_tests, check_thresholds(no_tests, pass_rate), Strict::no) ==
          "✅ **metrics report for production**: 1 deployment in the last 10 days, 1 threshold without data");
    CHECK(render_markdown(no_tests, check_thresholds(no_tests, pass_rate))
              .find("| test pass rate | at least 80% | no data | ⏭️ no data |\n") != std::string::npos);
    auto empty = compute_figures({}, window());
    CHECK(report_headline(empty, check_thresholds(empty, l), Strict::no) ==
          "⏭️ **metrics report for production**: nothing recorded in the last 10 days");
}

TEST_CASE("metrics report: the last N days are N UTC days, whatever the time of day") {
    // Until midday: the day holding it is the last of the window, so 14 days draw 14 bars.
    auto w = window_of_days(at("2024-06-01T12:00:00Z"), 14);
    CHECK(format_time(w.from) == "2024-05-19T00:00:00Z");
    auto f = compute_figures({}, w);
    REQUIRE(f.daily.size() == 14);
    CHECK(f.daily.front().date == "2024-05-19");
    CHECK(f.daily.back().date == "2024-06-01");
    CHECK(chart_of(f).buckets.size() == 14);
    // Until midnight: the day before it is the last.
    auto m = window_of_days(at("2024-06-01T00:00:00Z"), 10);
    CHECK(m.from == window().from);
    CHECK(compute_figures({}, m).daily.size() == 10);
}

TEST_CASE("metrics report: chart buckets are days, then weeks, then months, then years") {
    struct Case {
        int days;
        BucketUnit unit;
    };
    for (auto [days, unit] : {Case{1, BucketUnit::day}, Case{14, BucketUnit::day}, Case{21, BucketUnit::day},
                              Case{22, BucketUnit::week}, Case{30, BucketUnit::week}, Case{90, BucketUnit::week},
                              Case{105, BucketUnit::week}, Case{106, BucketUnit::month}, Case{334, BucketUnit::month},
                              Case{335, BucketUnit::year}, Case{3650, BucketUnit::year}}) {
        CAPTURE(days);
        CHECK(bucket_unit(days) == unit);
    }
}

TEST_CASE("metrics report: chart labels are short, distinct and at most ~21") {
    auto labels = [](std::int64_t until, int days) {
        std::vector<std::string> r;
        for (const auto& b : chart_of(compute_figures({}, window_of_days(until, days))).buckets) r.push_back(b.label);
        return r;
    };
    const std::int64_t until = at("2026-11-30T09:00:00Z"); // a Monday
    SUBCASE("14 days: day of month") {
        CHECK(labels(until, 14) == std::vector<std::string>{"17", "18", "19", "20", "21", "22", "23", "24", "25", "26",
                                                            "27", "28", "29", "30"});
        CHECK(chart_of(compute_figures({}, window_of_days(until, 14))).x_title == "day (Nov 17 to Nov 30, UTC)");
    }
    SUBCASE("30 days: weeks from Monday, the first one from the window's first day") {
        CHECK(labels(until, 30) == std::vector<std::string>{"Nov 1", "Nov 2", "Nov 9", "Nov 16", "Nov 23", "Nov 30"});
    }
    SUBCASE("90 days: 14 weeks") {
        auto l = labels(until, 90);
        REQUIRE(l.size() == 14);
        CHECK(l.front() == "Sep 2");
        CHECK(l[1] == "Sep 7");
        CHECK(l.back() == "Nov 30");
    }
    SUBCASE("a year: months, then years") {
        CHECK(labels(until, 300).front() == "Feb");
        CHECK(labels(until, 300).size() == 10); // Feb 4 to Nov 30
        CHECK(labels(until, 730) == std::vector<std::string>{"2024", "2025", "2026"});
    }
    for (int days : {1, 7, 14, 21, 22, 30, 60, 90, 105, 106, 200, 334, 335, 730, 3650}) {
        CAPTURE(days);
        auto l = labels(until, days);
        CHECK(l.size() <= 21);
        CHECK(std::set<std::string>(l.begin(), l.end()).size() == l.size());
        for (const auto& label : l) CHECK(label.size() <= 6);
    }
}

TEST_CASE("metrics report: the count axis ends where d3's ten ticks are whole numbers") {
    // Mermaid's linear axis: d3 ticks(10); below an end of 8 the step is 0.5 or less.
    struct Case {
        long top, end;
    };
    for (auto [top, end] : {Case{0, 8}, Case{1, 8}, Case{2, 8}, Case{8, 8}, Case{9, 9}, Case{14, 14}, Case{15, 16},
                            Case{23, 24}, Case{37, 40}, Case{73, 80}, Case{101, 110}, Case{999, 1000}}) {
        CAPTURE(top);
        CHECK(chart_y_max(top) == end);
    }
}

TEST_CASE("metrics report: no chart when there is nothing to draw") {
    auto f = compute_figures({}, window());
    auto md = render_markdown(f, {});
    CHECK(md.find("```mermaid") == std::string::npos);
    CHECK(md.ends_with("No deployment to production in these 10 days: nothing to chart.\n\n"));
}

TEST_CASE("metrics report: every figure states its basis") {
    History h;
    const auto w = window();
    // 16 successful deployments, one with a lead time; 3 merged PRs, none with a cycle time.
    for (int i = 0; i < 16; ++i)
        h.deployments.push_back({w.from + i * 3600, true, i == 0 ? std::optional<std::int64_t>(10800) : std::nullopt});
    for (int i = 0; i < 3; ++i) h.merged.push_back({w.from + i * 3600, std::nullopt});
    auto table = render_table(compute_figures(h, w), {});
    CHECK(table.find("  lead time for changes   3h          median over 1 of 16 deployments\n") != std::string::npos);
    CHECK(table.find("  PR cycle time           -           no cycle time among 3 merged PRs\n") != std::string::npos);
    h.deployments.resize(1);
    CHECK(render_table(compute_figures(h, w), {}).find("median of 1 deployment\n") != std::string::npos);
}
