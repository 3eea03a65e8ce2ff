// metrics backfill: the built binary against tests/servers/github-api.mjs (GitHub's REST API
// as a local server: pages through Link, x-ratelimit-* headers, 403 secondary limits with
// retry-after) into the real test PostgreSQL. A history made here, whose rows are counted by
// hand: pages stop at the first pull request older than the window, cycle times, finished
// deployments only, deployment workflows only, and a second run adds nothing.
#include <ctime>

#include "integration/metrics_support.hpp"
#include "metrics/time.hpp"
#include "support/node_server.hpp"
#include "util/strings.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

const std::string kToken = "ghs_metrics_backfill_test_token";

std::string iso(std::int64_t t) { return metrics::format_time(t); }

// 120 pull requests of the last 15 days (the even ones merged after 1000 * number seconds,
// the odd ones open), then 100 updated 100 days ago: with 100 a page, the second page reaches
// the old ones and the third is never asked for.
std::string pull_list(std::int64_t now) {
    std::string out = "[";
    for (int i = 1; i <= 220; ++i) {
        const bool old = i > 120;
        const std::int64_t created = old ? now - 100 * 86'400 - i * 60 : now - i * 3 * 3600;
        const bool merged = !old && i % 2 == 0;
        const std::int64_t merged_at = created + 1000 * i;
        const std::int64_t updated = merged ? merged_at : created + 60;
        out += std::string(i > 1 ? "," : "") + R"({"number":)" + std::to_string(i) + R"(,"title":")" +
               (i % 4 == 0 ? "update things" : "feat: change " + std::to_string(i)) + R"(","state":")" +
               (merged ? "closed" : "open") + R"(","user":{"login":"dev"},"head":{"ref":")" +
               (i % 5 == 0 ? "wip-" : "feature/") + std::to_string(i) +
               R"("},"base":{"ref":"staging"},"created_at":")" + iso(created) + R"(","updated_at":")" + iso(updated) +
               R"(","closed_at":)" + (merged ? "\"" + iso(merged_at) + "\"" : "null") + R"(,"merged_at":)" +
               (merged ? "\"" + iso(merged_at) + "\"" : "null") + "}";
    }
    return out + "]";
}

// Two finished production deployments (one failed) and one still in progress.
std::string deployments(std::int64_t now) {
    auto dep = [&](int id, std::int64_t at, const std::string& statuses) {
        return R"({"id":)" + std::to_string(id) + R"(,"sha":")" + std::string(40, static_cast<char>('a' + id)) +
               R"(","ref":"main","environment":"production","created_at":")" + iso(at) + R"(","statuses":[)" +
               statuses + "]}";
    };
    auto status = [&](int id, const std::string& state, std::int64_t at) {
        return R"({"id":)" + std::to_string(id) + R"(,"state":")" + state +
               R"(","environment":"production","created_at":")" + iso(at) + R"("})";
    };
    return "[" +
           dep(1, now - 5 * 86'400,
               status(11, "in_progress", now - 5 * 86'400 + 10) + "," + status(12, "success", now - 5 * 86'400 + 70)) +
           "," + dep(2, now - 4 * 86'400, status(21, "failure", now - 4 * 86'400 + 30)) + "," +
           dep(3, now - 3600, status(31, "in_progress", now - 3500)) + "]";
}

