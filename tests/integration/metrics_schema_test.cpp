// The metrics schema shipped in the binary: applied twice it changes nothing; row level
// security is on with writes for service_role only; the printed migration file is pushed
// like any other (the Supabase CLI's statement rules) and gives the same schema.
#include "integration/metrics_support.hpp"
#include "support/dump.hpp"

using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

const std::vector<std::string> kTables = {"deployment_events", "development_metrics", "pr_events",
                                          "rule_compliance_events", "test_runs"};

std::vector<std::string> catalog(const std::string& url) {
    return query_column(
        url,
        "select string_agg(x, E'\\n' order by x) from ("
        " select 'table ' || c.relname || ' rls=' || c.relrowsecurity as x from pg_class c"
        "  join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'metrics' and c.relkind in ('r', 'v')"
        " union all select 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || roles::text"
        "  from pg_policies where schemaname = 'metrics'"
        " union all select 'constraint ' || conname from pg_constraint where connamespace = 'metrics'::regnamespace"
        " union all select 'index ' || indexname from pg_indexes where schemaname = 'metrics') s");
}

} // namespace

TEST_CASE("metrics schema: --apply twice changes nothing") {
    ensure_supabase_roles();
    const std::string url = fresh_database("metrics_schema");
    auto first = run_sbdeploy({"metrics", "schema", "--apply", "--db-url", url});
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("metrics schema (version 1) applied to 127.0.0.1:") == 0);
    const std::string before = schema_dump(url);
    auto second = run_sbdeploy({"metrics", "schema", "--apply", "--db-url", url});
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(schema_dump(url) == before);
}

TEST_CASE("metrics schema: --apply says in the step summary what it created, then that there is nothing to do") {
    ensure_supabase_roles();
    const std::string url = fresh_database("metrics_schema_sum");
    TempDir dir;
    Env env = {{"GITHUB_STEP_SUMMARY", dir.write("summary", "")}};
    auto first = run_sbdeploy({"metrics", "schema", "--apply", "--db-url", url}, env);
    INFO(describe(first));
    REQUIRE(first.exit_code == 0);
    CHECK(slurp(env["GITHUB_STEP_SUMMARY"]) ==
          "✅ **metrics schema**: 5 tables, 8 views and 1 function created (schema version 1)\n\n"
          // By kind, then name.
          "| created | kind |\n| --- | --- |\n"
          "| `metrics.refresh_development_metrics` | function |\n"
          "| `metrics.deployment_events` | table |\n| `metrics.development_metrics` | table |\n"
          "| `metrics.pr_events` | table |\n| `metrics.rule_compliance_events` | table |\n"
          "| `metrics.test_runs` | table |\n"
          "| `metrics.daily_deployments` | view |\n| `metrics.daily_pr_cycle_time` | view |\n"
          "| `metrics.daily_rule_compliance` | view |\n| `metrics.daily_test_pass_rate` | view |\n"
          "| `metrics.daily_time_to_restore` | view |\n| `metrics.merged_prs` | view |\n"
          "| `metrics.restores` | view |\n| `metrics.weekly_development_metrics` | view |\n\n");
    env["GITHUB_STEP_SUMMARY"] = dir.write("summary2", "");
    auto second = run_sbdeploy({"metrics", "schema", "--apply", "--db-url", url}, env);
    INFO(describe(second));
    REQUIRE(second.exit_code == 0);
    CHECK(slurp(env["GITHUB_STEP_SUMMARY"]) == "⏭️ **metrics schema**: version 1 is up to date: nothing to do\n\n");
}

TEST_CASE("metrics schema: row level security on every table, writes for service_role only") {
    const std::string url = metrics_database("metrics_rls");
    for (const auto& t : kTables) {
        CAPTURE(t);
        CHECK(query_column(url, "select relrowsecurity from pg_class where oid = 'metrics." + t + "'::regclass") ==
              std::vector<std::string>{"t"});
        CHECK(query_column(url,
                           "select string_agg(policyname || ':' || cmd || ':' || roles::text, ' ' order by policyname)"
                           " from pg_policies where schemaname = 'metrics' and tablename = '" +
                               t + "'") ==
              std::vector<std::string>{
                  "authenticated reads:SELECT:{authenticated} service role writes:ALL:{service_role}"});
        CHECK(query_column(url, "select has_table_privilege('anon', 'metrics." + t +
                                    "', 'select')::text || "
                                    "has_table_privilege('authenticated', 'metrics." +
                                    t +
                                    "', 'insert')::text || "
                                    "has_table_privilege('service_role', 'metrics." +
                                    t + "', 'insert')::text") == std::vector<std::string>{"falsefalsetrue"});
    }
    // The daily and weekly views run with the caller's rights.
    CHECK(query_column(url,
                       "select count(*) from pg_class where relnamespace = 'metrics'::regnamespace and relkind = 'v'"
                       " and reloptions @> array['security_invoker=true']") == std::vector<std::string>{"8"});
}

TEST_CASE("metrics schema: the printed migration is pushed like any other and gives the same schema") {
    ensure_supabase_roles();
    auto printed = run_sbdeploy({"metrics", "schema"});
    INFO(describe(printed));
    REQUIRE(printed.exit_code == 0);
    REQUIRE(printed.out.starts_with("-- save as supabase/migrations/"));
    auto name_end = printed.out.find('\n');
    std::string file = printed.out.substr(std::string("-- save as supabase/migrations/").size(),
                                          name_end - std::string("-- save as supabase/migrations/").size());
    CHECK(file.size() == std::string("20250101120000_sbdeploy_metrics_schema.sql").size());
    CHECK(file.ends_with("_sbdeploy_metrics_schema.sql"));

    TempProject project;
    project.migration(file, printed.out);
    const std::string pushed = fresh_database("metrics_pushed");
    auto push = run_sbdeploy({"push", "--db-url", pushed, "--workdir", project.root().string()});
    INFO(describe(push));
    REQUIRE(push.exit_code == 0);
    const std::string applied = metrics_database("metrics_applied");
    CHECK(catalog(pushed) == catalog(applied));
    CHECK(catalog(applied).at(0).find("table pr_events rls=true") != std::string::npos);
}

TEST_CASE("metrics schema: commands that need the metrics database name what to set") {
    auto r = run_sbdeploy({"metrics", "report"}, {{"SBDEPLOY_STAGING_DB_URL", server_url()}});
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("hint: metrics always go to production: set SBDEPLOY_PRODUCTION_DB_URL") != std::string::npos);

    const std::string bare = fresh_database("metrics_bare");
    auto missing = run_sbdeploy({"metrics", "report", "--db-url", bare});
    INFO(describe(missing));
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "sbdeploy: error: metrics: reading metrics.deployment_events: relation "
                         "\"metrics.deployment_events\" does not exist (SQLSTATE 42P01)\n"
                         "hint: apply the metrics schema first: sbdeploy metrics schema --apply (or commit the "
                         "migration that 'sbdeploy metrics schema' prints)\n");

    auto wrong = run_sbdeploy({"metrics", "schema", "--days", "3"});
    CHECK(wrong.exit_code == 2);
    CHECK(wrong.err == "sbdeploy: error: metrics schema: option --days does not apply here\n"
                       "hint: see 'sbdeploy metrics --help' for which subcommand takes it\n");
    auto none = run_sbdeploy({"metrics"});
    CHECK(none.exit_code == 2);
    CHECK(none.err == "sbdeploy: error: metrics: which subcommand? (schema, backfill, report, prune)\n"
                      "hint: e.g. 'sbdeploy metrics report --days 30'\n");
}
