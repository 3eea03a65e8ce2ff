// What sbdeploy believes of a Management API answer: a file counts as applied only when the
// answer shows the history row its request wrote; any other 2xx answer (no rows, rows of another
// shape, wrong types, extra columns, truncated JSON, an error object) makes the push read the
// history again, in a request of its own, and say what it found. No answer ever crashes the
// process. And the token never travels in clear: --api-url must be https unless it is loopback.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

// Three files that pass validate's lint (a schema the API does not expose needs no RLS).
void three_files(TempProject& project) {
    project.migration("20240101000001_one.sql", "create schema app;\ncreate table app.one (id int);\n");
    project.migration("20240101000002_two.sql", "create table app.two (id int);\n");
    project.migration("20240101000003_three.sql", "create table app.three (id int);\n");
}

// A JSON string holding `text`.
std::string json_string(const std::string& text) {
    std::string r = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') r.push_back('\\');
        r.push_back(c);
    }
    return r + "\"";
}

// A fault rule answering `body` with HTTP 201; `extra` adds "when", "match", "count".
std::string body_rule(const std::string& body, const std::string& extra) {
    return "[{\"fault\":\"body\",\"body\":" + json_string(body) + (extra.empty() ? "" : "," + extra) + "}]";
}

// The answers a broken, misconfigured or hostile API could give with a 2xx status.
struct Odd {
    const char* name;
    const char* body;
};
constexpr Odd kOddAnswers[] = {
    {"no rows", "[]"},
    {"a row without columns", "[{}]"},
    {"a number where text belongs", R"([{"version": 1}])"},
    {"extra columns", R"([{"version":"20240101000002","name":"two","statements":null,"extra":"x"}])"},
    {"truncated JSON", R"([{"version":"2024010100)"},
    {"an error object", R"({"message": "Failed to run sql query: the database is shutting down"})"},
};

constexpr const char* kFileTwo = R"("match":"'20240101000002'")";

bool crashed(const ProcessResult& r) { return r.exit_code != 0 && r.exit_code != 1 && r.exit_code != 2; }

} // namespace

TEST_CASE("api answers: an answer that does not show the history row is never reported as applied") {
    TempProject project;
    three_files(project);
    for (const Odd& odd : kOddAnswers) {
        SUBCASE(odd.name) {
            const std::string url = fresh_database("api_answers");
            const std::string ref = api_server().add_project(url);
            api_server().reset();

            // Before: the request (all three files: they go in one) never ran, no version is
            // recorded: exit 1, nothing claimed.
            api_server().faults(body_rule(odd.body, kFileTwo));
            auto r = run_api("push", project, ref);
            INFO(describe(r));
            CHECK_FALSE(crashed(r));
            CHECK(r.exit_code == 1);
            CHECK(r.out.find("Applied ") == std::string::npos);
            CHECK(r.out.find("Pushed ") == std::string::npos);
            CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000001_one.sql: applying "
                                    "\"20240101000001_one.sql\": the management api's answer does not show the "
                                    "history row the request wrote ("));
            // The history, read again, printed as it is.
            CHECK(r.err.find("); the history, read again, does not record version 20240101000001 (it records no "
                             "version): nothing of this file was applied\n") != std::string::npos);
            CHECK(r.err.find("\nhint: ") != std::string::npos);
            CHECK(history_versions(url).empty());
            CHECK(query_column(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'two'") == v({"0"}));

            // After: the request ran and committed, then the odd answer: applied, with a warning.
            api_server().reset();
            api_server().faults(body_rule(odd.body, std::string(R"("when":"after",)") + kFileTwo));
            auto after = run_api("push", project, ref);
            INFO(describe(after));
            CHECK(after.exit_code == 0);
            CHECK(after.out.find("Applied 20240101000002_two.sql (") != std::string::npos);
            CHECK(after.out.find("Pushed 3 migrations to ") != std::string::npos);
            CHECK(after.err.find("sbdeploy: warning: supabase/migrations/20240101000002_two.sql: the management api's "
                                 "answer does not show the history rows the request wrote (") != std::string::npos);
            CHECK(after.err.find("); the history, read again, records version 20240101000002: it was applied") !=
                  std::string::npos);
            CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
        }
    }
    api_server().reset();
}

TEST_CASE("api answers: a dry run passes only when its answer shows the request ran to its end") {
    TempProject project;
    three_files(project);
    const std::string url = fresh_database("api_answers_dry");
    const std::string ref = api_server().add_project(url);
    api_server().reset();
    {
        auto passes = run_api("validate", project, ref);  // without a fault: exit 0, so each 1 below is the answer's
        INFO(describe(passes));
        REQUIRE(passes.exit_code == 0);
    }
    for (const Odd& odd : kOddAnswers) {
        SUBCASE(odd.name) {
            api_server().reset();
            // The dry run's request (it alone holds this savepoint), answered oddly.
            api_server().faults(body_rule(odd.body, R"("match":"SAVEPOINT sbdeploy_commit_check")"));
            auto r = run_api("validate", project, ref);
            INFO(describe(r));
            CHECK_FALSE(crashed(r));
            CHECK(r.exit_code == 1);
            CHECK(r.out.find("ok ") == std::string::npos);
            CHECK(r.out.find("passed the dry run") == std::string::npos);
            CHECK(r.err.starts_with("sbdeploy: error: the dry run's answer does not show it ran: "));
            CHECK(r.err.ends_with("\nhint: check --api-url: it must be the Management API; nothing was changed (the "
                                  "dry run ends in ROLLBACK)\n"));
            CHECK(history_versions(url).empty());
        }
    }
    api_server().reset();
}

