// paths-filter when git cannot tell: the built binary against tests/servers/github-api.mjs, a
// local server that answers as the GitHub REST API does (pages through Link, the 3,000-file
// cap of a pull request's files, 403 rate limits with x-ratelimit-reset, 401). Each case
// checks the files reported, the requests made, or the one-line error and its hint.
#include <chrono>
#include <filesystem>

#include "e2e/paths_filter_harness.hpp"
#include "support/node_server.hpp"

using namespace sbdeploy::test;
namespace fs = std::filesystem;

namespace {

const std::string kToken = "ghs_paths_filter_test_token";
const std::string kBase = std::string(40, 'b');
const std::string kHead = std::string(40, 'a');

std::string mig(const std::string& name) { return "supabase/migrations/" + name + ".sql"; }
const std::string M1 = mig("20250101000000_init");
const std::string M2 = mig("20250102000000_users");
const std::string M3 = mig("20250103000000_orders");
const std::string M3b = mig("20250103000001_orders");
const std::string M4 = mig("20250104000000_invoices");
const std::string M5 = mig("20250105000000_odd \"name\"");

// A GitHub API on a local port, with the repository octo/app (id 42) and the given pulls and
// compares objects (JSON text), and optional extra top-level state ("rate_limit": ...).
struct Api {
    NodeServer server{"github-api.mjs"};

    void state(const std::string& pulls, const std::string& compares = "{}", const std::string& extra = "") {
        std::string body = R"({"token":")" + kToken + R"(",)" + extra + (extra.empty() ? "" : ",") +
                           R"("repos":{"octo/app":{"id":42,"pulls":)" + pulls + R"(,"compares":)" + compares + "}}}";
        auto a = server.request("POST", "/_control/state", body);
        REQUIRE(a.status == 200);
    }
    // The paths and Authorization headers of the requests so far, as JSON text.
    [[nodiscard]] std::string requests() const { return server.request("GET", "/_control/requests").body; }
};

std::string pr_payload(long number) {
    std::string n = std::to_string(number);
    return R"({"action":"synchronize","number":)" + n + R"(,"pull_request":{"number":)" + n +
           R"(,"merged":false,"head":{"ref":"feature","sha":")" + kHead +
           R"(","repo":{"full_name":"octo/app"}},"base":{"ref":"main","sha":")" + kBase +
           R"(","repo":{"full_name":"octo/app"}}},"repository":{"full_name":"octo/app","default_branch":"main"}})";
}

Runner pr_runner(const Api& api, const std::string& token = kToken) {
    Runner r;
    r.event = "pull_request";
    r.ref = "refs/pull/7/merge";
    r.sha = std::string(40, 'c');
    r.payload = pr_payload(7);
    r.env["GITHUB_API_URL"] = api.server.url();
    if (!token.empty()) r.env["GITHUB_TOKEN"] = token;
    return r;
}

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

// A folder that is no git checkout: git cannot tell, the API is asked.
struct Plain {
    TempDir tmp;
    GitEnv env = git_env(tmp.path("home"));
    fs::path dir = fs::path(tmp.path("plain"));
    Plain() { fs::create_directories(dir); }
};

const std::string kNoGit = "the working directory is not a git checkout";

} // namespace

TEST_CASE("paths-filter API: a pull request's files, every page through Link, when git cannot tell") {
    Api api;
    // 230 other files first, so the migrations are on the third page of 100.
    api.state(R"({"7":{"files":[{"generate":230,"prefix":"src/f","suffix":".ts","status":"modified"},
        {"filename":")" +
              M4 + R"(","status":"added"},
        {"filename":")" +
              M1 + R"(","status":"modified"},
        {"filename":")" +
              M2 + R"(","status":"removed"},
        {"filename":")" +
              M3b + R"(","status":"renamed","previous_filename":")" + M3 + R"("},
        {"filename":"supabase/migrations/20250105000000_odd \"name\".sql","status":"added"},
        {"filename":"supabase/seed.sql","status":"added"}]}})");
    Plain p;
    auto r = run_paths_filter(p.dir, pr_runner(api), p.env);
    Expected e;
    e.files = {M4, M1, M2, M3b, M5};
    e.added = {M4, M5};
    e.modified = {M1};
    e.deleted = {M2};
    e.renamed = {{M3, M3b}};
    e.edited = {M1, M2, M3};
    e.base = kBase;
    e.head = kHead;
    e.reason = "pull request #7: the files GitHub lists for it (GitHub API)";
    check_outputs(r, e);
    CHECK(r.out.starts_with("paths-filter: git cannot tell what changed (" + kNoGit + "); asking the GitHub API\n"));
    CHECK(r.out.find("(GitHub API): 236 changed, 5 matching supabase/migrations/*.sql\n") != std::string::npos);
    // Three pages: the first by path, the next two from the Link header (GitHub's
    // /repositories/{id} form), each with the token, which is never printed.
    std::string req = api.requests();
    INFO("requests: " << req);
    CHECK(count(req, R"("path":"/repos/octo/app/pulls/7/files?per_page=100")") == 1);
    CHECK(count(req, R"("path":"/repositories/42/pulls/7/files?per_page=100&page=2")") == 1);
    CHECK(count(req, R"("path":"/repositories/42/pulls/7/files?per_page=100&page=3")") == 1);
    CHECK(count(req, R"("authorization":"Bearer )" + kToken + "\"") == 3);
    CHECK(count(req, R"("method":)") == 3);
    CHECK(r.out.find(kToken) == std::string::npos);
    CHECK(r.err.find(kToken) == std::string::npos);
}

