// record-metrics against the real PostgreSQL: a merged pull request recorded twice is one
// row with its cycle time; rows always go to production whatever the branch; texts arrive
// as written; every webhook example records once; test reports; and the errors.
#include <set>

#include "integration/metrics_support.hpp"
#include "metrics/events.hpp"
#include "metrics/writer.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

// A closed pull request of the examples, merged a day, 2 h, 5 min and 12 s after it opened.
rapidjson::Document merged_pull_request(const std::string& title) {
    auto pr = webhook_example("pull_request", 3);
    REQUIRE(std::string(pr["action"].GetString()) == "closed");
    pr["pull_request"]["merged"].SetBool(true);
    set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    set(pr, "/pull_request/title", title);
    set(pr, "/pull_request/head/ref", "feature/moods");
    set(pr, "/pull_request/base/ref", "staging");
    return pr;
}

struct Run {
    TempDir dir;
    Env env;
    explicit Run(const std::string& event, const rapidjson::Value& payload) {
        env = {{"GITHUB_ACTIONS", "true"},
               {"GITHUB_EVENT_NAME", event},
               {"GITHUB_EVENT_PATH", dir.write("event.json", to_json(payload))},
               {"GITHUB_OUTPUT", dir.write("output", "")},
               {"GITHUB_STEP_SUMMARY", dir.write("summary", "")},
               {"GITHUB_REPOSITORY", "octo/app"},
               {"GITHUB_RUN_ID", "7001"},
               {"GITHUB_RUN_ATTEMPT", "1"},
               {"GITHUB_SHA", "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}};
    }
    util::ProcessResult operator()(std::vector<std::string> args = {}) const {
        args.insert(args.begin(), "record-metrics");
        return run_sbdeploy(args, env);
    }
};

} // namespace

TEST_CASE("record-metrics: a merged pull request recorded twice is one row with its cycle time") {
    const std::string url = metrics_database("metrics_merged");
    Run run("pull_request", merged_pull_request("feat(moods): record them"));
    run.env["SBDEPLOY_PRODUCTION_DB_URL"] = url;

    auto first = run();
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    // The database password is masked before anything else is printed; then the one summary line.
    CHECK(first.out.starts_with("::add-mask::"));
    CHECK(without_masks(first.out).find(
              "record-metrics: 4 new rows (pr_events 1, rule_compliance_events 3) in 127.0.0.1:") == 0);
    auto o = outputs(run.env["GITHUB_OUTPUT"]);
    CHECK(o["recorded"] == "4");
    CHECK(o["skipped"] == "0");
    CHECK(o["pr_events"] == "1");

    run.env["GITHUB_OUTPUT"] = run.dir.write("output2", "");
    auto second = run();
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(without_masks(second.out).find("record-metrics: 0 new rows, 4 already recorded in ") == 0);
    o = outputs(run.env["GITHUB_OUTPUT"]);
    CHECK(o["recorded"] == "0");
    CHECK(o["skipped"] == "4");

    CHECK(
        query_column(url,
                     "select repository || '|' || pr_number || '|' || event_type || '|' || "
                     "to_char(event_timestamp at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '|' || "
                     "cycle_time_seconds || '|' || branch_name || '|' || base_branch || '|' || author || '|' || run_id "
                     "from metrics.pr_events") ==
        std::vector<std::string>{"octo/app|2|merged|2019-05-16 17:25:45|93912|feature/moods|staging|Codertocat|7001"});
    CHECK(count(url, "rule_compliance_events") == 3);
    CHECK(count(url, "rule_compliance_events", "compliance_status = 'compliant'") == 3);
    // The day's aggregates were refreshed.
    CHECK(query_column(url, "select metric_date || ' ' || prs_merged || ' ' || pr_cycle_time_seconds from "
                            "metrics.development_metrics") == std::vector<std::string>{"2019-05-16 1 93912"});
    // Both runs' summaries, each opening with its outcome, each table escaped and closed by a blank line.
    CHECK(slurp(run.env["GITHUB_STEP_SUMMARY"]) ==
          "✅ **record-metrics in production**: 4 new rows\n\n"
          "| table | new rows | already recorded |\n| --- | ---: | ---: |\n"
          "| `metrics.pr_events` | 1 | 0 |\n| `metrics.rule_compliance_events` | 3 | 0 |\n\n"
          "✅ **record-metrics in production**: 0 new rows, 4 already recorded\n\n"
          "| table | new rows | already recorded |\n| --- | ---: | ---: |\n"
          "| `metrics.pr_events` | 0 | 1 |\n| `metrics.rule_compliance_events` | 0 | 3 |\n\n");
}

TEST_CASE("record-metrics: on a branch mapped to staging, rows still go to production") {
    const std::string production = metrics_database("metrics_prod");
    const std::string staging = metrics_database("metrics_staging");
    auto push = webhook_example("push", 4);
    set(push, "/ref", "refs/heads/staging");
    Run run("push", push);
    run.env["GITHUB_REF"] = "refs/heads/staging";
    run.env["SBDEPLOY_PRODUCTION_DB_URL"] = production;
    run.env["SBDEPLOY_STAGING_DB_URL"] = staging;

    SUBCASE("the staging deployment of a push-migrations run") {
        auto r = run({"--deployment-status", "success", "--applied-count", "2", "--deployment-duration", "1500ms"});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        CHECK(query_column(production,
                           "select environment || '|' || status || '|' || source || '|' || source_id || '|' || "
                           "migrations_applied || '|' || duration_seconds || '|' || (lead_time_seconds > 0) "
                           "from metrics.deployment_events") ==
              std::vector<std::string>{"staging|success|sbdeploy|7001:1:staging|2|1.5|true"});
    }
    SUBCASE("even when the run's environment is set to staging") {
        run.env["SBDEPLOY_ENVIRONMENT"] = "staging";
        auto r = run({"--deployment-status", "failure"});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        CHECK(count(production, "deployment_events", "environment = 'staging' and status = 'failure'") == 1);
    }
    CHECK(count(production, "rule_compliance_events") == 1);  // "Initial commit"
    for (const auto& t : {"pr_events", "deployment_events", "rule_compliance_events", "test_runs"})
        CHECK(count(staging, t) == 0);
}

TEST_CASE("record-metrics: titles with quotes, emoji and SQL arrive exactly as written") {
    const std::string url = metrics_database("metrics_titles");
    const std::vector<std::string> titles = {
        "feat: it's \"quoted\"",
        "fix: '); DROP TABLE metrics.pr_events; --",
        "feat(🚀): 速い emoji ✨ and ümlauts",
        "chore: back\\slash \\N NULL {a,b} $$ $tag$ E'\\x00'",
        "docs: two\nlines\tand a tab",
        "Robert'); DELETE FROM metrics.rule_compliance_events WHERE ('1'='1",
    };
    for (std::size_t i = 0; i < titles.size(); ++i) {
        auto pr = webhook_example("pull_request", 0);  // opened
        REQUIRE(std::string(pr["action"].GetString()) == "opened");
        pr["pull_request"]["number"].SetInt(static_cast<int>(100 + i));
        set(pr, "/pull_request/title", titles[i]);
        set(pr, "/pull_request/head/ref", "feature/\"x\"'; --" + std::to_string(i));
        Run run("pull_request", pr);
        auto r = run({"--db-url", url});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
    }
    CHECK(query_column(url, "select pr_title from metrics.pr_events order by pr_number") == titles);
    CHECK(query_column(url, "select branch_name from metrics.pr_events where pr_number = 101") ==
          std::vector<std::string>{"feature/\"x\"'; --1"});
    CHECK(count(url, "rule_compliance_events",
                "rule_name = 'conventional-title' and compliance_status = 'violation'") == 1);
    CHECK(count(url, "pr_events") == 6);
}

TEST_CASE("record-metrics: every webhook example recorded twice adds its rows once") {
    const std::string url = metrics_database("metrics_examples");
    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    auto writer = metrics::session_writer(**session);
    auto rules = metrics::Rules::compile({});
    REQUIRE(rules);
    metrics::EventContext ctx;
    ctx.now = 1717200000;
    ctx.run_id = "1";
    ctx.environment_of = [](std::string_view b) {
        return b == "master" || b == "main" ? std::string("production") : "";
    };
    std::size_t offered = 0, inserted = 0;
    std::set<std::string> events;
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& e : webhook_examples().GetArray()) {
            for (const auto& payload : e["examples"].GetArray()) {
                auto out = metrics::records_for_event(e["name"].GetString(), &payload, *rules, ctx);
                auto w = metrics::write_records(*writer, out.records);
                REQUIRE_MESSAGE(w, (w ? "" : w.error().message));
                if (pass == 0) {
                    offered += w->offered();
                    inserted += w->inserted();
                    if (w->offered()) events.insert(e["name"].GetString());
                } else {
                    CHECK(w->inserted() == 0);
                }
            }
        }
    }
    CHECK(events == std::set<std::string>{"deployment_status", "pull_request", "push", "workflow_run"});
    // The examples repeat one pull request and one deployment: duplicates collapse.
    CHECK(offered > inserted);
    const long rows = count(url, "pr_events") + count(url, "deployment_events") + count(url, "rule_compliance_events");
    CHECK(static_cast<std::size_t>(rows) == inserted);
    CHECK(query_column(url, "select string_agg(event_type, ',' order by event_type) from metrics.pr_events") ==
          std::vector<std::string>{"closed,opened,ready_for_review,reopened"});
    CHECK(query_column(
              url,
              "select string_agg(source || ':' || source_id, ',' order by source) from metrics.deployment_events") ==
          std::vector<std::string>{"deployment_status:209916254,workflow_run:289782451:1"});
}

