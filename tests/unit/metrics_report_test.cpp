// The DORA report on a history whose figures are computed by hand below: outages that start
// before the window, consecutive failures, unrestored outages, percentiles as Postgres's
// percentile_cont; thresholds; and the three renderings.
#include <doctest/doctest.h>

#include "metrics/report.hpp"
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
        {at("2024-05-22T10:00:00Z"), 3600},
        {at("2024-05-22T12:00:00Z"), 86400},
        {at("2024-05-24T10:00:00Z"), 7200},
        {at("2024-05-26T10:00:00Z"), 14400},
        {at("2024-05-31T23:59:59Z"), 10800},
        {at("2024-05-27T10:00:00Z"), std::nullopt},  // merged, cycle time unknown
    };
    h.tests = {
        {at("2024-05-21T10:00:00Z"), 10, 0, 10, 0},  // before the window
        {at("2024-05-23T10:00:00Z"), 100, 95, 3, 2},
        {at("2024-05-29T10:00:00Z"), 50, 40, 10, 0},
    };
    h.rules = {
        {at("2024-05-23T10:00:00Z"), "branch-naming", true},
        {at("2024-05-23T10:00:00Z"), "branch-naming", false},
        {at("2024-05-24T10:00:00Z"), "branch-naming", true},
        {at("2024-05-24T10:00:00Z"), "conventional-title", true},
        {at("2024-05-24T10:00:00Z"), "conventional-title", false},
        {at("2024-05-10T10:00:00Z"), "conventional-title", false},  // before the window
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
    CHECK(render_table(f, t) ==
          "development metrics: octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n"
          "  deployment frequency    0.40/day    4 successful deployments\n"
          "  lead time for changes   1h 30m      median\n"
          "  change failure rate     50.0%       4 of 8 deployments failed\n"
          "  time to restore         2h          median of 1 restored outage (2 outages)\n"
          "  PR cycle time           3h          median of 6 merged PRs, p90 16h\n"
          "  test pass rate          91.2%       135 of 148 tests passed (2 skipped)\n"
          "  rule compliance         60.0%       3 of 5 checks compliant\n"
          "rules:\n"
          "  branch-naming           66.7%       2 of 3 checks\n"
          "  conventional-title      50.0%       1 of 2 checks\n"
          "thresholds:\n"
          "  FAIL  change failure rate 50.0% (at most 15%, --max-change-failure-rate)\n"
          "  ok    test pass rate 91.2% (at least 80%, --min-test-pass-rate)\n");
    CHECK(render_json(f, t) ==
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
    CHECK(render_markdown(f, t) ==
          "## Development metrics\n\n"
          "octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n\n"
          "| metric | value | based on |\n| --- | --- | --- |\n"
          "| deployment frequency | 0.40/day | 4 successful deployments |\n"
          "| lead time for changes | 1h 30m | median |\n"
          "| change failure rate | 50.0% | 4 of 8 deployments failed |\n"
          "| time to restore | 2h | median of 1 restored outage (2 outages) |\n"
          "| PR cycle time | 3h | median of 6 merged PRs, p90 16h |\n"
          "| test pass rate | 91.2% | 135 of 148 tests passed (2 skipped) |\n"
          "| rule compliance | 60.0% | 3 of 5 checks compliant |\n"
          "\n| rule | compliance | checks |\n| --- | --- | --- |\n"
          "| branch-naming | 66.7% | 2 of 3 |\n"
          "| conventional-title | 50.0% | 1 of 2 |\n"
          "\n| threshold | limit | value | |\n| --- | --- | --- | --- |\n"
          "| change failure rate | at most 15% | 50.0% | :x: |\n"
          "| test pass rate | at least 80% | 91.2% | :white_check_mark: |\n"
          "\n```mermaid\nxychart-beta\n"
          "    title \"Deployments per day (production)\"\n"
          "    x-axis [\"05-22\", \"05-23\", \"05-24\", \"05-25\", \"05-26\", \"05-27\", \"05-28\", \"05-29\", \"05-30\", \"05-31\"]\n"
          "    y-axis \"deployments\" 0 --> 2\n"
          "    bar [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]\n"
          "    line [1, 0, 0, 2, 0, 0, 0, 0, 1, 0]\n"
          "```\n\nBars: successful deployments; line: failed deployments (UTC days).\n");
}
