// End to end with two real databases (staging and production) and event payloads, as a
// workflow runs the binary: the branch mapping, the promotion gate before production, the
// pull request guard, fork pull requests without secrets, and the outputs of every run.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/workflow_step.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

std::string push_payload(const std::string& branch) {
    return R"({"ref": "refs/heads/)" + branch +
           R"(", "before": "1111111111111111111111111111111111111111", "after": "2222222222222222222222222222222222222222",
              "repository": {"full_name": "acme/app", "default_branch": "main"}})";
}

std::string pr_payload(const std::string& head, const std::string& base, const std::string& head_repo = "acme/app") {
    return R"({"action": "synchronize", "number": 5, "pull_request": {"number": 5, "merged": false,
              "head": {"ref": ")" +
           head + R"(", "sha": "3333333333333333333333333333333333333333",
                       "repo": {"full_name": ")" +
           head_repo + R"("}},
              "base": {"ref": ")" +
           base + R"(", "sha": "4444444444444444444444444444444444444444",
                       "repo": {"full_name": "acme/app"}}},
              "repository": {"full_name": "acme/app"}})";
}

using Run = StepRun;

// Staging and production databases, created once per test process and emptied for each
// pipeline (cheaper than a CREATE DATABASE per subcase).
const std::string& shared_database(int which) {
    static const std::string staging = fresh_database("gate_staging");
    static const std::string production = fresh_database("gate_production");
    return which == 0 ? staging : production;
}

std::string emptied(const std::string& url) {
    query_column(url, "DROP SCHEMA IF EXISTS supabase_migrations CASCADE; DROP SCHEMA public CASCADE; "
                      "CREATE SCHEMA public; SELECT 1");
    return url;
}

// A repository with its migrations, a staging and a production database, and a runner.
struct Pipeline {
    TempProject project;
    std::string staging = emptied(shared_database(0));
    std::string production = emptied(shared_database(1));
    int runs = 0;

    // Runs `sbdeploy command` for an event the way a workflow step does: GITHUB_* variables,
    // the payload, fresh output and summary files, both databases' secrets.
    Run run(const std::string& command, const std::string& event, const std::string& payload,
            std::vector<std::string> args = {}, Env extra = {}) {
        Env env{{"SBDEPLOY_STAGING_DB_URL", staging}, {"SBDEPLOY_PRODUCTION_DB_URL", production}};
        for (auto& [k, value] : extra) env[k] = value;
        args.insert(args.begin(), command);
        return run_step(project, ++runs, event, payload, args, env);
    }
    Run push(const std::string& branch, std::vector<std::string> args = {}, Env extra = {}) {
        return run("push", "push", push_payload(branch), std::move(args), std::move(extra));
    }
    Run validate_pr(const std::string& head, const std::string& base, std::vector<std::string> args = {},
                    Env extra = {}, const std::string& head_repo = "acme/app") {
        return run("validate", "pull_request", pr_payload(head, base, head_repo), std::move(args), std::move(extra));
    }
};

// Migrations that pass lint, so validate's verdicts are about what each test is about.
constexpr const char* kMoods = "create table moods (id bigint primary key, mood text not null);\n"
                               "alter table moods enable row level security;\n";
constexpr const char* kNote = "alter table moods add column note text;\n";

} // namespace