TEST_CASE("record-metrics: JUnit reports and test result files become test runs") {
    const std::string url = metrics_database("metrics_tests");
    auto push = webhook_example("push", 0);
    Run run("push", push);
    TempProject project;
    project.file("reports/unit/a.xml", R"(<testsuites time="2"><testsuite name="a" timestamp="2024-05-01T10:00:00">
        <testcase name="x"/><testcase name="y"><failure/></testcase><testcase name="z"><skipped/></testcase>
        </testsuite></testsuites>)");
    project.file("reports/e2e/b.xml", R"(<testsuite name="b" tests="4" failures="0" time="1.5"/>)");
    project.file("development-metrics/tests/run.json", R"({"run_id": "r-1", "timestamp": "2024-05-02T00:00:00Z",
        "total_tests": 10, "passed_tests": 9, "failed_tests": 1, "skipped_tests": 0, "test_type": "integration"})");
    run.env["SBDEPLOY_PRODUCTION_DB_URL"] = url;
    auto r = run({"--workdir", project.root().string(), "--junit", "reports/**/*.xml", "--junit", "missing/*.xml",
                  "--test-results", "development-metrics/tests/*.json", "--test-type", "unit"});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "::warning::record-metrics: no file matches \"missing/*.xml\"\n");
    CHECK(query_column(url, "select source || '|' || run_id || '|' || test_type || '|' || total_tests || '|' || "
                            "passed_tests || '|' || failed_tests || '|' || skipped_tests || '|' || "
                            "coalesce(execution_time_seconds::text, '-') from metrics.test_runs order by source") ==
          std::vector<std::string>{"development-metrics/tests/run.json|r-1|integration|10|9|1|0|-",
                                   "reports/e2e/b.xml|7001|unit|4|4|0|0|1.5",
                                   "reports/unit/a.xml|7001|unit|3|1|1|1|2"});
    // The same reports recorded again: nothing new. Under another --test-type (another job of
    // the same run may write the same report path) the JUnit reports are other rows; the JSON
    // file names its own test_type, so it stays one row.
    auto same = run({"--workdir", project.root().string(), "--junit", "reports/**/*.xml", "--test-type", "unit",
                     "--test-results", "development-metrics/tests/*.json"});
    INFO(describe(same));
    CHECK(same.exit_code == 0);
    CHECK(without_masks(same.out).find("record-metrics: 0 new rows, 3 already recorded in ") == 0);
    CHECK(count(url, "test_runs") == 3);
    auto again = run({"--workdir", project.root().string(), "--junit", "reports/**/*.xml", "--test-results",
                      "development-metrics/tests/*.json"});
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(query_column(url, "select string_agg(test_type || ' ' || n, ', ' order by test_type) from "
                            "(select test_type, count(*) n from metrics.test_runs group by 1) s") ==
          std::vector<std::string>{"integration 1, junit 2, unit 2"});
}