TEST_CASE("paths-filter API: a push through GitHub's comparison of before...after") {
    Api api;
    api.state("{}", R"({")" + kBase + "..." + kHead + R"(":{"merge_base":")" + kBase + R"(","commits":[")" + kHead +
                        R"("],"files":[{"filename":")" + M4 +
                        R"(","status":"added"},{"filename":"README.md","status":"modified"}]}})");
    Plain p;
    Runner r;
    r.event = "push";
    r.ref = "refs/heads/main";
    r.sha = kHead;
    r.payload =
        R"({"ref":"refs/heads/main","before":")" + kBase + R"(","after":")" + kHead +
        R"(","created":false,"deleted":false,"forced":false,"repository":{"full_name":"octo/app","default_branch":"main"}})";
    r.env["GITHUB_API_URL"] = api.server.url();
    r.env["GITHUB_TOKEN"] = kToken;
    Expected e;
    e.files = e.added = {M4};
    e.base = kBase;
    e.head = kHead;
    e.reason = "push to \"main\": GitHub's comparison bbbbbbb...aaaaaaa (GitHub API)";
    check_outputs(run_paths_filter(p.dir, r, p.env), e);
    CHECK(count(api.requests(), "/repos/octo/app/compare/" + kBase + "..." + kHead + "?per_page=1") == 1);
}

TEST_CASE("paths-filter API: the 3,000-file cap is never a silently truncated list") {
    Api api;
    // 3,004 files: GitHub lists the first 3,000, so two of the migrations would be lost.
    api.state(R"({"7":{"files":[{"generate":2998,"prefix":"src/f","suffix":".ts","status":"added"},
        {"filename":")" +
              M1 + R"(","status":"modified"},{"filename":")" + M2 + R"(","status":"added"},
        {"filename":")" +
              M3 + R"(","status":"added"},{"filename":")" + M4 + R"(","status":"added"},
        {"filename":"README.md","status":"modified"},{"filename":"docs/x.md","status":"added"}]}})");

    SUBCASE("no git history to fall back on: exit 1, saying so, no outputs") {
        Plain p;
        auto r = run_paths_filter(p.dir, pr_runner(api), p.env);
        CHECK(r.code == 1);
        CHECK(r.err ==
              "sbdeploy: error: paths-filter: cannot tell what changed: the GitHub API lists at most 3,000 "
              "files of a pull request and this one has that many or more, and " +
                  kNoGit +
                  "\n"
                  "hint: check out the repository with actions/checkout (fetch-depth: 0) so git can list every file\n");
        CHECK(r.output_file == "");
        CHECK(count(api.requests(), R"("method":)") == 30);
    }
    SUBCASE("a depth-1 checkout: git with the whole history, and the log says why") {
        TempDir tmp;
        GitEnv env = git_env(tmp.path("home"));
        GitRepo repo(tmp.path("work"), env);
        repo.write(M1, "create table t (id int);\n");
        std::string c0 = repo.commit("init");
        repo.push(c0, "refs/heads/main");
        repo.git({"checkout", "--quiet", "-b", "feature"});
        repo.write(M2, "create table users (id int);\n");
        std::string head = repo.commit("feature: users");
        repo.push(head, "refs/heads/feature");
        repo.push(head, "refs/pull/7/head");
        repo.git({"checkout", "--quiet", "--detach", "main"});
        repo.write("README.md", "main moves on\n");
        std::string c1 = repo.commit("main: readme");
        repo.push(c1, "refs/heads/main");
        repo.git({"merge", "--quiet", "--no-ff", "--no-edit", head});
        std::string merge = repo.head();
        repo.push(merge, "refs/pull/7/merge");
        fs::path checkout = repo.checkout(tmp.path("checkout"), merge, "refs/remotes/pull/7/merge", 1);

        Runner r = pr_runner(api);
        r.sha = merge;
        r.payload = R"({"action":"synchronize","number":7,"pull_request":{"number":7,"merged":false,)"
                    R"("head":{"ref":"feature","sha":")" +
                    head +
                    R"(","repo":{"full_name":"octo/app"}},)"
                    R"("base":{"ref":"main","sha":")" +
                    c0 +
                    R"(","repo":{"full_name":"octo/app"}}},)"
                    R"("repository":{"full_name":"octo/app","default_branch":"main"}})";
        // --fetch-limit 0: git may fetch no history, so the API is asked first.
        auto run = run_paths_filter(checkout, r, env, {"--fetch-limit", "0"});
        Expected e;
        e.files = e.added = {M2};
        e.base = c0;
        e.head = head;
        e.reason = "pull request #7: merge-base " + short_sha(c0) + " of \"main\" (" + short_sha(c1) +
                   ") and the head " + short_sha(head) + " (the GitHub API list was capped at 3,000 files)";
        check_outputs(run, e);
        CHECK(run.out.find("paths-filter: the GitHub API lists at most 3,000 files of a pull request and this one has "
                           "that many or more; falling back to git with the whole history\n") != std::string::npos);
    }
}