TEST_CASE("promotion: staging first, then production gets exactly what staging ran") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);

    // A push to staging applies to staging only.
    auto staging = p.push("staging");
    INFO(describe(staging));
    REQUIRE(staging.result.exit_code == 0);
    CHECK(history_versions(p.staging) == v({"20240101000001"}));
    CHECK(history_versions(p.production).empty());
    CHECK(staging.outputs["environment"] == "staging");
    CHECK(staging.outputs["action"] == "push");
    CHECK(staging.outputs["reason"] == "push to \"staging\" maps to staging");
    CHECK(staging.outputs.count("promotion") == 0);
    CHECK(staging.summary.starts_with("✅ **push to staging**: 1 migration applied\n\n"
                                      "**sbdeploy push**: push to \"staging\" -> **staging**: push (push to "
                                      "\"staging\" maps to staging)\n\n| Version | Name | Result | Time |\n"));

    // Production gets it: staging ran it first.
    auto main = p.push("main");
    INFO(describe(main));
    REQUIRE(main.result.exit_code == 0);
    CHECK(main.result.out.find("Promotion gate: the 1 pending migration ran on staging first\n") != std::string::npos);
    CHECK(main.outputs["promotion"] == "passed");
    CHECK(main.outputs["environment"] == "production");
    CHECK(main.summary.find("**Promotion gate**: passed: the 1 pending migration ran on staging first\n") !=
          std::string::npos);
    CHECK(history_versions(p.production) == v({"20240101000001"}));
    CHECK(history_rows(p.production) == history_rows(p.staging));

    // A migration staging lacks is refused, named, and nothing of it reaches production.
    p.project.migration("20240101000002_note.sql", kNote);
    auto refused = p.push("main");
    INFO(describe(refused));
    CHECK(refused.result.exit_code == 1);
    CHECK(refused.result.err ==
          "::error::promotion gate: 1 migration pending for production did not run on staging first: "
          "20240101000002_note (not applied on staging); the hotfix route did not apply: no GitHub token to find the "
          "pull request of commit 2222222: set "
          "GITHUB_TOKEN (the action's github-token input) with pull-requests: read%0Ahint: promote them: merge them "
          "into the staging branch so "
          "its push applies them (or run 'sbdeploy push --environment staging' on this commit), then run this push "
          "again; --allow-unpromoted pushes anyway\n");
    CHECK(refused.outputs["promotion"] == "refused");
    CHECK(refused.outputs["applied_count"] == "0");
    CHECK(refused.summary.find("| 20240101000002 | note | not applied |\n") != std::string::npos);
    // The outcome first; the gate's reason once (not "promotion gate: promotion gate:"), with its hint.
    CHECK(refused.summary.starts_with("❌ **push to production**: refused by the promotion gate, nothing was applied "
                                      "(1 pending migration)\n\n"));
    CHECK(refused.summary.find("promotion gate: promotion gate") == std::string::npos);
    CHECK(refused.summary.find("Promotion gate**: promotion gate") == std::string::npos);
    CHECK(refused.summary.find("hint: promote them: merge them into the staging branch") != std::string::npos);
    CHECK(history_versions(p.production) == v({"20240101000001"}));
    CHECK(query_column(p.production, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.moods'::regclass "
                                     "AND attname = 'note'") == v({"0"}));

    // --dry-run is refused the same way.
    CHECK(p.push("main", {"--dry-run"}).result.exit_code == 1);

    // Once staging has run it, the same push goes through.
    REQUIRE(p.push("staging").result.exit_code == 0);
    auto promoted = p.push("main");
    INFO(describe(promoted));
    CHECK(promoted.result.exit_code == 0);
    CHECK(history_versions(p.production) == v({"20240101000001", "20240101000002"}));
}

TEST_CASE("promotion: a version staging ran with other statements is refused") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    REQUIRE(p.push("staging").result.exit_code == 0);
    // The file was edited after staging ran it (and before production got it).
    p.project.migration("20240101000001_moods.sql", std::string(kMoods) + "-- and a note\n" + kNote);
    auto r = p.push("main");
    INFO(describe(r));
    CHECK(r.result.exit_code == 1);
    CHECK(r.result.err.starts_with(
        "::error::promotion gate: 1 migration pending for production did not run on staging first: "
        "20240101000001_moods (applied on staging with different statements); the hotfix route did not apply: no "
        "GitHub token to find the pull request of commit 2222222: set GITHUB_TOKEN (the action's github-token input) "
        "with pull-requests: read%0Ahint: a file that differs from what "
        "staging ran must be restored as it ran there, with the change in a new migration; --allow-unpromoted "
        "pushes anyway\n"));
    CHECK(r.summary.find("| 20240101000001 | moods | applied with different statements |\n") != std::string::npos);
    CHECK(history_versions(p.production).empty());
}