TEST_CASE("record-metrics: events with nothing to record need no database") {
    auto issue = webhook_example("issues", 0);
    Run run("issues", issue);
    auto r = run();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "::notice::record-metrics: event \"issues\": nothing to record (pull_request, push, "
                   "deployment_status and workflow_run are)\nrecord-metrics: nothing to record for this event\n");
    CHECK(outputs(run.env["GITHUB_OUTPUT"])["recorded"] == "0");
    // The step summary still opens with the outcome: skipped, and why.
    CHECK(slurp(run.env["GITHUB_STEP_SUMMARY"]) == "⏭️ **record-metrics**: nothing to record for this issues event\n\n");
}

TEST_CASE("record-metrics: errors name the cause and the fix") {
    auto pr = merged_pull_request("feat: x");
    Run run("pull_request", pr);
    SUBCASE("no production target") {
        run.env["SBDEPLOY_STAGING_DB_URL"] = server_url();
        auto r = run();
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("hint: metrics always go to production: set SBDEPLOY_PRODUCTION_DB_URL") != std::string::npos);
    }
    SUBCASE("no metrics schema") {
        run.env["SBDEPLOY_PRODUCTION_DB_URL"] = fresh_database("metrics_none");
        auto r = run();
        CHECK(r.exit_code == 1);
        CHECK(r.err.find(
                  "::error::metrics: writing metrics.pr_events: schema \"metrics\" does not exist (SQLSTATE 3F000)") ==
              0);
        CHECK(r.err.find("apply the metrics schema first: sbdeploy metrics schema --apply") != std::string::npos);
    }
    SUBCASE("a bad deployment status") {
        auto r = run({"--deployment-status", "maybe", "--environment", "production"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "::error::--deployment-status \"maybe\" is neither success nor failure%0Ahint: pass the push "
                       "step's outcome: success or failure\n");
    }
    // The glob's own message and hint, as paths-filter gives them for the same glob
    // (tests/e2e/paths_filter_test.cpp "a bad glob"), not a "no file matches" warning.
    SUBCASE("a bad --junit or --test-results glob: exit 2, as paths-filter") {
        auto junit = run({"--junit", "+(a|b).xml"});
        CHECK(junit.exit_code == 2);
        CHECK(junit.err == "::error::--junit \"+(a|b).xml\": extglob \"+(\"...) is not supported%0Ahint: use {a,b} "
                           "for alternatives, or escape the parenthesis as \\(\n");
        auto results = run({"--test-results", "tests/(a|b).json"});
        CHECK(results.exit_code == 2);
        CHECK(results.err ==
              "::error::--test-results \"tests/(a|b).json\": \"|\" is not supported (picomatch would read "
              "a regular expression group)%0Ahint: use {a,b} for alternatives, or escape it as \\|\n");
    }
}
