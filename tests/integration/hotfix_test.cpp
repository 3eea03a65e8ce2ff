// The hotfix route through the promotion gate (seed 003: a hotfix branch from main, a pull
// request into main, deployed at once, then merged back into staging), end to end: the built
// binary run as a workflow step, two real databases (staging and production), and
// tests/servers/github-api.mjs answering GitHub's "pull requests of a commit" and "files of a
// pull request". validate on a pull request into main forecasts the same gate.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/node_server.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/workflow_step.hpp"

using namespace sbdeploy::test;

namespace {

const std::string kToken = "ghs_hotfixtesttoken";
const std::string kMerge = "2222222222222222222222222222222222222222";  // the pushed merge commit

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

std::string push_payload(const std::string& branch) {
    return R"({"ref": "refs/heads/)" + branch +
           R"(", "before": "1111111111111111111111111111111111111111", "after": ")" + kMerge +
           R"(", "repository": {"full_name": "acme/app", "default_branch": "main"}})";
}

std::string pr_payload(long number, const std::string& head, const std::string& base, const std::string& labels = "") {
    const std::string n = std::to_string(number);
    return R"({"action": "synchronize", "number": )" + n + R"(, "pull_request": {"number": )" + n +
           R"(, "merged": false, "labels": [)" + labels + R"(],
              "head": {"ref": ")" +
           head + R"(", "sha": "3333333333333333333333333333333333333333",
                       "repo": {"full_name": "acme/app"}},
              "base": {"ref": ")" +
           base + R"(", "sha": "4444444444444444444444444444444444444444",
                       "repo": {"full_name": "acme/app"}}},
              "repository": {"full_name": "acme/app"}})";
}

// A merged pull request of the stand-in's state, whose merge commit is the pushed one.
std::string merged_pull(const std::string& head, const std::string& files, const std::string& labels = "",
                        const std::string& base = "main") {
    return R"({"head": ")" + head + R"(", "base": ")" + base + R"(", "labels": [)" + labels +
           R"(], "merged_at": "2025-01-02T10:00:00Z", "merge_commit_sha": ")" + kMerge +
           R"(", "commits": ["5555555555555555555555555555555555555555"], "files": )" + files + "}";
}

std::string added(const std::string& filename) {
    return R"({"filename": "supabase/migrations/)" + filename + R"(", "status": "added"})";
}

const std::string& shared_database(int which) {
    static const std::string staging = fresh_database("hotfix_staging");
    static const std::string production = fresh_database("hotfix_production");
    return which == 0 ? staging : production;
}

std::string emptied(const std::string& url) {
    query_column(url, "DROP SCHEMA IF EXISTS supabase_migrations CASCADE; DROP SCHEMA public CASCADE; "
                      "CREATE SCHEMA public; SELECT 1");
    return url;
}

constexpr const char* kMoods = "create table moods (id bigint primary key, mood text not null);\n"
                               "alter table moods enable row level security;\n";
constexpr const char* kNote = "alter table moods add column note text;\n";
constexpr const char* kExtra = "alter table moods add column extra text;\n";

// A repository, its staging and production databases, and GitHub: moods already promoted.
struct Repo {
    TempProject project;
    std::string staging = emptied(shared_database(0));
    std::string production = emptied(shared_database(1));
    NodeServer github{"github-api.mjs"};
    int runs = 0;

    Repo() {
        project.migration("20240101000001_moods.sql", kMoods);
        REQUIRE(push("staging").result.exit_code == 0);
        REQUIRE(push("main").result.exit_code == 0);
    }
    // The pull requests GitHub knows: `pulls` is the body of "pulls" ({"12": {...}}).
    void pulls(const std::string& pulls) {
        std::string body = R"({"token": ")" + kToken + R"(", "repos": {"acme/app": {"id": 7, "pulls": )" + pulls +
                           "}}}";
        REQUIRE(github.request("POST", "/_control/state", body).status == 200);
    }
    StepRun run(const std::string& command, const std::string& event, const std::string& payload,
                std::vector<std::string> args = {}, Env extra = {}) {
        Env env{{"SBDEPLOY_STAGING_DB_URL", staging},
                {"SBDEPLOY_PRODUCTION_DB_URL", production},
                {"GITHUB_API_URL", github.url()},
                {"GITHUB_TOKEN", kToken}};
        for (auto& [k, value] : extra) env[k] = value;
        args.insert(args.begin(), command);
        return run_step(project, ++runs, event, payload, args, env);
    }
    StepRun push(const std::string& branch, Env extra = {}) {
        return run("push", "push", push_payload(branch), {}, extra);
    }
    StepRun validate(long number, const std::string& head, const std::string& labels = "",
                     std::vector<std::string> args = {}) {
        return run("validate", "pull_request", pr_payload(number, head, "main", labels), std::move(args));
    }
};

const std::string kRefusedNote =
    "::error::promotion gate: 1 migration pending for production did not run on staging "
    "first: 20240101000002_note (not applied on staging); the hotfix route did not apply: ";
