// metrics report and the daily DORA views on a history seeded into the real PostgreSQL; the
// figures are computed by hand in the comments (the same history as tests/unit/
// metrics_report_test.cpp, there computed in memory; here read back through SQL, the views
// and the built binary). Also thresholds as annotations or a failure, and prune.
#include "integration/metrics_support.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

// Ten days up to 2024-06-01T00:00:00Z for octo/app, plus rows of another repository and of
// staging that the report must leave out.
std::string seeded() {
    const std::string url = metrics_database("metrics_report");
    query_column(url, R"SQL(
insert into metrics.deployment_events (repository, environment, status, deployed_at, source, source_id, lead_time_seconds) values
 ('octo/app', 'production', 'failure', '2024-05-21T12:00:00Z', 'sbdeploy', 'd1', null),  -- before the window: an outage already on
 ('octo/app', 'production', 'failure', '2024-05-22T09:00:00Z', 'sbdeploy', 'd2', null),  -- the same outage
 ('octo/app', 'production', 'success', '2024-05-22T11:00:00Z', 'sbdeploy', 'd3', 3600),
 ('octo/app', 'production', 'success', '2024-05-23T10:00:00Z', 'sbdeploy', 'd4', 7200),
 ('octo/app', 'production', 'failure', '2024-05-25T08:00:00Z', 'sbdeploy', 'd5', null),  -- outage 1
 ('octo/app', 'production', 'failure', '2024-05-25T08:30:00Z', 'sbdeploy', 'd6', null),  -- still outage 1
 ('octo/app', 'production', 'success', '2024-05-25T10:00:00Z', 'sbdeploy', 'd7', 1800),  -- restores it after 2 h
 ('octo/app', 'production', 'success', '2024-05-28T12:00:00Z', 'sbdeploy', 'd8', 10800),
 ('octo/app', 'production', 'failure', '2024-05-30T15:00:00Z', 'sbdeploy', 'd9', null),  -- outage 2, not restored
 ('octo/app', 'staging',    'success', '2024-05-26T10:00:00Z', 'sbdeploy', 's1', 60),
 ('octo/other', 'production', 'success', '2024-05-26T10:00:00Z', 'sbdeploy', 'o1', 60);
insert into metrics.pr_events (repository, pr_number, event_type, event_timestamp, cycle_time_seconds) values
 ('octo/app', 1, 'merged', '2024-05-20T10:00:00Z', 999),  -- before the window
 ('octo/app', 2, 'merged', '2024-05-22T10:00:00Z', 3600),
 ('octo/app', 3, 'merged', '2024-05-22T12:00:00Z', 86400),
 ('octo/app', 4, 'merged', '2024-05-24T10:00:00Z', 7200),
 ('octo/app', 5, 'merged', '2024-05-26T10:00:00Z', 14400),
 ('octo/app', 6, 'merged', '2024-05-31T23:59:59Z', 10800),
 ('octo/app', 7, 'merged', '2024-05-27T10:00:00Z', null),  -- cycle time unknown
 ('octo/app', 8, 'opened', '2024-05-27T10:00:00Z', null),
 ('octo/other', 1, 'merged', '2024-05-27T10:00:00Z', 5);
insert into metrics.test_runs (repository, run_id, test_type, source, run_timestamp, total_tests, passed_tests, failed_tests, skipped_tests) values
 ('octo/app', '1', 'unit', 'a.xml', '2024-05-21T10:00:00Z', 10, 0, 10, 0),  -- before the window
 ('octo/app', '2', 'unit', 'a.xml', '2024-05-23T10:00:00Z', 100, 95, 3, 2),
 ('octo/app', '3', 'unit', 'a.xml', '2024-05-29T10:00:00Z', 50, 40, 10, 0);
insert into metrics.rule_compliance_events (repository, rule_name, rule_category, compliance_status, context_type, context_id, subject, event_timestamp) values
 ('octo/app', 'branch-naming', 'branching', 'compliant', 'pull_request', '1', 'feature/a', '2024-05-23T10:00:00Z'),
 ('octo/app', 'branch-naming', 'branching', 'violation', 'pull_request', '2', 'wip', '2024-05-23T10:00:00Z'),
 ('octo/app', 'branch-naming', 'branching', 'compliant', 'pull_request', '3', 'fix/b', '2024-05-24T10:00:00Z'),
 ('octo/app', 'conventional-title', 'commits', 'compliant', 'pull_request', '3', 'fix: b', '2024-05-24T10:00:00Z'),
 ('octo/app', 'conventional-title', 'commits', 'violation', 'pull_request', '4', 'stuff', '2024-05-24T10:00:00Z'),
 ('octo/app', 'conventional-title', 'commits', 'violation', 'pull_request', '5', 'old', '2024-05-10T10:00:00Z');
)SQL");
    return url;
}