TEST_CASE("promotion: --allow-unpromoted pushes anyway, loudly") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    auto r = p.push("main", {"--allow-unpromoted"});
    INFO(describe(r));
    CHECK(r.result.exit_code == 0);
    CHECK(r.result.err == "::warning::promotion gate overridden (--allow-unpromoted): pushing 1 migration to "
                          "production that did not run on staging first: 20240101000001_moods (not applied on "
                          "staging)\n");
    CHECK(r.outputs["promotion"] == "overridden");
    // Applied, with a warning: the outcome line says so.
    CHECK(r.summary.starts_with("⚠️ **push to production**: 1 migration applied (promotion gate: overridden)\n\n"));
    CHECK(r.summary.find("⚠️ **promotion gate overridden (--allow-unpromoted): pushing 1 migration to "
                         "production that did not run on staging first: 20240101000001\\_moods (not applied on "
                         "staging)**\n") != std::string::npos);
    CHECK(history_versions(p.production) == v({"20240101000001"}));
    CHECK(history_versions(p.staging).empty());

    SUBCASE("also when staging has no target at all") {
        p.project.migration("20240101000002_note.sql", kNote);
        auto w = p.push("main", {}, {{"SBDEPLOY_STAGING_DB_URL", ""}, {"SBDEPLOY_ALLOW_UNPROMOTED", "true"}});
        INFO(describe(w));
        CHECK(w.result.exit_code == 0);
        CHECK(w.result.err == "::warning::promotion gate overridden (--allow-unpromoted): environment \"staging\" has "
                              "no target: SBDEPLOY_STAGING_DB_URL is not set, so nothing was compared; pushing 1 "
                              "migration to production\n");
        CHECK(history_versions(p.production) == v({"20240101000001", "20240101000002"}));
    }
}

TEST_CASE("promotion: the gate's source must be reachable, and is configurable") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    SUBCASE("no staging target: exit 2 naming the variable") {
        auto r = p.push("main", {}, {{"SBDEPLOY_STAGING_DB_URL", ""}});
        INFO(describe(r));
        CHECK(r.result.exit_code == 2);
        CHECK(r.result.err == "::error::promotion gate: environment \"staging\" has no target: SBDEPLOY_STAGING_DB_URL "
                              "is not set%0Ahint: set SBDEPLOY_STAGING_READ_URL to the URL of a role that may only "
                              "read supabase_migrations.schema_migrations (a secret of the job's GitHub environment, "
                              "mapped into env:), or SBDEPLOY_STAGING_DB_URL, or SBDEPLOY_STAGING_PROJECT_REF with "
                              "SUPABASE_ACCESS_TOKEN for the "
                              "Management API; --promote-from names another environment, --allow-unpromoted pushes "
                              "without the gate\n");
        CHECK(history_versions(p.production).empty());
    }
    SUBCASE("--promote-from another environment") {
        const std::string qa = fresh_database("gate_qa");
        Env env{{"SBDEPLOY_QA_DB_URL", qa}, {"SBDEPLOY_PROMOTE_FROM", "qa"}};
        auto refused = p.push("main", {}, env);
        CHECK(refused.result.exit_code == 1);
        CHECK(refused.result.err.find("did not run on qa first: 20240101000001_moods (not applied on qa)") !=
              std::string::npos);
        REQUIRE(p.push("whatever", {"--environment", "qa"}, env).result.exit_code == 0);
        CHECK(p.push("main", {}, env).result.exit_code == 0);
        CHECK(history_versions(p.staging).empty());
    }
    SUBCASE("--promote-from none: no gate, a notice") {
        auto r = p.push("main", {"--promote-from", "none"});
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out.find("::notice::promotion gate: off (--promote-from none): production gets migrations no "
                                "other environment ran first\n") != std::string::npos);
        CHECK(r.outputs["promotion"] == "off");
    }
    SUBCASE("--promote-from production is refused") {
        auto r = p.push("main", {"--promote-from", "production"});
        CHECK(r.result.exit_code == 2);
        CHECK(r.result.err.starts_with("::error::option --promote-from: \"production\" is the environment the gate "
                                       "protects"));
    }
}