const std::string kRefusedHint =
    "%0Ahint: promote them: merge them into the staging branch so its push applies them (or "
    "run 'sbdeploy push --environment staging' on this commit), then run this push again; "
    "--allow-unpromoted pushes anyway\n";

} // namespace

TEST_CASE("hotfix: a merged hotfix pull request's migrations go to production at once, with a warning") {
    Repo r;
    r.project.migration("20240101000002_note.sql", kNote);

    SUBCASE("a hotfix/* branch") {
        r.pulls(R"({"12": )" + merged_pull("hotfix/note", "[" + added("20240101000002_note.sql") + "]") + "}");
        auto p = r.push("main");
        INFO(describe(p));
        REQUIRE(p.result.exit_code == 0);
        const std::string line = "promotion gate: hotfix route: pull request #12 from \"hotfix/note\" (a hotfix branch "
                                 "(\"hotfix/*\")) brings 1 migration to production that did not run on staging first: "
                                 "20240101000002_note (not applied on staging); staging must get the same migrations: "
                                 "merge \"hotfix/note\" into \"staging\"";
        CHECK(p.result.err == "::warning::" + line + "\n");
        CHECK(p.outputs["promotion"] == "hotfix");
        CHECK(p.outputs["merge_back"] == "hotfix/note");
        CHECK(p.outputs["applied_count"] == "1");
        CHECK(p.summary.find("⚠️ **promotion gate: hotfix route: pull request \\#12 from \"hotfix/note\"") !=
              std::string::npos);
        CHECK(history_versions(r.production) == v({"20240101000001", "20240101000002"}));
        CHECK(history_versions(r.staging) == v({"20240101000001"}));
        // Found through GitHub's pulls of the pushed commit, with the token.
        auto requests = r.github.request("GET", "/_control/requests").body;
        CHECK(requests.find("\"path\":\"/repos/acme/app/commits/" + kMerge + "/pulls?per_page=100\"") !=
              std::string::npos);
        CHECK(requests.find("\"authorization\":\"Bearer " + kToken + "\"") != std::string::npos);

        // Merged back, staging runs it, and the next push to production passes the gate plainly.
        REQUIRE(r.push("staging").result.exit_code == 0);
        CHECK(history_rows(r.staging) == history_rows(r.production));
    }
    SUBCASE("a pull request labelled hotfix, whatever its branch") {
        r.pulls(R"({"12": )" +
                merged_pull("fix-note", "[" + added("20240101000002_note.sql") + "]", R"("urgent", "hotfix")") + "}");
        auto p = r.push("main");
        INFO(describe(p));
        CHECK(p.result.exit_code == 0);
        CHECK(p.result.err.starts_with("::warning::promotion gate: hotfix route: pull request #12 from \"fix-note\" (a "
                                       "pull request labelled \"hotfix\") brings 1 migration"));
        CHECK(p.outputs["merge_back"] == "fix-note");
        CHECK(history_versions(r.production) == v({"20240101000001", "20240101000002"}));
    }
    SUBCASE("only that pull request's migrations: another unpromoted file is still refused, nothing applied") {
        r.project.migration("20240101000003_extra.sql", kExtra);
        r.pulls(R"({"12": )" + merged_pull("hotfix/note", "[" + added("20240101000002_note.sql") + "]") + "}");
        auto p = r.push("main");
        INFO(describe(p));
        CHECK(p.result.exit_code == 1);
        CHECK(p.result.err.starts_with("::error::promotion gate: 1 migration pending for production did not run on "
                                       "staging first: 20240101000003_extra (not applied on staging); the hotfix route "
                                       "covers only what pull request #12 from \"hotfix/note\" brought "
                                       "(20240101000002)%0Ahint: promote them"));
        CHECK(p.outputs["promotion"] == "refused");
        CHECK(history_versions(r.production) == v({"20240101000001"}));
    }
}

TEST_CASE("hotfix: a push that is not a hotfix's is refused, saying why the route did not apply") {
    Repo r;
    r.project.migration("20240101000002_note.sql", kNote);
    std::string why;
    SUBCASE("a merged pull request from a feature branch") {
        r.pulls(R"({"13": )" + merged_pull("feature/note", "[" + added("20240101000002_note.sql") + "]") + "}");
        why = "pull request #13 from \"feature/note\" is not a hotfix: its branch does not match \"hotfix/*\" and it "
              "has no \"hotfix\" label";
    }
    SUBCASE("a commit no pull request brought (a direct push)") {
        r.pulls("{}");
        why = "commit 2222222 is in no merged pull request into \"main\"";
    }
    SUBCASE("a hotfix pull request into another branch") {
        r.pulls(R"({"12": )" + merged_pull("hotfix/note", "[" + added("20240101000002_note.sql") + "]", "", "staging") +
                "}");
        why = "commit 2222222 is in no merged pull request into \"main\"";
    }
    auto p = r.push("main");
    INFO(describe(p));
    CHECK(p.result.exit_code == 1);
    CHECK(p.result.err == kRefusedNote + why + kRefusedHint);
    CHECK(p.outputs["promotion"] == "refused");
    CHECK(history_versions(r.production) == v({"20240101000001"}));
}

