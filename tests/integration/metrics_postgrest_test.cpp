// record-metrics through PostgREST (--supabase-url): the built binary against
// tests/servers/postgrest.mjs, a stand-in for Supabase's REST API backed by the real test
// PostgreSQL with the metrics schema as production has it (exposed like supabase/config.toml's
// [api] schemas = ["public", "graphql_public", "metrics"]). Checked: the rows and the requests
// (Content-Profile, Prefer, keys), re-recording, PGRST106 for an unexposed schema, a refused
// key, retried 503s, and that the key is never printed.
#include "integration/metrics_support.hpp"
#include "support/node_server.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

const std::string kServiceKey = "sb_secret_metrics_postgrest_test_key";

// PostgREST in front of `url`, exposing `schemas`.
NodeServer postgrest(const std::string& url, const std::string& schemas) {
    return NodeServer("postgrest.mjs", {"--db", url, "--service-key", kServiceKey, "--anon-key", "sb_publishable_anon",
                                        "--schemas", schemas});
}

Env runner_env(TempDir& dir, const rapidjson::Value& payload) {
    return {{"GITHUB_ACTIONS", "true"},
            {"GITHUB_EVENT_NAME", "pull_request"},
            {"GITHUB_EVENT_PATH", dir.write("event.json", to_json(payload))},
            {"GITHUB_OUTPUT", dir.write("output", "")},
            {"GITHUB_STEP_SUMMARY", dir.write("summary", "")},
            {"GITHUB_REPOSITORY", "octo/app"},
            {"GITHUB_RUN_ID", "9001"},
            {"GITHUB_RUN_ATTEMPT", "1"},
            {"GITHUB_REF", "refs/pull/2/merge"},
            {"SUPABASE_SECRET_KEY", kServiceKey}};
}

// The merged pull request of the webhook examples (opened 2019-05-15T15:20:33Z).
rapidjson::Document merged_pull_request() {
    auto pr = webhook_example("pull_request", 3);
    REQUIRE(std::string(pr["action"].GetString()) == "closed");
    pr["pull_request"]["merged"].SetBool(true);
    set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    set(pr, "/pull_request/title", "feat: it's \"quoted\" 🚀 '); drop table metrics.pr_events; --");
    set(pr, "/pull_request/head/ref", "feature/rest");
    set(pr, "/pull_request/base/ref", "staging");
    return pr;
}

} // namespace

TEST_CASE("record-metrics through PostgREST: rows in the metrics schema, once, with the service key") {
    const std::string url = metrics_database("metrics_rest");
    NodeServer rest = postgrest(url, "public,graphql_public,metrics");
    TempDir dir;
    auto pr = merged_pull_request();
    Env env = runner_env(dir, pr);

    // The URL as a flag: under Actions a SBDEPLOY_*_URL variable is masked whole (it may be a
    // database URL with a password).
    const std::vector<std::string> args = {"record-metrics", "--supabase-url", rest.url()};
    auto first = run_sbdeploy(args, env);
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(without_masks(first.out) ==
          "record-metrics: 4 new rows (pr_events 1, rule_compliance_events 3) in PostgREST at " + rest.url() + "\n");
    CHECK(query_column(url, "select pr_title || '|' || cycle_time_seconds || '|' || branch_name || '|' || run_id "
                            "from metrics.pr_events") ==
          std::vector<std::string>{
              "feat: it's \"quoted\" 🚀 '); drop table metrics.pr_events; --|93912|feature/rest|9001"});
    CHECK(count(url, "rule_compliance_events") == 3);
    // The daily figures were refreshed through rpc/refresh_development_metrics.
    CHECK(query_column(url, "select metric_date || ' ' || prs_merged || ' ' || pr_cycle_time_seconds "
                            "from metrics.development_metrics") == std::vector<std::string>{"2019-05-16 1 93912"});

    // What PostgREST saw: inserts into the metrics profile, duplicates ignored, the service key.
    const std::string requests = rest.request("GET", "/_control/requests").body;
    CHECK(requests.find(
              R"("path":"/rest/v1/pr_events?on_conflict=repository,pr_number,event_type,event_timestamp&select=id")") !=
          std::string::npos);
    CHECK(requests.find(R"("path":"/rest/v1/rpc/refresh_development_metrics")") != std::string::npos);
    rapidjson::Document seen;
    seen.Parse(requests.c_str());
    REQUIRE(seen.IsArray());
    REQUIRE(seen.Size() == 3);  // pr_events, rule_compliance_events, the refresh
    for (const auto& r : seen.GetArray()) {
        CHECK(std::string(r["method"].GetString()) == "POST");
        CHECK(std::string(r["profile"].GetString()) == "metrics");
        CHECK(std::string(r["apikey"].GetString()) == "service");
    }
    CHECK(std::string(seen[0]["prefer"].GetString()).find("resolution=ignore-duplicates") != std::string::npos);

    // Recorded again: nothing new.
    env["GITHUB_OUTPUT"] = dir.write("output2", "");
    auto second = run_sbdeploy(args, env);
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(without_masks(second.out) ==
          "record-metrics: 0 new rows, 4 already recorded in PostgREST at " + rest.url() + "\n");
    CHECK(outputs(env["GITHUB_OUTPUT"])["skipped"] == "4");
    CHECK(count(url, "pr_events") == 1);

    // The key reaches no output but the mask command.
    for (const auto* text : {&first.out, &first.err, &second.out, &second.err})
        CHECK(without_masks(*text).find(kServiceKey) == std::string::npos);
    CHECK(first.out.find("::add-mask::" + kServiceKey + "\n") == 0);
}