TEST_CASE("mapping: branches that map to nothing, and targets that are missing") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    SUBCASE("a push to feature/x does nothing: exit 0 with a notice") {
        auto r = p.push("feature/x");
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out == "::notice::push: nothing to do: push to \"feature/x\" maps to no environment\n");
        CHECK(r.outputs["environment"] == "");
        CHECK(r.outputs["action"] == "none");
        CHECK(r.outputs["reason"] == "push to \"feature/x\" maps to no environment");
        CHECK(r.summary == "⏭️ **push**: nothing to do: push to \"feature/x\" maps to no environment\n\n"
                           "**sbdeploy push**: push to \"feature/x\" -> none (push to \"feature/x\" maps to no "
                           "environment)\n\n");
        auto val = p.run("validate", "push", push_payload("feature/x"));
        CHECK(val.result.exit_code == 0);
        CHECK(val.result.out == "::notice::validate: nothing to do: push to \"feature/x\" maps to no environment\n");
    }
    SUBCASE("a tag push does nothing") {
        auto r = p.run("push", "push", R"({"ref": "refs/tags/v1.0", "before": "0", "after": "1"})");
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out == "::notice::push: nothing to do: push of tag \"v1.0\" deploys nothing\n");
    }
    SUBCASE("a missing SBDEPLOY_PRODUCTION_DB_URL is named") {
        auto r = p.push("main", {}, {{"SBDEPLOY_PRODUCTION_DB_URL", ""}});
        INFO(describe(r));
        CHECK(r.result.exit_code == 2);
        CHECK(r.result.err == "::error::push: environment \"production\" has no target: SBDEPLOY_PRODUCTION_DB_URL is "
                              "not set%0Ahint: set SBDEPLOY_PRODUCTION_DB_URL to the database URL (a secret of the "
                              "job's GitHub environment, mapped into env:), or SBDEPLOY_PRODUCTION_PROJECT_REF with "
                              "SUPABASE_ACCESS_TOKEN for the "
                              "Management API; --db-url gives one target for any environment\n");
    }
    SUBCASE("a project ref without a token is named") {
        auto r =
            p.push("main", {},
                   {{"SBDEPLOY_PRODUCTION_DB_URL", ""}, {"SBDEPLOY_PRODUCTION_PROJECT_REF", "abcdefghijklmnopqrst"}});
        CHECK(r.result.exit_code == 2);
        CHECK(r.result.err.starts_with("::error::push: environment \"production\" is the Supabase project "
                                       "\"abcdefghijklmnopqrst\" (from SBDEPLOY_PRODUCTION_PROJECT_REF), but "
                                       "SUPABASE_ACCESS_TOKEN is not set%0Ahint: set SUPABASE_ACCESS_TOKEN"));
    }
    SUBCASE("--environments maps release branches to production, behind the same gate") {
        Env env{{"SBDEPLOY_ENVIRONMENTS", "production=release/*;staging=next"}};
        auto r = p.push("release/2.0", {}, env);
        CHECK(r.result.exit_code == 1);
        CHECK(r.outputs["reason"] == "push to \"release/2.0\" maps to production");
        CHECK(p.push("next", {}, env).result.exit_code == 0);
        CHECK(p.push("release/2.0", {}, env).result.exit_code == 0);
        CHECK(history_versions(p.production) == v({"20240101000001"}));
        CHECK(p.push("main", {}, env)
                  .result.out.starts_with("::notice::push: nothing to do: push to \"main\" maps to "
                                          "no environment\n"));
        auto bad = p.push("main", {"--environments", "production main"});
        CHECK(bad.result.exit_code == 2);
        CHECK(bad.result.err.starts_with("::error::option --environments: \"production main\" has no \"=\""));
    }
    SUBCASE("workflow_dispatch pushes to its environment input") {
        auto r =
            p.run("push", "workflow_dispatch", R"({"ref": "refs/heads/main", "inputs": {"environment": "staging"}})");
        CHECK(r.result.exit_code == 0);
        CHECK(r.outputs["reason"] == "workflow_dispatch input \"environment\" selects staging");
        CHECK(history_versions(p.staging) == v({"20240101000001"}));
        CHECK(history_versions(p.production).empty());
    }
}