const std::vector<std::string> kWindow = {"--days", "10", "--until", "2024-06-01", "--repository", "octo/app"};

std::vector<std::string> args(std::vector<std::string> extra, const std::string& url) {
    std::vector<std::string> a = {"metrics", "report", "--db-url", url};
    a.insert(a.end(), kWindow.begin(), kWindow.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

} // namespace

TEST_CASE("metrics report: the figures of a seeded history, computed by hand") {
    const std::string url = seeded();
    auto r = run_sbdeploy(args({"--json"}, url));
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    // Deployment frequency: 4 successful production deployments in 10 days = 0.4/day.
    // Lead time: median of 3600, 7200, 1800, 10800 = (3600 + 7200) / 2 = 5400.
    // Change failure rate: 4 of the window's 8 deployments failed = 50%.
    // Outages starting in the window: 05-25 08:00 (restored at 10:00: 7200 s) and 05-30
    // (not restored); the failure of 05-22 continues the outage of 05-21.
    // PR cycle time: six merged, five known: 3600, 7200, 10800, 14400, 86400; median 10800;
    // p90 = 14400 + 0.6 * (86400 - 14400) = 57600.
    // Tests: 135 passed of 148 that ran (2 skipped) = 91.22%. Rules: 3 of 5 = 60%.
    // Thresholds: seed 001's default, a test pass rate of at least 80% (met).
    CHECK(
        r.out.find(
            R"({"repository":"octo/app","environment":"production","days":10,"from":"2024-05-22T00:00:00Z",)"
            R"("until":"2024-06-01T00:00:00Z","deployments":4,"failed_deployments":4,"deployment_frequency_per_day":0.4,)"
            R"("lead_time_seconds_median":5400.0,"change_failure_rate_percent":50.0,"outages":2,"restored_outages":1,)"
            R"("time_to_restore_seconds_median":7200.0,"prs_merged":6,"pr_cycle_time_seconds_median":10800.0,)"
            R"("pr_cycle_time_seconds_p90":57600.0,"tests_total":150,"tests_passed":135,"tests_failed":13,)"
            R"("test_pass_rate_percent":91.22,"rule_checks":5,"rule_compliance_percent":60.0,)"
            R"("rules":[{"rule":"branch-naming","checks":3,"compliant":2},{"rule":"conventional-title","checks":2,"compliant":1}],)"
            R"("thresholds":[{"option":"min-test-pass-rate","limit":80.0,"value":91.22,"ok":true}],"daily":[{"date":"2024-05-22","deployments":1,"failed_deployments":1,"prs_merged":2},)") ==
        0);

    // The daily views agree, day by day (05-25: one success, two failures, restored in 2 h).
    auto refreshed = query_column(url, "select metrics.refresh_development_metrics('2024-05-22', '2024-05-31')");
    CHECK(refreshed == std::vector<std::string>{"12"});  // octo/app on all 10 days, octo/other on 2
    CHECK(query_column(
              url,
              "select string_agg(metric_date || ' ' || deployment_frequency || ' ' || failed_deployments || ' ' ||"
              " coalesce(change_failure_rate::text, '-') || ' ' || coalesce(lead_time_seconds::text, '-') || ' ' ||"
              " coalesce(time_to_restore_seconds::text, '-') || ' ' || prs_merged, E'\\n' order by metric_date)"
              " from metrics.development_metrics where repository = 'octo/app' and"
              " metric_date in ('2024-05-22', '2024-05-25', '2024-05-30')") ==
          std::vector<std::string>{"2024-05-22 1 1 0.5000 3600 - 2\n"
                                   "2024-05-25 1 2 0.6667 1800 7200 0\n"
                                   "2024-05-30 0 1 1.0000 - - 0"});
    CHECK(query_column(url, "select test_pass_rate || ' ' || rule_compliance_rate from metrics.development_metrics"
                            " where repository = 'octo/app' and metric_date = '2024-05-23'") ==
          std::vector<std::string>{"0.9694 0.5000"});
}

TEST_CASE("metrics report: thresholds warn, or fail with --fail-on-threshold, and Markdown goes to the step summary") {
    const std::string url = seeded();
    TempDir dir;
    Env env = {{"GITHUB_ACTIONS", "true"},
               {"GITHUB_STEP_SUMMARY", dir.write("summary", "")},
               {"GITHUB_OUTPUT", dir.write("output", "")}};
    auto warned = run_sbdeploy(args({"--min-test-pass-rate", "95", "--max-change-failure-rate", "60"}, url), env);
    INFO(describe(warned));
    CHECK(warned.exit_code == 0);
    // (In an annotation "%" is written "%25".)
    CHECK(warned.err ==
          "::warning::metrics: test pass rate is 91.2%25, at least 95%25 wanted (--min-test-pass-rate)\n");
    CHECK(without_masks(warned.out)
              .find("development metrics: octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n") == 0);
    auto o = outputs(env["GITHUB_OUTPUT"]);
    CHECK(o["thresholds_met"] == "false");
    CHECK(o["pr_cycle_time_p90_seconds"] == "57600");
    CHECK(o["test_pass_rate"] == "91.22");
    const std::string summary = slurp(env["GITHUB_STEP_SUMMARY"]);
    // The outcome first, the threshold not met first in its table, every deployment in the chart.
    CHECK(summary.starts_with("⚠️ **metrics report for production**: 1 threshold not met (test pass rate 91.2%, at "
                              "least 95% wanted); 8 deployments (4 failed) in the last 10 days\n\n"
                              "octo/app, production, last 10 days (2024-05-22 to 2024-05-31)\n\n"
                              "| threshold | limit | value | result |\n| --- | --- | --- | --- |\n"
                              "| test pass rate | at least 95% | 91.2% | ❌ not met |\n"
                              "| change failure rate | at most 60% | 50.0% | ✅ met |\n"));
    CHECK(summary.find("xychart-beta\n") != std::string::npos);
    CHECK(summary.find("    bar [2, 1, 0, 3, 0, 0, 1, 0, 1, 0]\n") != std::string::npos);
    CHECK(summary.find("    line [1, 0, 0, 2, 0, 0, 0, 0, 1, 0]\n") != std::string::npos);
    CHECK(summary.ends_with("red line: the failed ones.\n\n"));

    env["GITHUB_STEP_SUMMARY"] = dir.write("summary2", "");
    auto failed = run_sbdeploy(args({"--min-test-pass-rate", "95", "--fail-on-threshold"}, url), env);
    INFO(describe(failed));
    CHECK(failed.exit_code == 1);
    CHECK(slurp(env["GITHUB_STEP_SUMMARY"]).starts_with("❌ **metrics report for production**: 1 threshold not met"));
    CHECK(failed.err ==
          "::error::metrics report: 1 threshold not met: test pass rate 91.2%25 (at least 95%25)%0Ahint: see the "
          "step summary for every figure; without --fail-on-threshold these are warnings\n");
}

TEST_CASE(
    "metrics report: the last 14 days draw 14 bars whatever the time of day, and nothing drawn for no deployment") {
    const std::string url = seeded();
    TempDir dir;
    Env env = {{"GITHUB_STEP_SUMMARY", dir.write("summary", "")}};
    // Until midday on 06-01: 05-19 to 06-01, 14 days (the window used to start at 05-18 12:00: 15 bars).
    auto r = run_sbdeploy({"metrics", "report", "--db-url", url, "--days", "14", "--until", "2024-06-01T12:00:00Z",
                           "--repository", "octo/app"},
                          env);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    const std::string summary = slurp(env["GITHUB_STEP_SUMMARY"]);
    CHECK(summary.find("octo/app, production, last 14 days (2024-05-19 to 2024-06-01)\n") != std::string::npos);
    CHECK(summary.find(
              "    x-axis \"day (May 19 to Jun 1, UTC)\" [\"19\", \"20\", \"21\", \"22\", \"23\", \"24\", \"25\", "
              "\"26\", \"27\", \"28\", \"29\", \"30\", \"31\", \"1\"]\n") != std::string::npos);
    CHECK(summary.find("    y-axis \"deployments\" 0 --> 8\n") != std::string::npos);

    // A repository with no deployment: a sentence, no chart of zeros.
    env["GITHUB_STEP_SUMMARY"] = dir.write("summary2", "");
    auto none = run_sbdeploy({"metrics", "report", "--db-url", url, "--days", "14", "--until", "2024-06-01",
                              "--repository", "octo/none"},
                             env);
    INFO(describe(none));
    REQUIRE(none.exit_code == 0);
    const std::string empty = slurp(env["GITHUB_STEP_SUMMARY"]);
    CHECK(empty.starts_with("⏭️ **metrics report for production**: nothing recorded in the last 14 days\n\n"));
    CHECK(empty.find("```mermaid") == std::string::npos);
    CHECK(empty.ends_with("No deployment to production in these 14 days: nothing to chart.\n\n"));
}

TEST_CASE("metrics prune: rows older than the cutoff go, newer ones stay") {
    const std::string url = seeded();
    // Everything seeded is from May 2024: older than a day, younger than ten years.
    auto kept = run_sbdeploy({"metrics", "prune", "--older-than", "3650d", "--db-url", url});
    INFO(describe(kept));
    REQUIRE(kept.exit_code == 0);
    CHECK(kept.out.find("metrics prune: deleted 0 rows from before ") == 0);
    auto dry = run_sbdeploy({"metrics", "prune", "--older-than", "1d", "--dry-run", "--db-url", url});
    INFO(describe(dry));
    CHECK(dry.out.find("metrics prune: would delete 29 rows from before ") == 0);
    CHECK(count(url, "pr_events") == 9);
    TempDir dir;
    Env env = {{"GITHUB_STEP_SUMMARY", dir.write("summary", "")}};
    auto pruned = run_sbdeploy({"metrics", "prune", "--older-than", "1d", "--db-url", url}, env);
    CHECK(pruned.exit_code == 0);
    CHECK(count(url, "pr_events") + count(url, "deployment_events") + count(url, "test_runs") +
              count(url, "rule_compliance_events") ==
          0);
    // The summary: the outcome, then the rows by table.
    const std::string summary = slurp(env["GITHUB_STEP_SUMMARY"]);
    CHECK(summary.starts_with("✅ **metrics prune**: 29 rows deleted from before "));
    CHECK(summary.ends_with("| table | rows |\n| --- | ---: |\n| `metrics.pr_events` | 9 |\n"
                            "| `metrics.deployment_events` | 11 |\n| `metrics.test_runs` | 3 |\n"
                            "| `metrics.rule_compliance_events` | 6 |\n\n"));
    env["GITHUB_STEP_SUMMARY"] = dir.write("summary2", "");
    CHECK(run_sbdeploy({"metrics", "prune", "--older-than", "1d", "--db-url", url}, env).exit_code == 0);
    CHECK(slurp(env["GITHUB_STEP_SUMMARY"]).find("⏭️ **metrics prune**: no row from before ") == 0);
}