TEST_CASE("record-metrics through PostgREST: failures name the cause and the fix") {
    // One database and two servers for every step (each step leaves no row behind but the last).
    const std::string url = metrics_database("metrics_rest_err");
    TempDir dir;
    auto pr = merged_pull_request();

    INFO("no key at all");
    Env env = runner_env(dir, pr);
    env.erase("SUPABASE_SECRET_KEY");
    auto r = run_sbdeploy({"record-metrics", "--supabase-url", "http://127.0.0.1:9"}, env);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err == "::error::record-metrics: --supabase-url needs SUPABASE_SECRET_KEY%0Ahint: set SUPABASE_SECRET_KEY "
                   "to the project's secret (service role) key, from a secret of the job's GitHub environment\n");

    {
        INFO("the metrics schema is not exposed (PGRST106)");
        NodeServer hidden = postgrest(url, "public,graphql_public");
        r = run_sbdeploy({"record-metrics", "--supabase-url", hidden.url()}, runner_env(dir, pr));
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err ==
              "::error::metrics: writing metrics.pr_events through PostgREST at " + hidden.url() +
                  ": schema \"metrics\" is not exposed: The schema must be one of the following: public, "
                  "graphql_public (HTTP 406, PGRST106)%0Ahint: add \"metrics\" to the API's exposed schemas "
                  "(supabase/config.toml [api] schemas, or Settings > API > Exposed schemas in the dashboard)\n");
    }

    NodeServer rest = postgrest(url, "public,graphql_public,metrics");
    INFO("a key that is not the service key");
    env = runner_env(dir, pr);
    env["SUPABASE_SECRET_KEY"] = "sb_secret_wrong_key";
    r = run_sbdeploy({"record-metrics", "--supabase-url", rest.url()}, env);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err == "::error::metrics: writing metrics.pr_events through PostgREST at " + rest.url() +
                       ": the key was refused: Invalid API key (HTTP 401)%0Ahint: set SUPABASE_SECRET_KEY to the "
                       "project's secret (service role) key\n");
    CHECK(r.err.find("sb_secret_wrong_key") == std::string::npos);
    CHECK(count(url, "pr_events") + count(url, "rule_compliance_events") == 0);

    INFO("a 503 is retried, and the rows arrive once");
    REQUIRE(rest.request("POST", "/_control/fail", R"({"times": 1, "status": 503})").status == 200);
    r = run_sbdeploy({"record-metrics", "--supabase-url", rest.url()}, runner_env(dir, pr));
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(count(url, "pr_events") == 1);
    CHECK(count(url, "rule_compliance_events") == 3);
}