TEST_CASE("hotfix: without a token or an answer from GitHub the route cannot be found, and the refusal says so") {
    Repo r;
    r.project.migration("20240101000002_note.sql", kNote);
    r.pulls(R"({"12": )" + merged_pull("hotfix/note", "[" + added("20240101000002_note.sql") + "]") + "}");
    SUBCASE("no token") {
        auto p = r.push("main", {{"GITHUB_TOKEN", ""}});
        INFO(describe(p));
        CHECK(p.result.exit_code == 1);
        CHECK(p.result.err == kRefusedNote +
                                  "no GitHub token to find the pull request of commit 2222222: set GITHUB_TOKEN (the "
                                  "action's github-token input) with pull-requests: read" +
                                  kRefusedHint);
        CHECK(r.github.request("GET", "/_control/requests").body == "[]");
    }
    SUBCASE("a token GitHub refuses") {
        auto p = r.push("main", {{"GITHUB_TOKEN", "ghs_wrong"}});
        INFO(describe(p));
        CHECK(p.result.exit_code == 1);
        CHECK(p.result.err.starts_with(kRefusedNote +
                                       "the GitHub API could not list the pull requests of commit 2222222: "));
        CHECK(p.result.err.find("ghs_wrong") == std::string::npos);
    }
    CHECK(history_versions(r.production) == v({"20240101000001"}));
}

TEST_CASE("hotfix: validate on a pull request into main forecasts the gate of the push after the merge") {
    Repo r;
    r.project.migration("20240101000002_note.sql", kNote);
    r.pulls(R"({"12": {"head": "hotfix/note", "base": "main", "files": [)" + added("20240101000002_note.sql") + "]}}");

    SUBCASE("from staging, with a migration staging lacks: the gate's message, exit 1") {
        auto p = r.validate(14, "staging");
        INFO(describe(p));
        CHECK(p.result.exit_code == 1);
        CHECK(p.result.err == "::error::promotion gate: 1 migration pending for production did not run on staging "
                              "first: 20240101000002_note (not applied on staging); the hotfix route did not apply: "
                              "pull request #14 from \"staging\" is not a hotfix: its branch does not match "
                              "\"hotfix/*\" and it has no \"hotfix\" label" +
                                  kRefusedHint);
        CHECK(p.result.out.find("Validation fails: the push to production after this pull request merges would be "
                                "refused by the promotion gate\n") != std::string::npos);
        CHECK(p.outputs["valid"] == "false");
        CHECK(p.outputs["promotion"] == "refused");
        CHECK(p.summary.starts_with("❌ **validate against staging**: the push to production after the merge would be "
                                    "refused by the promotion gate\n\n"));
        // Said once ("Promotion gate: promotion gate:" no more), with the console's hint.
        CHECK(p.summary.find("❌ **Promotion gate**: 1 migration pending") != std::string::npos);
        CHECK(p.summary.find("promotion gate: promotion gate") == std::string::npos);
        CHECK(p.summary.find("hint: ") != std::string::npos);
        // The same with validate-against base (the README's recipe): dry run against production.
        CHECK(r.validate(14, "staging", "", {"--validate-against", "base"}).result.exit_code == 1);
        // Once staging ran it, the check passes and says so.
        REQUIRE(r.push("staging").result.exit_code == 0);
        auto ok = r.validate(14, "staging");
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.outputs["promotion"] == "passed");
    }
    SUBCASE("from a hotfix branch: passes with a note, and the dry run still runs") {
        auto p = r.validate(12, "hotfix/note");
        INFO(describe(p));
        CHECK(p.result.exit_code == 0);
        CHECK(p.result.out.find("::notice::after the merge, promotion gate: hotfix route: pull request #12 from "
                                "\"hotfix/note\" (a hotfix branch (\"hotfix/*\")) brings 1 migration to production "
                                "that did not run on staging first: 20240101000002_note (not applied on staging); "
                                "staging must get the same migrations: merge \"hotfix/note\" into \"staging\"\n") !=
              std::string::npos);
        CHECK(p.outputs["promotion"] == "hotfix");
        CHECK(p.outputs["merge_back"] == "hotfix/note");
        CHECK(p.outputs["valid"] == "true");
        CHECK(p.result.out.find("passed the dry run against staging") != std::string::npos);
        CHECK(history_versions(r.production) == v({"20240101000001"}));
    }
    SUBCASE("from a hotfix branch that does not bring the unpromoted file: fails") {
        r.pulls(
            R"({"12": {"head": "hotfix/other", "base": "main", "files": [{"filename": "README.md", "status": "modified"}]}})");
        auto p = r.validate(12, "hotfix/other");
        INFO(describe(p));
        CHECK(p.result.exit_code == 1);
        CHECK(p.result.err.find("the hotfix route covers only what pull request #12 from \"hotfix/other\" brought (no "
                                "migration)") != std::string::npos);
    }
}
