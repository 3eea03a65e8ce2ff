// Adopting seed 001's metrics tables (tests/fixtures/seed001: its DDL and its phase INSERT
// statements) with `metrics schema --apply`: in `metrics` or in `public`, every row kept, the
// seed's statements still working, record-metrics writing next to them, a second run with
// nothing to do, a refusal that changes nothing; the weekly roll-up; seed 001's default
// threshold (prune --archive: metrics_prune_archive_test.cpp; the Management API and
// PostgREST: metrics_adoption_api_test.cpp).
#include "integration/seed001_support.hpp"
#include "support/dump.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;
using namespace sbdeploy::test::seed001;

namespace {

const std::vector<std::string> kSeedTables = {"pr_events", "deployment_events", "test_runs", "rule_compliance_events"};

// Rows per table in `schema`, "pr_events 5, ...".
std::string counts(const std::string& url, const std::string& schema = "metrics") {
    std::string out;
    for (const auto& t : kSeedTables)
        out += t + " " + query_column(url, "select count(*) from " + schema + "." + t).at(0) + ", ";
    return out;
}

util::ProcessResult apply(const std::string& url) {
    return run_sbdeploy({"metrics", "schema", "--apply", "--db-url", url, "--repository", "octo/app"});
}

// A merged pull request of the webhook examples, recorded by record-metrics.
util::ProcessResult record_merged_pr(const std::string& url) {
    auto pr = webhook_example("pull_request", 3);
    pr["pull_request"]["merged"].SetBool(true);
    set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    set(pr, "/pull_request/title", "feat(moods): record them");
    set(pr, "/pull_request/head/ref", "feature/moods");
    set(pr, "/pull_request/base/ref", "staging");
    TempDir dir;
    return run_sbdeploy({"record-metrics", "--db-url", url},
                        {{"GITHUB_EVENT_NAME", "pull_request"},
                         {"GITHUB_EVENT_PATH", dir.write("event.json", to_json(pr))},
                         {"GITHUB_REPOSITORY", "octo/app"},
                         {"GITHUB_RUN_ID", "7001"}});
}

// The adoption as a whole: apply, the seed's phases again, record-metrics, apply again.
void adopt_and_use(const std::string& url, const std::string& before) {
    auto first = apply(url);
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("metrics schema: metrics.pr_events: added column repository text not null default "
                         "'octo/app'\n") != std::string::npos);
    CHECK(first.out.find("metrics schema: metrics.pr_events: check pr_events_event_type_check also accepts opened, "
                         "ready_for_review\n") != std::string::npos);
    CHECK(first.out.find("metrics schema: metrics.development_metrics: seed 001's aggregates (one row a metric) kept "
                         "as metrics.development_metrics_seed; sbdeploy's daily table takes the name\n") !=
          std::string::npos);
    CHECK(first.out.find(" changes to adopt the existing metrics tables\n") != std::string::npos);
    // No row lost, and the seed's rows carry the repository they were adopted for.
    CHECK(counts(url) == before);
    CHECK(query_column(url, "select count(*) from metrics.development_metrics_seed") == std::vector<std::string>{"2"});
    CHECK(query_column(url, "select count(*) from metrics.pr_events where repository <> 'octo/app'") ==
          std::vector<std::string>{"0"});

    // The seed's own statements, as written, on the adopted tables.
    query_column(url, fixture("data-2.sql") + fixture("phases.sql"));
    CHECK(counts(url) == "pr_events 7, deployment_events 0, test_runs 3, rule_compliance_events 4, ");
    CHECK(query_column(url,
                       "select source || ' ' || run_attempt || ' ' || execution_time_seconds from metrics.test_runs"
                       " where run_id = 'ci-103'") == std::vector<std::string>{"manual 1 7"});

    auto recorded = record_merged_pr(url);
    INFO(describe(recorded));
    REQUIRE(recorded.exit_code == 0);
    CHECK(recorded.out.find("record-metrics: 4 new rows (pr_events 1, rule_compliance_events 3)") == 0);
    CHECK(counts(url) == "pr_events 8, deployment_events 0, test_runs 3, rule_compliance_events 7, ");
    auto again = record_merged_pr(url);
    CHECK(again.out.find("record-metrics: 0 new rows, 4 already recorded") == 0);

    auto second = apply(url);
    INFO(describe(second));
    CHECK(second.exit_code == 0);
    CHECK(second.out.find("metrics schema (version 1) is up to date on 127.0.0.1:") == 0);
    CHECK(second.out.find(": nothing to do\n") != std::string::npos);
    CHECK(second.out.find("changes") == std::string::npos);
}

} // namespace

TEST_CASE(
    "metrics adoption: seed 001's tables in metrics are adopted, nothing lost, its INSERTs and record-metrics work") {
    const std::string url = seed_database("adopt_metrics", "metrics");
    const std::string before = counts(url);
    CHECK(before == "pr_events 5, deployment_events 0, test_runs 2, rule_compliance_events 3, ");
    // Today's sbdeploy failed here with a bare 'column "repository" does not exist'.
    adopt_and_use(url, before);
    // 'created' is the seed's opened: the cycle times of its merges come from it where unset.
    CHECK(query_column(url, "select string_agg(pr_number || ':' || cycle_time_seconds, ' ' order by pr_number)"
                            " from metrics.merged_prs where repository = 'octo/app' and pr_number > 10") ==
          std::vector<std::string>{"11:14400 12:86400 14:7200"});
    query_column(url, "insert into metrics.pr_events (pr_number, event_type, event_timestamp) values"
                      " (15, 'created', '2025-11-25T08:00:00Z'), (15, 'merged', '2025-11-25T08:30:00Z')");
    CHECK(query_column(url, "select cycle_time_seconds from metrics.merged_prs where pr_number = 15") ==
          std::vector<std::string>{"1800"});
}

