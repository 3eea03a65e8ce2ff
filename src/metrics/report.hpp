// The DORA report over a window of days: deployment frequency, lead time for changes
// (median), change failure rate (per deployment), time to restore (median per outage), PR
// cycle time (median and p90), test pass rate and rule compliance; thresholds on them;
// and the same figures as a terminal table, JSON, or Markdown with a Mermaid chart.
// Pure: history in, figures and text out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sbdeploy::metrics {

struct DeploymentPoint {
    std::int64_t at = 0;
    bool success = true;
    std::optional<std::int64_t> lead_time_seconds;
};
struct MergedPr {
    std::int64_t at = 0;
    std::optional<std::int64_t> cycle_time_seconds;
};
struct TestPoint {
    std::int64_t at = 0;
    long total = 0, passed = 0, failed = 0, skipped = 0;
};
struct RulePoint {
    std::int64_t at = 0;
    std::string rule;
    bool compliant = true;
};

// What the report reads: deployments of one environment in time order (those before the
// window decide whether a failure in it starts an outage), and the rest within the window.
struct History {
    std::vector<DeploymentPoint> deployments;
    std::vector<MergedPr> merged;
    std::vector<TestPoint> tests;
    std::vector<RulePoint> rules;
};

struct Window {
    std::int64_t from = 0;   // inclusive
    std::int64_t until = 0;  // exclusive
    int days = 30;
    std::string repository;  // "" for every repository
    std::string environment = "production";
};

// The last `days` UTC days up to `until` (exclusive), the day holding `until` included: a
// chart of "the last 14 days" has 14 days, whatever the time of day.
Window window_of_days(std::int64_t until, int days);

struct RuleFigure {
    std::string rule;
    long checks = 0;
    long compliant = 0;
};

struct DayFigure {
    std::string date;  // YYYY-MM-DD (UTC)
    long deployments = 0;
    long failed_deployments = 0;
    long prs_merged = 0;
};

struct Figures {
    Window window;
    long deployments = 0;  // successful
    long failed_deployments = 0;
    double deployment_frequency = 0;  // successful deployments per day
    std::optional<double> lead_time_median;
    long lead_times = 0;  // successful deployments with a lead time (the median's basis)
    std::optional<double> change_failure_rate;  // percent of deployments that failed
    long outages = 0;
    long restored_outages = 0;
    std::optional<double> time_to_restore_median;
    long prs_merged = 0;
    std::optional<double> cycle_time_median;
    long cycle_times = 0;  // merged pull requests with a cycle time (the median's basis)
    std::optional<double> cycle_time_p90;
    long tests_total = 0, tests_passed = 0, tests_failed = 0;
    std::optional<double> test_pass_rate;  // percent of passed among passed + failed
    long rule_checks = 0, rule_compliant = 0;
    std::optional<double> rule_compliance;  // percent
    std::vector<RuleFigure> rules;          // by rule name
    std::vector<DayFigure> daily;           // every day of the window, oldest first
};

Figures compute_figures(const History& history, const Window& window);

// Percentile with linear interpolation between closest ranks (Postgres percentile_cont).
std::optional<double> percentile(std::vector<double> values, double fraction);

struct Limits {
    std::optional<double> min_test_pass_rate;        // percent
    std::optional<double> min_rule_compliance;       // percent
    std::optional<double> max_change_failure_rate;   // percent
    std::optional<double> min_deployment_frequency;  // per day
    std::optional<double> max_lead_time;             // seconds
    std::optional<double> max_pr_cycle_time;         // seconds (median)
    std::optional<double> max_time_to_restore;       // seconds
};

struct ThresholdResult {
    std::string option;  // "min-test-pass-rate"
    std::string label;   // "test pass rate"
    double limit = 0;
    std::optional<double> value;  // nothing: no data in the window
    bool ok = true;
    std::string limit_text;  // "80%"
    std::string value_text;  // "75.0%"
};

// Seed 001's alert thresholds (test pass rate under 80%) where `limits` sets none.
Limits with_defaults(Limits limits);

std::vector<ThresholdResult> check_thresholds(const Figures& figures, const Limits& limits);

std::string render_table(const Figures& figures, const std::vector<ThresholdResult>& thresholds);
std::string render_json(const Figures& figures, const std::vector<ThresholdResult>& thresholds);
// The step summary's body: the window, the thresholds first when one failed (failed ones
// first), the figures with their basis, the rules, the chart (report_chart.hpp).
std::string render_markdown(const Figures& figures, const std::vector<ThresholdResult>& thresholds);

// The summary's outcome line: ✅ figures and thresholds met, ⚠️ a threshold not met (❌ with
// `strict`: --fail-on-threshold), ⏭️ nothing recorded in the window.
enum class Strict { no, yes };
std::string report_headline(const Figures& figures, const std::vector<ThresholdResult>& thresholds, Strict strict);

} // namespace sbdeploy::metrics