TEST_CASE("pull requests: the guard, and the environment they validate against") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    SUBCASE("feature/x into main fails with the guard message") {
        auto r = p.validate_pr("feature/x", "main");
        INFO(describe(r));
        CHECK(r.result.exit_code == 1);
        CHECK(r.result.err ==
              "::error::pull request #5 from \"feature/x\" into \"main\": only the staging branch (\"staging\" or "
              "\"develop\") or a hotfix branch (\"hotfix/*\") may merge into \"main\", which deploys to "
              "production%0Ahint: merge it into \"staging\" first, then open a pull request from \"staging\" into "
              "\"main\"; an urgent fix goes on a branch matching \"hotfix/*\" (--hotfix-pattern); --no-pr-guard turns "
              "this check off\n");
        CHECK(r.outputs["valid"] == "false");
        CHECK(r.summary.starts_with(
            "❌ **validate against staging**: the pull request guard refused the merge\n\n"
            "**sbdeploy validate**: pull\\_request \\#5 from \"feature/x\" into \"main\" -> "
            "**staging**: validate (pull request \\#5 into \"main\" validates against staging)\n\n"
            "**Pull request guard**: "));
        // The console's hint, the command that fixes it, is in the summary too.
        CHECK(r.summary.find("hint: merge it into \"staging\" first") != std::string::npos);
        // --no-pr-guard turns it off; the promotion gate the merge would meet still applies.
        auto unguarded = p.validate_pr("feature/x", "main", {"--no-pr-guard"});
        INFO(describe(unguarded));
        CHECK(unguarded.result.exit_code == 1);
        CHECK(unguarded.result.err.starts_with("::error::promotion gate: 1 migration pending for production did not "
                                               "run on staging first: 20240101000001_moods (not applied on staging); "
                                               "the hotfix route did not apply: pull request #5 from \"feature/x\" is "
                                               "not a hotfix"));
        REQUIRE(p.push("staging").result.exit_code == 0);
        CHECK(p.validate_pr("feature/x", "main", {"--no-pr-guard"}).result.exit_code == 0);
    }
    SUBCASE("staging into main passes") {
        REQUIRE(p.push("staging").result.exit_code == 0);
        auto r = p.validate_pr("staging", "main");
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(
            r.result.out.starts_with("Pull request guard: pull request #5 from \"staging\" into \"main\": the staging "
                                     "branch may merge into production\n"));
    }
    SUBCASE("hotfix/y into main passes; --hotfix-pattern changes which") {
        REQUIRE(p.push("staging").result.exit_code == 0);  // nothing unpromoted: hotfix_test.cpp has the rest
        auto r = p.validate_pr("hotfix/y", "main");
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out.find("a hotfix branch (\"hotfix/*\") may merge into production") != std::string::npos);
        CHECK(p.validate_pr("hotfix/y", "main", {"--hotfix-pattern", "urgent/*"}).result.exit_code == 1);
        CHECK(p.validate_pr("urgent/y", "main", {"--hotfix-pattern", "urgent/*"}).result.exit_code == 0);
    }
    SUBCASE("into staging: validated against staging, no guard") {
        auto r = p.validate_pr("feature/x", "staging");
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out.find("Pull request guard") == std::string::npos);
        CHECK(r.result.out.find("All 1 pending migrations passed the dry run against staging (") != std::string::npos);
        CHECK(r.outputs["environment"] == "staging");
        CHECK(r.outputs["action"] == "validate");
        CHECK(history_versions(p.staging).empty());
    }
    SUBCASE("--validate-against base: a pull request into main is dry-run against production") {
        REQUIRE(p.push("staging").result.exit_code == 0);  // else the gate after the merge fails it
        auto r = p.validate_pr("staging", "main", {"--validate-against", "base"});
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(r.outputs["environment"] == "production");
        CHECK(r.result.out.find("passed the dry run against production (") != std::string::npos);
    }
    SUBCASE("a fork pull request without secrets validates offline and says what it skipped") {
        Env no_secrets{{"SBDEPLOY_STAGING_DB_URL", ""}, {"SBDEPLOY_PRODUCTION_DB_URL", ""}};
        auto r = p.validate_pr("feature/x", "staging", {}, no_secrets, "someone/app");
        INFO(describe(r));
        CHECK(r.result.exit_code == 0);
        CHECK(r.result.out.starts_with(
            "::notice::validate: offline checks only; skipped the dry run against staging (environment \"staging\" has "
            "no target: SBDEPLOY_STAGING_DB_URL is not set; GitHub passes no secrets to workflows of fork pull "
            "requests); give the job a database of its own (--shadow-db-url, the shadow-db-url input) for a real dry "
            "run without secrets\nok      20240101000001_moods.sql (offline: named, split into 2 statements, "
            "transaction rules "
            "checked)\nLinting the only migration file (offline: no database tells which are pending)\n"));
        CHECK(r.outputs["offline"] == "true");
        CHECK(r.outputs["valid"] == "true");
        CHECK(r.summary.starts_with(
            "⚠️ **validate against staging (offline)**: 1 file checked offline; dry run skipped\n"));
        // Lint runs offline too: a public table without row level security fails.
        p.project.migration("20240101000003_open.sql", "create table open_data (id int);\n");
        auto linted = p.validate_pr("feature/x", "staging", {}, no_secrets, "someone/app");
        INFO(describe(linted));
        CHECK(linted.result.exit_code == 1);
        CHECK(linted.result.err.find("rls-missing") != std::string::npos);
        CHECK(linted.outputs["valid"] == "false");
        p.project.remove_migration("20240101000003_open.sql");
        // A bad file still fails offline.
        p.project.migration("20240101000002_broken.sql",
                            "create table a (id int);\nrollback;\ncreate table b (id int);\n");
        CHECK(p.validate_pr("feature/x", "staging", {}, no_secrets, "someone/app").result.exit_code == 2);
        // The same pull request from this repository is a configuration error.
        p.project.remove_migration("20240101000002_broken.sql");
        auto own = p.validate_pr("feature/x", "staging", {}, no_secrets);
        CHECK(own.result.exit_code == 2);
        CHECK(own.result.err.starts_with("::error::validate: environment \"staging\" has no target: "
                                         "SBDEPLOY_STAGING_DB_URL is not set"));
    }
    SUBCASE("a fork's staging branch into main is refused") {
        auto r = p.validate_pr("staging", "main", {}, {}, "someone/app");
        CHECK(r.result.exit_code == 1);
        CHECK(r.result.err.starts_with("::error::pull request #5 from a fork's \"staging\" into \"main\": only the "
                                       "staging branch"));
    }
}

TEST_CASE("outputs: status and repair report the decision too") {
    Pipeline p;
    p.project.migration("20240101000001_moods.sql", kMoods);
    auto s = p.run("status", "push", push_payload("develop"));
    INFO(describe(s));
    CHECK(s.result.exit_code == 0);
    CHECK(s.outputs["environment"] == "staging");
    CHECK(s.outputs["action"] == "push");
    CHECK(s.outputs["reason"] == "push to \"develop\" maps to staging");
    CHECK(s.summary.starts_with("✅ **status of staging**: 0 applied, 1 pending\n\n"
                                "**sbdeploy status**: push to \"develop\" -> **staging**: push (push to \"develop\" "
                                "maps to staging)\n"));
}