TEST_CASE("api answers: when every answer is odd, no command crashes or claims anything") {
    TempProject project;
    three_files(project);
    const std::string url = fresh_database("api_answers_all");
    const std::string ref = api_server().add_project(url);
    // One file applied, so that a history read that answers nothing would be a lie.
    api_server().reset();
    REQUIRE(run_api("push", project, ref).exit_code == 0);
    project.migration("20240101000004_four.sql", "create table app.four (id int);\n");

    for (const Odd& odd : kOddAnswers) {
        SUBCASE(odd.name) {
            api_server().faults(body_rule(odd.body, R"("count":-1)"));
            for (const char* command : {"push", "status", "validate"}) {
                auto r = run_api(command, project, ref);
                INFO(command);
                INFO(describe(r));
                CHECK_FALSE(crashed(r));
                CHECK(r.exit_code == 1);
                CHECK(r.out.find("Applied ") == std::string::npos);
                CHECK(r.out.find("Pushed ") == std::string::npos);
                CHECK(r.out.find("pending") == std::string::npos);  // status prints no table from a bad answer
                // One error, then its hint.
                CHECK(r.err.starts_with("sbdeploy: error: "));
                CHECK(r.err.find("\nhint: ") != std::string::npos);
            }
            CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
        }
    }
    api_server().reset();
}

TEST_CASE("api answers: a malformed history answer is named exactly") {
    TempProject project;
    three_files(project);
    const std::string ref = api_server().add_project(fresh_database("api_answers_status"));
    api_server().reset();
    std::string body, expected;
    SUBCASE("no rows: not even the end-of-history row, so the query did not run") {
        body = "[]";
        expected = "sbdeploy: error: cannot read the migration history: the answer lacks the row that ends the "
                   "history, so it does not show the query ran\n";
    }
    SUBCASE("a row without columns (status crashed on it with SIGSEGV)") {
        body = "[{}]";
        expected = "sbdeploy: error: cannot read the migration history: the answer's columns are (), not (version, "
                   "name, statements)\n";
    }
    SUBCASE("one column only (status aborted on it with std::bad_alloc)") {
        body = R"([{"version":"1"}])";
        expected = "sbdeploy: error: cannot read the migration history: the answer's columns are (version), not "
                   "(version, name, statements)\n";
    }
    SUBCASE("a row without a version") {
        body =
            R"([{"version":null,"name":"one","statements":null},{"version":null,"name":"sbdeploy:rows=1","statements":null}])";
        expected = "sbdeploy: error: cannot read the migration history: row 1 has no version\n";
    }
    SUBCASE("statements that are not an array of text") {
        body = R"([{"version":"20240101000001","name":"one","statements":"[1]"},)"
               R"({"version":null,"name":"sbdeploy:rows=1","statements":null}])";
        expected = "sbdeploy: error: cannot read the migration history: the statements of version \"20240101000001\" "
                   "are not a JSON array of text\n";
    }
    SUBCASE("fewer rows than the end-of-history row counts") {
        body = R"([{"version":"20240101000001","name":"one","statements":null},)"
               R"({"version":null,"name":"sbdeploy:rows=2","statements":null}])";
        expected = "sbdeploy: error: cannot read the migration history: the answer holds 1 row, but the history "
                   "counts 2\n";
    }
    api_server().faults(body_rule(body, R"("count":-1)"));
    auto r = run_api("status", project, ref);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == expected +
                       "hint: the server answered something other than the rows of sbdeploy's history query: check "
                       "--api-url (it must be the Management API) and the table "
                       "supabase_migrations.schema_migrations (version text, name text, statements text[])\n");
    api_server().reset();
}

TEST_CASE("api answers: --api-url must be https unless it is loopback, checked before any request") {
    TempProject project;
    three_files(project);
    // A proxy on a closed loopback port: if the check ever came after a request, libcurl would
    // send it there (and fail) rather than out of the machine. The names below are never
    // resolved either: .invalid never resolves (RFC 2606) and the check reads the URL's text
    // before libcurl sees it; 192.0.2.1 is a documentation address (RFC 5737), only a string.
    const Env no_traffic{{"http_proxy", "http://127.0.0.1:9"},
                         {"HTTPS_PROXY", "http://127.0.0.1:9"},
                         {"ALL_PROXY", "http://127.0.0.1:9"},
                         {"NO_PROXY", ""},
                         {"no_proxy", ""},
                         {"SUPABASE_ACCESS_TOKEN", kApiToken}};
    const std::string ref = "abcdefghijklmnopqrst";
    for (const char* api_url : {"http://example.invalid", "http://192.0.2.1:8080", "http://127.0.0.1.example.invalid",
                                "http://127.0.0.1@example.invalid", "http://localhost.example.invalid/"}) {
        for (const char* command : {"status", "push"}) {
            auto r = run_sbdeploy({command, "--project-ref", ref, "--api-url", api_url, "--workdir",
                                   project.root().string()},
                                  no_traffic);
            INFO(api_url);
            INFO(describe(r));
            CHECK(r.exit_code == 2);
            CHECK(r.out.find("Applied") == std::string::npos);
            CHECK(r.err == "sbdeploy: error: --api-url \"" + std::string(api_url) +
                               "\" is not https: the access token would travel in clear\n"
                               "hint: use an https:// URL (the default, https://api.supabase.com); plain http is "
                               "only for a loopback host (127.0.0.0/8, ::1, localhost)\n");
        }
    }
    SUBCASE("loopback over http still works") {
        const std::string url = fresh_database("api_loopback");
        const std::string ok_ref = api_server().add_project(url);
        api_server().reset();
        auto r = run_api("push", project, ok_ref);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(api_server().url().starts_with("http://127.0.0.1:"));
    }
}
