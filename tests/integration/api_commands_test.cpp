// The commands beyond push over the Management API transport (the stand-in on the fixture's
// PostgreSQL): verify's catalog checks, the promotion gate reading staging through the API,
// and metrics writes; each compared with what the database really holds.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api_server.hpp"
#include "integration/metrics_support.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

// sbdeploy with environments whose targets are project refs of the stand-in.
ProcessResult run_refs(std::vector<std::string> args, const TempProject& project, Env env) {
    args.insert(args.end(), {"--api-url", api_server().url(), "--workdir", project.root().string()});
    env["SUPABASE_ACCESS_TOKEN"] = kApiToken;
    return run_sbdeploy(args, env);
}

bool has_request_for(const std::string& needle) {
    for (const auto& r : api_server().log())
        if (r.query.find(needle) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("api commands: verify checks the objects over the API, in one query") {
    TempProject project;
    project.migration("20240101000001_moods.sql",
                      "create table public.moods (id int primary key, mood text);\n"
                      "alter table public.moods enable row level security;\n"
                      "create policy \"Allow all for testing\" on public.moods using (true);\n");
    const std::string url = fresh_database("api_verify");
    const std::string ref = api_server().add_project(url);
    REQUIRE(run_api("push", project, ref).exit_code == 0);
    api_server().reset();

    auto ok = run_api("verify", project, ref,
                      {"--expect", "table:public.moods", "--expect", "rls:public.moods", "--expect",
                       "policy:public.moods:Allow all for testing"});
    INFO(describe(ok));
    CHECK(ok.exit_code == 0);
    CHECK(ok.out == "ok       table public.moods\n"
                    "ok       row level security on public.moods\n"
                    "ok       policy \"Allow all for testing\" on public.moods\n"
                    "Verified 3 checks\n");
    CHECK(api_server().log().size() == 1);

    auto missing = run_api("verify", project, ref, {"--expect", "table:public.moods", "--expect", "table:public.nope"});
    INFO(describe(missing));
    CHECK(missing.exit_code == 1);
    CHECK(missing.out.find("ok       table public.moods\n") != std::string::npos);
    CHECK(missing.err.find("public.nope") != std::string::npos);
}

TEST_CASE("api commands: the promotion gate reads staging's history through the API") {
    TempProject project;
    project.migration("20240101000001_notes.sql", "create table public.notes (id int);\n");
    const std::string staging = fresh_database("api_gate_staging");
    const std::string production = fresh_database("api_gate_production");
    Env env{{"SBDEPLOY_STAGING_PROJECT_REF", api_server().add_project(staging)},
            {"SBDEPLOY_PRODUCTION_PROJECT_REF", api_server().add_project(production)}};

    auto refused = run_refs({"push", "--environment", "production"}, project, env);
    INFO(describe(refused));
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.starts_with("sbdeploy: error: promotion gate: 1 migration pending for production did not run "
                                  "on staging first: 20240101000001_notes (not applied on staging)\n"));
    CHECK(query_column(production, "SELECT to_regclass('public.notes') IS NULL") == v({"t"}));

    auto to_staging = run_refs({"push", "--environment", "staging"}, project, env);
    INFO(describe(to_staging));
    REQUIRE(to_staging.exit_code == 0);
    auto promoted = run_refs({"push", "--environment", "production"}, project, env);
    INFO(describe(promoted));
    CHECK(promoted.exit_code == 0);
    CHECK(history_versions(production) == v({"20240101000001"}));
    CHECK(history_rows(production) == history_rows(staging));
}

TEST_CASE("api commands: record-metrics writes its rows through the API, once") {
    namespace ms = sbdeploy::test::metrics_support;
    const std::string url = ms::metrics_database("api_metrics");
    const std::string ref = api_server().add_project(url);
    auto pr = ms::webhook_example("pull_request", 3);
    REQUIRE(std::string(pr["action"].GetString()) == "closed");
    pr["pull_request"]["merged"].SetBool(true);
    ms::set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    ms::set(pr, "/pull_request/title", "feat(notes): it's a \"quoted\" $$ title \\ with a backslash");
    ms::set(pr, "/pull_request/head/ref", "feature/notes");
    ms::set(pr, "/pull_request/base/ref", "staging");
    TempProject project;
    project.file("event.json", ms::to_json(pr));
    Env env{{"GITHUB_EVENT_NAME", "pull_request"}, {"GITHUB_EVENT_PATH", project.path("event.json")},
            {"GITHUB_REPOSITORY", "octo/app"},     {"GITHUB_RUN_ID", "7001"},
            {"GITHUB_RUN_ATTEMPT", "1"},           {"SBDEPLOY_PRODUCTION_PROJECT_REF", ref}};
    api_server().reset();

    auto first = run_refs({"record-metrics"}, project, env);
    INFO(describe(first));
    CHECK(first.exit_code == 0);
    CHECK(has_request_for("metrics."));
    auto second = run_refs({"record-metrics"}, project, env);
    INFO(describe(second));
    CHECK(second.exit_code == 0);
    CHECK(query_column(url,
                       "select pr_number || '|' || event_type || '|' || cycle_time_seconds from metrics.pr_events") ==
          v({"2|merged|93912"}));
    CHECK(query_column(url, "select pr_title from metrics.pr_events") ==
          v({"feat(notes): it's a \"quoted\" $$ title \\ with a backslash"}));
}

TEST_CASE("api commands: record-metrics --project-ref and SBDEPLOY_PROJECT_REF name the metrics project") {
    namespace ms = sbdeploy::test::metrics_support;
    auto pr = ms::webhook_example("pull_request", 3);
    pr["pull_request"]["merged"].SetBool(true);
    ms::set(pr, "/pull_request/merged_at", "2019-05-16T17:25:45Z");
    TempProject project;
    project.file("event.json", ms::to_json(pr));
    Env env{{"GITHUB_EVENT_NAME", "pull_request"},
            {"GITHUB_EVENT_PATH", project.path("event.json")},
            {"GITHUB_REPOSITORY", "octo/app"},
            {"GITHUB_RUN_ID", "7002"},
            {"GITHUB_RUN_ATTEMPT", "1"}};
    SUBCASE("the flag") {
        const std::string url = ms::metrics_database("api_metrics_flag");
        auto r = run_refs({"record-metrics", "--project-ref", api_server().add_project(url)}, project, env);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(query_column(url, "select pr_number || '|' || event_type from metrics.pr_events") == v({"2|merged"}));
    }
    SUBCASE("the variable (the action's project-ref input)") {
        const std::string url = ms::metrics_database("api_metrics_variable");
        env["SBDEPLOY_PROJECT_REF"] = api_server().add_project(url);
        auto r = run_refs({"record-metrics"}, project, env);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(query_column(url, "select pr_number || '|' || event_type from metrics.pr_events") == v({"2|merged"}));
    }
    SUBCASE("config.toml's [remotes.production] project_id") {
        const std::string url = ms::metrics_database("api_metrics_config");
        project.file("supabase/config.toml",
                     "[remotes.production]\nproject_id = \"" + api_server().add_project(url) + "\"\n");
        auto r = run_refs({"record-metrics"}, project, env);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(query_column(url, "select pr_number || '|' || event_type from metrics.pr_events") == v({"2|merged"}));
    }
}

TEST_CASE("api commands: [remotes.staging] project_id of supabase/config.toml is staging's target") {
    TempProject project;
    project.migration("20240101000001_notes.sql", "create table public.notes (id int);\n");
    const std::string staging = fresh_database("api_config_staging");
    const std::string other = fresh_database("api_config_other");
    project.file("supabase/config.toml", "project_id = \"local\"\n[remotes.staging]\nproject_id = \"" +
                                             api_server().add_project(staging) + "\"\n");

    SUBCASE("used when nothing else names staging") {
        auto r = run_refs({"push", "--environment", "staging"}, project, {});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(history_versions(staging) == v({"20240101000001"}));
    }
    SUBCASE("a variable wins over it") {
        auto r = run_refs({"push", "--environment", "staging"}, project,
                          {{"SBDEPLOY_STAGING_PROJECT_REF", api_server().add_project(other)}});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(history_versions(other) == v({"20240101000001"}));
        CHECK(history_versions(staging).empty());
    }
    SUBCASE("without SUPABASE_ACCESS_TOKEN: says where the project came from") {
        auto r = run_sbdeploy({"push", "--environment", "staging", "--workdir", project.root().string()}, {});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(
                  "(from supabase/config.toml [remotes.staging] project_id), but SUPABASE_ACCESS_TOKEN is not set") !=
              std::string::npos);
    }
}