// Runs of the deployment workflow on main (production) and staging, and of other workflows.
std::string workflow_runs(std::int64_t now) {
    auto run = [&](int id, const std::string& path, const std::string& branch, const std::string& conclusion,
                   std::int64_t at) {
        return R"({"id":)" + std::to_string(id) + R"(,"run_attempt":1,"name":"deploy","path":".github/workflows/)" +
               path + R"(","head_branch":")" + branch + R"(","head_sha":")" + std::string(40, 'f') +
               R"(","status":"completed","conclusion":")" + conclusion + R"(","created_at":")" + iso(at) +
               R"(","run_started_at":")" + iso(at) + R"(","updated_at":")" + iso(at + 120) +
               R"(","head_commit":{"timestamp":")" + iso(at - 3600) + R"("}})";
    };
    return "[" + run(501, "deploy.yml", "main", "success", now - 2 * 86'400) + "," +
           run(502, "deploy.yml", "staging", "failure", now - 2 * 86'400 + 600) + "," +
           run(503, "ci.yml", "main", "success", now - 2 * 86'400 + 900) + "," +
           run(504, "deploy.yml", "feature/x", "success", now - 86'400) + "]";
}

struct GitHub {
    NodeServer server{"github-api.mjs"};
    void state(std::int64_t now, const std::string& extra) {
        std::string body = R"({"token":")" + kToken + R"(",)" + extra + R"("repos":{"octo/app":{"id":42,"pull_list":)" +
                           pull_list(now) + R"(,"deployments":)" + deployments(now) + R"(,"workflow_runs":)" +
                           workflow_runs(now) + "}}}";
        REQUIRE(server.request("POST", "/_control/state", body).status == 200);
    }
};

// A project with one test results file a day old, and `metrics backfill --days 90` of it and
// of `gh` (the deploy.yml workflow) into `url`.
struct Backfill {
    TempProject project;
    Env env;
    std::vector<std::string> args;
    Backfill(const GitHub& gh, const std::string& url, std::int64_t now)
        : env{{"GITHUB_API_URL", gh.server.url()}, {"GITHUB_TOKEN", kToken}, {"GITHUB_REPOSITORY", "octo/app"}},
          args{"metrics",    "backfill",  "--days", "90", "--db-url", url, "--workdir", project.root().string(),
               "--workflow", "deploy.yml"} {
        project.file(
            "development-metrics/tests/run.json",
            R"({"run_id":"r-1","timestamp":")" + iso(now - 86'400) +
                R"(","total_tests":10,"passed_tests":9,"failed_tests":1,"skipped_tests":0,"test_type":"unit"})");
    }
    util::ProcessResult operator()() const { return run_sbdeploy(args, env); }
};

} // namespace

TEST_CASE("metrics backfill: GitHub's pages, rate limits and files into the metrics tables, once") {
    const std::string url = metrics_database("metrics_backfill");
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    GitHub gh;
    // The first request meets a secondary rate limit: waited out (retry-after 1 s).
    gh.state(now, R"("secondary_limit":{"times":1,"retry_after":1},)");
    Backfill backfill(gh, url, now);
    TempDir summary_dir;
    backfill.env["GITHUB_STEP_SUMMARY"] = summary_dir.write("summary", "");

    auto first = backfill();
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    // The summary: the outcome, then a row per source that ran.
    CHECK(slurp(backfill.env["GITHUB_STEP_SUMMARY"]) ==
          "✅ **metrics backfill into production**: 545 rows from the last 90 days, 545 new\n\n"
          "| source | read | rows | new |\n| --- | --- | ---: | ---: |\n"
          "| pull requests | 200 pull requests read (2 pages) | 540 | 540 |\n"
          "| deployments | 3 deployments read, 2 finished | 2 | 2 |\n"
          "| workflow runs | 4 runs read, 2 deployments | 2 | 2 |\n"
          "| files | 1 test result file | 1 | 1 |\n\n");
    auto lines = util::split(first.out, '\n');
    REQUIRE(lines.size() >= 7);
    CHECK(lines[0].find("backfill: since ") == 0);
    CHECK(lines[0].find(" (90 days) into 127.0.0.1:") != std::string::npos);
    // 120 opened, 60 merged; three rules a pull request.
    CHECK(lines[1] == "backfill: pull requests: 200 pull requests read (2 pages), 540 rows (540 new)");
    CHECK(lines[2] == "backfill: deployments: 3 deployments read, 2 finished, 2 rows (2 new)");
    CHECK(lines[3] == "backfill: workflow runs: 4 runs read, 2 deployments, 2 rows (2 new)");
    CHECK(lines[4] == "notice: backfill: git: skipped (\"" + backfill.project.root().string() +
                          "\" is not a git clone with history)");
    CHECK(lines[5] == "backfill: files: 1 test result file, 1 row (1 new)");
    CHECK(lines[6] == "backfill: 545 rows, 545 new (pr_events 180, deployment_events 4, test_runs 1, "
                      "rule_compliance_events 360)");

    CHECK(count(url, "pr_events", "event_type = 'opened'") == 120);
    CHECK(count(url, "pr_events", "event_type = 'merged'") == 60);
    // Cycle time of PR n is 1000 * n seconds: 1000 * (2 + 4 + ... + 120).
    CHECK(query_column(url, "select sum(cycle_time_seconds) from metrics.pr_events") ==
          std::vector<std::string>{"3660000"});
    CHECK(query_column(
              url, "select cycle_time_seconds from metrics.pr_events where pr_number = 2 and event_type = 'merged'") ==
          std::vector<std::string>{"2000"});
    // Violations: "update things" (every 4th) and "wip-" branches (every 5th).
    CHECK(count(url, "rule_compliance_events",
                "rule_name = 'conventional-title' and compliance_status = 'violation'") == 30);
    CHECK(count(url, "rule_compliance_events", "rule_name = 'branch-naming' and compliance_status = 'violation'") ==
          24);
    CHECK(query_column(
              url, "select string_agg(environment || ':' || status || ':' || source || ':' || source_id || ':' || "
                   "coalesce(lead_time_seconds::text, '-'), ', ' order by source_id) from metrics.deployment_events") ==
          std::vector<std::string>{
              "production:success:deployment_status:12:-, production:failure:deployment_status:21:-, "
              "production:success:workflow_run:501:1:3720, staging:failure:workflow_run:502:1:3720"});
    CHECK(count(url, "test_runs") == 1);

    // The requests: a secondary limit waited out, two pages of pull requests, never the third.
    const std::string requests = gh.server.request("GET", "/_control/requests").body;
    auto occurrences = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = requests.find(needle); at != std::string::npos; at = requests.find(needle, at + 1)) ++n;
        return n;
    };
    CHECK(occurrences("/repos/octo/app/pulls?") == 2);  // the first page twice (the rate limit), ...
    CHECK(occurrences("/repositories/42/pulls?") == 1);  // ... then page 2 through the Link header
    CHECK(occurrences("page=3") == 0);
    CHECK(requests.find("Bearer " + kToken) != std::string::npos);

    // Again: every row is already there.
    auto second = backfill();
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("backfill: 545 rows, 0 new\n") != std::string::npos);
    CHECK(count(url, "pr_events") == 180);
    CHECK(second.out.find(kToken) == std::string::npos);
    CHECK(second.err.find(kToken) == std::string::npos);
}

