// The Management API transport under faults the stand-in injects: rate limits, server errors,
// timeouts and dropped connections, before or after the query ran. A push still applies each
// file exactly once; endless failures end with a clear error within --api-retry-budget; bad
// tokens are credentials errors; and the token never reaches stdout, stderr, the step outputs
// or the step summary.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

// Three files, each recording its version in applied_once: a file run twice shows there.
void three_files(TempProject& project) {
    project.migration("20240101000001_one.sql", "create table applied_once (version text not null);\n"
                                                "insert into applied_once values ('20240101000001');\n");
    project.migration("20240101000002_two.sql", "insert into applied_once values ('20240101000002');\n");
    project.migration("20240101000003_three.sql", "insert into applied_once values ('20240101000003');\n");
}

void check_applied_once(const std::string& url) {
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    CHECK(query_column(url, "SELECT string_agg(version, ',' ORDER BY version) FROM applied_once") ==
          v({"20240101000001,20240101000002,20240101000003"}));
}

// The log of the requests that applied file 2 (their query names its version): status and fault.
std::vector<std::string> file_two_requests() {
    std::vector<std::string> out;
    for (const auto& r : api_server().log())
        if (r.query.find("'20240101000002'") != std::string::npos)
            out.push_back(std::to_string(r.status) + (r.fault.empty() ? "" : " " + r.fault));
    return out;
}

constexpr const char* kFileTwo = R"("match":"'20240101000002'")";

} // namespace

TEST_CASE("api faults: injected 429, 5xx, timeouts and dropped connections: the push applies each file exactly once") {
    TempProject project;
    three_files(project);
    const std::string url = fresh_database("api_faults");
    const std::string ref = api_server().add_project(url);
    api_server().reset();
    std::vector<std::string> extra{"--api-timeout", "1s", "--api-retry-budget", "20s"};
    std::vector<std::string> expected;
    bool committed_first = false;  // the faulty attempt ran the file: the retry finds it recorded

    SUBCASE("429 with Retry-After") {
        api_server().faults(std::string(R"([{"fault":"429","retry_after":"1",)") + kFileTwo + "}]");
        expected = {"429 429 before", "201"};
    }
    SUBCASE("500 before the query runs, three times") {
        api_server().faults(std::string(R"([{"fault":"500","count":3,)") + kFileTwo + "}]");
        expected = {"500 500 before", "500 500 before", "500 500 before", "201"};
    }
    SUBCASE("503 after the query committed") {
        api_server().faults(std::string(R"([{"fault":"503","when":"after",)") + kFileTwo + "}]");
        expected = {"503 503 after", "400"};
        committed_first = true;
    }
    SUBCASE("no answer before the request timeout; the query never ran") {
        api_server().faults(std::string(R"([{"fault":"timeout",)") + kFileTwo + "}]");
        expected = {"0 timeout before", "201"};
    }
    SUBCASE("no answer before the request timeout; the query committed") {
        api_server().faults(std::string(R"([{"fault":"timeout","when":"after",)") + kFileTwo + "}]");
        expected = {"0 timeout after", "400"};
        committed_first = true;
    }
    SUBCASE("the connection dropped after the query committed") {
        api_server().faults(std::string(R"([{"fault":"drop","when":"after",)") + kFileTwo + "}]");
        expected = {"0 drop after", "400"};
        committed_first = true;
    }

    auto r = run_api("push", project, ref, extra);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Pushed 3 migrations to ") != std::string::npos);
    CHECK(r.out.find("Applied 20240101000002_two.sql (") != std::string::npos);
    // A retry that finds the row its first attempt committed says so (the 400 is the re-check's refusal).
    CHECK((r.out.find("; its request was retried and the first attempt had committed it)") != std::string::npos) ==
          committed_first);
    CHECK(file_two_requests() == expected);
    check_applied_once(url);
}