TEST_CASE("paths-filter API: rate limits are waited out when they reset soon, reported when not") {
    Api api;
    const std::string files = R"({"7":{"files":[{"filename":")" + M4 + R"(","status":"added"}]}})";
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    Plain p;
    SUBCASE("used up for the next hour: exit 1 with the reset time and what to do") {
        api.state(files, "{}",
                  R"("rate_limit":{"limit":5000,"remaining":0,"reset":)" + std::to_string(now + 3600) + "}");
        auto r = run_paths_filter(p.dir, pr_runner(api), p.env);
        CHECK(r.code == 1);
        INFO("stderr: " << r.err);
        CHECK(r.err.starts_with("sbdeploy: error: paths-filter: cannot tell what changed: " + kNoGit +
                                "; github api: GET /repos/octo/app/pulls/7/files?per_page=100: rate limit exceeded "
                                "(HTTP 403); it resets at "));
        CHECK(r.err.find(
                  " UTC, in 60 min (API rate limit exceeded for installation ID 4242.)\n"
                  "hint: wait for the reset, or check out the repository with fetch-depth: 0 so git needs no API\n") !=
              std::string::npos);
        CHECK(r.output_file == "");
    }
    SUBCASE("used up until the next second: waited for, then the files") {
        // The window resets a second after the first request, which therefore always sees the 403.
        api.state(files, "{}", R"("rate_limit":{"limit":5000,"remaining":0,"reset_in":1})");
        Expected e;
        e.files = e.added = {M4};
        e.base = kBase;
        e.head = kHead;
        e.reason = "pull request #7: the files GitHub lists for it (GitHub API)";
        check_outputs(run_paths_filter(p.dir, pr_runner(api), p.env), e);
        CHECK(count(api.requests(), R"("method":)") == 2);
    }
    SUBCASE("a secondary rate limit with retry-after: waited for, then the files") {
        api.state(files, "{}", R"("secondary_limit":{"times":1,"retry_after":1})");
        Expected e;
        e.files = e.added = {M4};
        e.base = kBase;
        e.head = kHead;
        e.reason = "pull request #7: the files GitHub lists for it (GitHub API)";
        check_outputs(run_paths_filter(p.dir, pr_runner(api), p.env), e);
        CHECK(count(api.requests(), R"("method":)") == 2);
    }
}

TEST_CASE("paths-filter API: a token GitHub does not accept, and a pull request it does not know") {
    Api api;
    api.state(R"({"7":{"files":[]}})");
    Plain p;
    SUBCASE("401: the token is named as the problem, never printed") {
        auto r = run_paths_filter(p.dir, pr_runner(api, "not-the-token"), p.env);
        CHECK(r.code == 1);
        CHECK(r.err == "sbdeploy: error: paths-filter: cannot tell what changed: " + kNoGit +
                           "; github api: GET /repos/octo/app/pulls/7/files?per_page=100: HTTP 401 (Bad credentials)\n"
                           "hint: GITHUB_TOKEN is not accepted: pass a valid token (github.token in a workflow)\n");
        CHECK(r.err.find("not-the-token") == std::string::npos);
    }
    SUBCASE("404: what the token needs") {
        Runner runner = pr_runner(api);
        runner.payload = pr_payload(8);
        auto r = run_paths_filter(p.dir, runner, p.env);
        CHECK(r.code == 1);
        CHECK(r.err == "sbdeploy: error: paths-filter: cannot tell what changed: " + kNoGit +
                           "; github api: GET /repos/octo/app/pulls/8/files?per_page=100: HTTP 404 (Not Found)\n"
                           "hint: the token needs read access to the repository (permissions: contents: read, "
                           "pull-requests: read)\n");
    }
}