TEST_CASE("metrics backfill: a rate limit that resets too late is an error with the reset time") {
    const std::string url = metrics_database("metrics_backfill_rl");
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    GitHub gh;
    gh.state(now, R"("rate_limit":{"limit":5000,"remaining":0,"reset":)" + std::to_string(now + 3600) + "},");
    TempProject project;
    auto r = run_sbdeploy(
        {"metrics", "backfill", "--db-url", url, "--workdir", project.root().string(), "--sources", "github"},
        {{"GITHUB_API_URL", gh.server.url()}, {"GITHUB_TOKEN", kToken}, {"GITHUB_REPOSITORY", "octo/app"}});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("sbdeploy: error: github api: GET "
                     "/repos/octo/app/pulls?state=all&sort=updated&direction=desc&per_page=100: "
                     "rate limit exceeded (HTTP 403); it resets at ") == 0);
    CHECK(
        r.err.find("hint: wait for the reset and run the backfill again: rows already written are kept, and a new run "
                   "skips them\n") != std::string::npos);
    CHECK(count(url, "pr_events") == 0);
}

TEST_CASE("metrics backfill: a run stopped by a rate limit keeps what it read, the next adds only the rest") {
    const std::string url = metrics_database("metrics_resume");
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    GitHub gh;
    // One request left until a reset an hour away: the first page of pull requests, no more.
    gh.state(now, R"("rate_limit":{"limit":5000,"remaining":1,"reset":)" + std::to_string(now + 3600) + "},");
    Backfill backfill(gh, url, now);

    auto first = backfill();
    INFO(describe(first));
    CHECK(first.exit_code == 1);
    CHECK(first.err.find("rate limit") != std::string::npos);
    // Page 1 (the 100 pull requests updated last: opened, merged for some, 3 rules each) was
    // written; nothing of page 2 nor of the later sources.
    const long prs = count(url, "pr_events");
    const long rules = count(url, "rule_compliance_events");
    CHECK(count(url, "pr_events", "event_type = 'opened'") == 100);
    CHECK(prs > 100);
    CHECK(prs < 180);
    CHECK(rules == 300);
    CHECK(count(url, "deployment_events") == 0);

    gh.state(now, "");
    auto second = backfill();
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    // Only what the first run did not write is new.
    const std::string added = std::to_string(540 - prs - rules);
    CHECK(second.out.find("backfill: pull requests: 200 pull requests read (2 pages), 540 rows (" + added +
                          " new)\n") != std::string::npos);
    CHECK(second.out.find("backfill: 545 rows, " + std::to_string(545 - prs - rules) + " new (pr_events " +
                          std::to_string(180 - prs) +
                          ", deployment_events 4, test_runs 1, rule_compliance_events 60)\n") != std::string::npos);
    CHECK(count(url, "pr_events") == 180);
    CHECK(count(url, "rule_compliance_events") == 360);
    // The daily figures cover the first run's rows too: every merged pull request is counted.
    CHECK(query_column(url, "select sum(prs_merged) from metrics.development_metrics") ==
          std::vector<std::string>{"60"});
}