TEST_CASE("metrics adoption: seed 001's tables in public are moved to metrics") {
    const std::string url = seed_database("adopt_public", "public");
    const std::string before = counts(url, "public");
    CHECK(before == "pr_events 5, deployment_events 0, test_runs 2, rule_compliance_events 3, ");
    auto moved = apply(url);
    INFO(describe(moved));
    REQUIRE(moved.exit_code == 0);
    CHECK(moved.out.find("metrics schema: public.pr_events moved to metrics.pr_events\n") == 0);
    CHECK(query_column(url, "select count(*) from pg_tables where schemaname = 'public'") ==
          std::vector<std::string>{"0"});
    CHECK(counts(url) == before);
    // The rest as in the metrics schema (the first apply already ran: it says nothing to do then).
    query_column(url, fixture("data-2.sql") + fixture("phases.sql"));
    auto recorded = record_merged_pr(url);
    INFO(describe(recorded));
    CHECK(recorded.exit_code == 0);
    CHECK(counts(url) == "pr_events 8, deployment_events 0, test_runs 3, rule_compliance_events 7, ");
    CHECK(apply(url).out.find(": nothing to do\n") != std::string::npos);
}

TEST_CASE("metrics adoption: a column sbdeploy cannot write refuses with the plan and changes nothing") {
    const std::string url = seed_database("adopt_refused", "metrics");
    query_column(url, "alter table metrics.test_runs alter column run_id type uuid using gen_random_uuid()");
    const std::string dump = schema_dump(url);
    auto r = apply(url);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.out == "metrics schema: conflict: metrics.test_runs.run_id is uuid, sbdeploy writes text; fix: alter table "
                   "metrics.test_runs alter column run_id type text using run_id::text; or keep it under another name: "
                   "alter table metrics.test_runs rename column run_id to run_id_seed\n");
    CHECK(r.err == "sbdeploy: error: metrics schema: the existing metrics tables cannot be adopted: 1 conflict "
                   "(metrics.test_runs.run_id is uuid, sbdeploy writes text); nothing was changed\n"
                   "hint: resolve each conflict listed above (its fix is printed with it), then run 'sbdeploy metrics "
                   "schema --apply' again\n");
    CHECK(schema_dump(url) == dump);
    // With the fix it names, the schema is adopted.
    query_column(url, "alter table metrics.test_runs alter column run_id type text using run_id::text");
    CHECK(apply(url).exit_code == 0);
}

TEST_CASE("metrics adoption: the weekly roll-up, and seed 001's 80% test pass rate threshold by default") {
    const std::string url = seed_database("adopt_weekly", "metrics");
    REQUIRE(apply(url).exit_code == 0);
    // Week of 2025-11-17: merges after 4 h and 24 h; 145 of 200 tests passed (72.5% of those
    // that ran: 145 of 195 = 0.7436); 2 of 3 commits on feature/ or fix/ branches.
    CHECK(query_column(url,
                       "select week_start || ' ' || environment || ' ' || prs_merged || ' ' || pr_cycle_time_seconds ||"
                       " ' ' || tests_total || ' ' || tests_passed || ' ' || test_pass_rate || ' ' || rule_checks ||"
                       " ' ' || rule_compliance_rate from metrics.weekly_development_metrics"
                       " where repository = 'octo/app'") ==
          std::vector<std::string>{"2025-11-17 production 2 50400 200 145 0.7436 3 0.6667"});

    const std::vector<std::string> window = {"metrics",  "report",  "--db-url",   url,      "--repository",
                                             "octo/app", "--until", "2025-11-24", "--days", "7"};
    auto warned = run_sbdeploy(window);
    INFO(describe(warned));
    CHECK(warned.exit_code == 0);
    CHECK(warned.err == "sbdeploy: warning: metrics: test pass rate is 74.4%, at least 80% wanted (seed 001's default; "
                        "change it with --min-test-pass-rate, or --no-thresholds)\n");
    auto off = window;
    off.push_back("--no-thresholds");
    auto quiet = run_sbdeploy(off);
    INFO(describe(quiet));
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err.empty());
    // An explicit threshold still applies with --no-thresholds, and wins over the default.
    off.insert(off.end(), {"--min-test-pass-rate", "75"});
    CHECK(run_sbdeploy(off).err ==
          "sbdeploy: warning: metrics: test pass rate is 74.4%, at least 75% wanted (--min-test-pass-rate)\n");
    auto lower = window;
    lower.insert(lower.end(), {"--min-test-pass-rate", "70"});
    CHECK(run_sbdeploy(lower).err.empty());
}

TEST_CASE("metrics adoption: a schema from an earlier sbdeploy learns 'created', a current one has nothing to do") {
    const std::string url = metrics_database("adopt_earlier");
    auto current = apply(url);
    INFO(describe(current));
    CHECK(current.out.find("metrics schema (version 1) is up to date on 127.0.0.1:") == 0);
    // The constraint as sbdeploy created it before it knew seed 001's names.
    query_column(url, "alter table metrics.pr_events drop constraint pr_events_event_type_check, add constraint"
                      " pr_events_event_type_check check (event_type in ('opened', 'reopened', 'ready_for_review',"
                      " 'closed', 'merged'))");
    auto earlier = apply(url);
    INFO(describe(earlier));
    REQUIRE(earlier.exit_code == 0);
    CHECK(earlier.out.find("metrics schema: metrics.pr_events: check pr_events_event_type_check also accepts created, "
                           "reviewed\n") == 0);
    query_column(url, "insert into metrics.pr_events (repository, pr_number, event_type, event_timestamp)"
                      " values ('octo/app', 1, 'created', now())");
    CHECK(count(url, "pr_events", "event_type = 'created'") == 1);
}