TEST_CASE("api faults: endless failures end with a clear error within the retry budget, nothing half-applied") {
    TempProject project;
    three_files(project);
    const std::string url = fresh_database("api_endless");
    const std::string ref = api_server().add_project(url);
    api_server().reset();

    SUBCASE("HTTP 500 on every request") {
        api_server().faults(R"([{"fault":"500","count":-1}])");
        const auto started = std::chrono::steady_clock::now();
        auto r = run_api("push", project, ref, {"--api-retry-budget", "2s"});
        const auto took = std::chrono::steady_clock::now() - started;
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: management api: HTTP 500 after "));
        CHECK(r.err.find(" attempts in ") != std::string::npos);
        CHECK(r.err.ends_with("s: Internal Server Error\nhint: the Management API kept failing; run again later: each "
                              "migration is recorded with its history row, so a new run resumes where this one "
                              "stopped\n"));
        CHECK(took < std::chrono::seconds(6));
        CHECK(api_server().log().size() >= 2);
        CHECK(r.out.empty());
    }
    SUBCASE("HTTP 500 on every request that applies the second file: the first stays applied, the second not at all") {
        api_server().faults(std::string(R"([{"fault":"500","count":-1,)") + kFileTwo + "}]");
        auto r = run_api("push", project, ref, {"--api-retry-budget", "1s"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("Applied 20240101000001_one.sql (") != std::string::npos);
        // The file, what failed, and the fix; not a statement's line (none is at fault).
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000002_two.sql: applying "
                                "\"20240101000002_two.sql\" failed: management api: HTTP 500 after "));
        CHECK(r.err.ends_with("\nhint: the Management API kept failing; run again later: each migration is recorded "
                              "with its history row, so a new run resumes where this one stopped\n"));
        CHECK(history_versions(url) == v({"20240101000001"}));
        CHECK(query_column(url, "SELECT count(*) FROM applied_once") == v({"1"}));

        api_server().faults("[]");
        auto again = run_api("push", project, ref);
        INFO(describe(again));
        CHECK(again.exit_code == 0);
        CHECK(again.out.find("Pushed 2 migrations to ") != std::string::npos);
        check_applied_once(url);
    }
    SUBCASE("no answer at all: request timeouts") {
        api_server().faults(R"([{"fault":"timeout","count":-1}])");
        auto r = run_api("push", project, ref, {"--api-timeout", "300ms", "--api-retry-budget", "1s"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: management api: POST " + api_server().url() + "/v1/projects/" + ref +
                                "/database/query: "));
        CHECK(r.err.find("hint: no answer within --api-timeout (300ms) or --connect-timeout; a long migration needs a "
                         "larger --api-timeout\n") != std::string::npos);
    }
    api_server().reset();
}

TEST_CASE("api faults: a refused token is a credentials error") {
    TempProject project;
    three_files(project);
    const std::string ref = api_server().add_project(fresh_database("api_token"));

    SUBCASE("401: not a valid token") {
        auto r = run_api("status", project, ref, {}, {{"SUPABASE_ACCESS_TOKEN", "sbp_not_a_valid_token"}});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: management api: the access token was refused (HTTP 401: Unauthorized)\n"
                       "hint: set SUPABASE_ACCESS_TOKEN to a valid personal access token (sbp_..., created under "
                       "Account > Access Tokens in the Supabase dashboard)\n");
    }
    SUBCASE("403: a token without access to the project") {
        auto r = run_api("push", project, ref, {}, {{"SUPABASE_ACCESS_TOKEN", kForbiddenToken}});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: management api: the access token may not run queries on project \"" + ref +
                           "\" (HTTP 403: Forbidden resource)\n"
                           "hint: use a token of an account that is a member of the project's organization, and "
                           "check --project-ref\n");
    }
    SUBCASE("404: an unknown project") {
        auto r = run_api("push", project, "zzzzzzzzzzzzzzzzzzzz");
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: management api: no project \"zzzzzzzzzzzzzzzzzzzz\" (HTTP 404: "));
    }
    SUBCASE("not a project ref") {
        auto r = run_api("push", project, "Not-A-Ref");
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("sbdeploy: error: project ref \"Not-A-Ref\" is not a Supabase project ref\n"));
    }
}

TEST_CASE("api faults: the token never appears in stdout, stderr, the step outputs or the summary") {
    TempProject project;
    three_files(project);
    const std::string url = fresh_database("api_secret");
    const std::string ref = api_server().add_project(url);
    api_server().reset();  // no fault rules left by an earlier test
    project.file("github_output", "");
    project.file("step_summary", "");
    Env env{{"GITHUB_ACTIONS", "true"},
            {"GITHUB_OUTPUT", project.path("github_output")},
            {"GITHUB_STEP_SUMMARY", project.path("step_summary")}};
    std::string token = kApiToken;
    bool token_in_server_text = false;  // the database's own error message quotes the token

    SUBCASE("success") {}
    SUBCASE("a failing migration whose error message quotes the token") {
        project.migration("20240101000004_leaks.sql", "select '" + token + "'::int;\n");
        token_in_server_text = true;
    }
    SUBCASE("a refused token") { token = "sbp_refused_token_0123456789"; }
    SUBCASE("retries, with debug lines") {
        api_server().faults(std::string(R"([{"fault":"500","count":2,)") + kFileTwo + "}]");
        env["RUNNER_DEBUG"] = "1";
    }
    env["SUPABASE_ACCESS_TOKEN"] = token;
    auto r = run_api("push", project, ref, {}, env);
    INFO(describe(r));
    CHECK(r.exit_code == (token == kApiToken && !token_in_server_text ? 0 : 1));
    // The mask goes out first, and is the only place the token is written (the runner hides it).
    const std::string mask = "::add-mask::" + token + "\n";
    REQUIRE(r.out.starts_with(mask));
    CHECK(r.out.substr(mask.size()).find(token) == std::string::npos);
    CHECK(r.err.find(token) == std::string::npos);
    const std::string outputs = slurp(project.path("github_output"));
    const std::string summary = slurp(project.path("step_summary"));
    CHECK(outputs.find(token) == std::string::npos);
    CHECK(summary.find(token) == std::string::npos);
    CHECK_FALSE(summary.empty());
    if (token_in_server_text) {
        // Where the token would have been, the mask: so the checks above can fail.
        CHECK(r.err.find("invalid input syntax for type integer: \"***\"") != std::string::npos);
        CHECK(summary.find("\"***\"") != std::string::npos);
    }
    api_server().faults("[]");
}
