// Seed 001's tables adopted and written over the other transports: `metrics schema --apply`
// through the Management API (the catalog read and the whole change in one request, so still
// all or nothing), and record-metrics through PostgREST into the adopted tables (its
// on_conflict names sbdeploy's key, which the adoption created as a unique index).
#include "api_server.hpp"
#include "integration/seed001_support.hpp"
#include "support/node_server.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::seed001;

namespace {

const std::string kServiceKey = "sb_secret_metrics_adoption_key";

Env merged_pr_env(TempDir& dir) {
    auto pr = webhook_example("pull_request", 3);
    pr["pull_request"]["merged"].SetBool(true);
    set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    set(pr, "/pull_request/title", "feat: adopted");
    set(pr, "/pull_request/head/ref", "feature/rest");
    set(pr, "/pull_request/base/ref", "staging");
    return {{"GITHUB_EVENT_NAME", "pull_request"},
            {"GITHUB_EVENT_PATH", dir.write("event.json", to_json(pr))},
            {"GITHUB_REPOSITORY", "octo/app"},
            {"GITHUB_RUN_ID", "9001"},
            {"SUPABASE_SECRET_KEY", kServiceKey}};
}

} // namespace

TEST_CASE("metrics adoption over the Management API, then record-metrics through PostgREST, once") {
    const std::string url = seed_database("adopt_api", "public");
    const std::string ref = api_server().add_project(url);
    TempProject project;
    api_server().reset();
    auto applied = run_api("metrics", project, ref, {"schema", "--apply", "--repository", "octo/app"});
    INFO(describe(applied));
    REQUIRE(applied.exit_code == 0);
    CHECK(applied.out.find("metrics schema: public.pr_events moved to metrics.pr_events\n") == 0);
    CHECK(applied.out.find(" changes to adopt the existing metrics tables\n") != std::string::npos);
    CHECK(count(url, "pr_events") == 5);
    auto again = run_api("metrics", project, ref, {"schema", "--apply"});
    CHECK(again.out.find(": nothing to do\n") != std::string::npos);

    NodeServer rest("postgrest.mjs", {"--db", url, "--service-key", kServiceKey, "--schemas", "public,metrics"});
    TempDir dir;
    const Env env = merged_pr_env(dir);
    const std::vector<std::string> args = {"record-metrics", "--supabase-url", rest.url()};
    auto first = run_sbdeploy(args, env);
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(first.out ==
          "record-metrics: 4 new rows (pr_events 1, rule_compliance_events 3) in PostgREST at " + rest.url() + "\n");
    auto second = run_sbdeploy(args, env);
    INFO(describe(second));
    CHECK(second.out == "record-metrics: 0 new rows, 4 already recorded in PostgREST at " + rest.url() + "\n");
    CHECK(count(url, "pr_events") == 6);
    CHECK(query_column(url, "select metric_date || ' ' || prs_merged from metrics.development_metrics") ==
          std::vector<std::string>{"2019-05-16 1"});
}
