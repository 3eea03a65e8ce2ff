// sbdeploy verify against the real PostgreSQL of the fixture and a local service
// (tests/servers/health.mjs): expected objects after a push, every kind of expectation,
// HTTP health checks with retries, timeouts, expected statuses and secret headers.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "db/pg_session.hpp"
#include "support/file_commands.hpp"
#include "support/node_server.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "verify/objects.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

// What the seeds' releases create: a table with row level security and a policy, a
// function, a view, an index, and a table left open.
constexpr const char* kRelease =
    "create table public.moods (id bigint primary key, mood text not null, created_at timestamptz default now());\n"
    "alter table public.moods enable row level security;\n"
    "create policy \"Allow all for testing\" on public.moods for all using (true) with check (true);\n"
    "create index moods_created_at on public.moods (created_at);\n"
    "create function public.mood_count(since timestamptz, label text) returns bigint language sql stable\n"
    "  as $$ select count(*) from public.moods where created_at >= since and mood = label $$;\n"
    "create view public.recent_moods as select * from public.moods;\n"
    "create schema metrics;\n"
    "create table metrics.open_data (id int);\n";

const std::vector<std::string> kAllPresent = {
    "--expect", "table:public.moods",
    "--expect", "rls:public.moods",
    "--expect", "policy:public.moods:Allow all for testing",
    "--expect", "policy:moods",
    "--expect", "column:moods.created_at",
    "--expect", "index:public.moods_created_at",
    "--expect", "function:public.mood_count",
    "--expect", "function:public.mood_count(timestamptz, text)",
    "--expect", "view:public.recent_moods",
    "--expect", "schema:metrics",
    "--expect", "table:metrics.open_data",
    "--expect", "extension:plpgsql",
};

// One database per test process with the release pushed: verify only reads it.
const std::string& deployed_database() {
    static const std::string url = [] {
        std::string u = fresh_database("verify");
        TempProject project;
        project.migration("20240101000001_release.sql", kRelease);
        auto r = run_sbdeploy({"push", "--db-url", u, "--workdir", project.root().string()});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        return u;
    }();
    return url;
}

struct Deployed {
    TempProject project;
    std::string url = deployed_database();
    Deployed() { project.migration("20240101000001_release.sql", kRelease); }
    ProcessResult verify(std::vector<std::string> args, Env env = {}) {
        std::vector<std::string> full{"verify", "--db-url", url, "--workdir", project.root().string()};
        full.insert(full.end(), args.begin(), args.end());
        return run_sbdeploy(full, env);
    }
};

// The health service, started once for this file's tests.
NodeServer& service() {
    static NodeServer server("health.mjs");
    return server;
}

ProcessResult health(std::vector<std::string> args, Env env = {}) {
    std::vector<std::string> full{"verify"};
    full.insert(full.end(), args.begin(), args.end());
    return run_sbdeploy(full, env);
}

std::map<std::string, std::string> outputs(const std::string& path) {
    std::map<std::string, std::string> m;
    for (auto& [name, value] : parse_file_commands(slurp(path))) m[name] = value;
    return m;
}

} // namespace

TEST_CASE("verify: the objects a push created are there") {
    Deployed d;
    auto r = d.verify(kAllPresent);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out == "ok       table public.moods\n"
                   "ok       row level security on public.moods\n"
                   "ok       policy \"Allow all for testing\" on public.moods\n"
                   "ok       a policy on public.moods\n"
                   "ok       column public.moods.created_at\n"
                   "ok       index public.moods_created_at\n"
                   "ok       function public.mood_count\n"
                   "ok       function public.mood_count(timestamp with time zone, text)\n"
                   "ok       view public.recent_moods\n"
                   "ok       schema metrics\n"
                   "ok       table metrics.open_data\n"
                   "ok       extension plpgsql\n"
                   "Verified 12 checks\n");
}

TEST_CASE("verify summary: the first line says verify, where, and how many objects are there") {
    Deployed d;
    d.project.file("event.json", R"({"ref": "refs/heads/main", "before": "a", "after": "b"})");
    d.project.file("summary", "");
    Env env{{"GITHUB_EVENT_NAME", "push"},
            {"GITHUB_EVENT_PATH", d.project.path("event.json")},
            {"GITHUB_STEP_SUMMARY", d.project.path("summary")},
            {"SBDEPLOY_PRODUCTION_DB_URL", d.url}};
    SUBCASE("all present") {
        std::vector<std::string> args{"verify", "--workdir", d.project.root().string()};
        args.insert(args.end(), kAllPresent.begin(), kAllPresent.end());
        auto r = run_sbdeploy(args, env);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        const auto summary = slurp(d.project.path("summary"));
        CHECK(summary.starts_with("✅ **verify on production**: 12 objects present\n\n**sbdeploy verify**: "));
        CHECK(summary.find("| table public.moods | ✅ present |\n") != std::string::npos);
    }
    SUBCASE("one missing, its name escaped") {
        auto r = run_sbdeploy({"verify", "--workdir", d.project.root().string(), "--expect", "table:public.moods",
                               "--expect", "table:public.no_such"},
                              env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        const auto summary = slurp(d.project.path("summary"));
        CHECK(
            summary.starts_with("❌ **verify on production**: 1 of 2 missing: table public.no\\_such is missing\n\n"));
        CHECK(summary.find("| table public.no\\_such | ❌ table public.no\\_such is missing |\n") != std::string::npos);
    }
}

TEST_CASE("verify: what is missing is named, and verify exits 1") {
    Deployed d;
    SUBCASE("in a terminal") {
        auto r = d.verify({"--expect", "table:public.moods", "--expect", "table:public.feelings", "--expect",
                           "rls:metrics.open_data", "--expect", "policy:public.moods:Owners only", "--expect",
                           "function:public.mood_count(integer)", "--expect", "table:public.recent_moods", "--expect",
                           "column:public.nothing.id"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out == "ok       table public.moods\n"
                       "MISSING  table public.feelings\n"
                       "MISSING  row level security on metrics.open_data (row level security is not enabled on "
                       "metrics.open_data)\n"
                       "MISSING  policy \"Owners only\" on public.moods\n"
                       "MISSING  function public.mood_count(integer)\n"
                       "MISSING  table public.recent_moods (table public.recent_moods: public.recent_moods is a view)\n"
                       "MISSING  column public.nothing.id (column public.nothing.id is missing: there is no table "
                       "public.nothing)\n");
        CHECK(r.err ==
              "sbdeploy: error: verify: 6 checks failed: table public.feelings is missing; row level security "
              "is not enabled on metrics.open_data; policy \"Owners only\" on public.moods is missing; function "
              "public.mood_count(integer) is missing; table public.recent_moods: public.recent_moods is a "
              "view; column public.nothing.id is missing: there is no table public.nothing\n"
              "hint: push the migrations that create them, or fix --expect\n");
    }
    SUBCASE("under Actions: outputs, summary, one error annotation") {
        d.project.file("out", "");
        d.project.file("summary", "");
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", d.project.path("out")},
                {"GITHUB_STEP_SUMMARY", d.project.path("summary")},
                {"SBDEPLOY_EXPECT", "table:public.moods\ntable:public.feelings\n"}};
        auto r = d.verify({}, env);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "::error::verify: 1 check failed: table public.feelings is missing%0Ahint: push the migrations "
                       "that create them, or fix --expect\n");
        auto o = outputs(d.project.path("out"));
        CHECK(o["verified"] == "false");
        CHECK(o["missing"] == R"(["table public.feelings is missing"])");
        CHECK(o["failing"] == "[]");
        CHECK(o["action"] == "none");
        auto summary = slurp(d.project.path("summary"));
        CHECK(summary.starts_with("❌ **verify**: 1 of 2 missing: table public.feelings is missing\n\n"));
        CHECK(summary.find("| table public.moods | ✅ present |\n"
                           "| table public.feelings | ❌ table public.feelings is missing |\n") != std::string::npos);
        CHECK(summary.find("\nhint: push the migrations that create them, or fix --expect\n") != std::string::npos);
        CHECK(summary.ends_with("\n\n"));
    }
    SUBCASE("--json") {
        auto r = d.verify({"--json", "--expect", "table:public.moods", "--expect", "view:public.nope"});
        CHECK(r.exit_code == 1);
        CHECK(r.out ==
              R"({"verified":false,"objects":[{"expect":"table:public.moods","ok":true},)"
              R"({"expect":"view:public.nope","ok":false,"problem":"view public.nope is missing"}],"health":[]})"
              "\n");
    }
}

TEST_CASE("verify: a file of expectations, and bad ones") {
    Deployed d;
    d.project.file("verify/expect.txt", "# after each release\ntable:public.moods\n\nrls:public.moods\n");
    SUBCASE("relative to the workdir") {
        auto r = d.verify({"--expect-file", "verify/expect.txt"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Verified 2 checks\n"));
    }
    SUBCASE("a bad line: exit 2 with the file and line, before connecting") {
        d.project.file("verify/expect.txt", "table:public.moods\nfunktion:f\n");
        auto r = d.verify({"--expect-file", "verify/expect.txt"});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: verify/expect.txt:2: expectation \"funktion:f\": unknown kind \"funktion\"\n"
                       "hint: write KIND:OBJECT with KIND one of schema, extension, table, view, index, column, "
                       "function, policy, rls, such as table:public.moods or policy:public.moods:Owners can read\n");
    }
    SUBCASE("a missing file") {
        auto r = d.verify({"--expect-file", "nope.txt"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("sbdeploy: error: option --expect-file: cannot read \"nope.txt\": no such file"));
    }
    SUBCASE("nothing to check") {
        auto r = d.verify({});
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: verify: nothing to check\nhint: give --expect (such as table:public.moods), "
                       "--expect-file or --health-url\n");
    }
}

TEST_CASE("verify: the environment comes from the mapping") {
    Deployed d;
    d.project.file("event.json", R"({"ref": "refs/heads/main", "before": "a", "after": "b"})");
    d.project.file("out", "");
    Env env{{"GITHUB_ACTIONS", "true"},
            {"GITHUB_EVENT_NAME", "push"},
            {"GITHUB_EVENT_PATH", d.project.path("event.json")},
            {"GITHUB_OUTPUT", d.project.path("out")},
            {"SBDEPLOY_PRODUCTION_DB_URL", d.url},
            {"SBDEPLOY_EXPECT", "table:public.moods"}};
    SUBCASE("push to main verifies production") {
        auto r = run_sbdeploy({"verify", "--workdir", d.project.root().string()}, env);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        auto o = outputs(d.project.path("out"));
        CHECK(o["environment"] == "production");
        CHECK(o["action"] == "push");
        CHECK(o["reason"] == "push to \"main\" maps to production");
        CHECK(o["verified"] == "true");
    }
    SUBCASE("push to feature/x: nothing to verify") {
        d.project.file("event.json", R"({"ref": "refs/heads/feature/x", "before": "a", "after": "b"})");
        auto r = run_sbdeploy({"verify", "--workdir", d.project.root().string()}, env);
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("::notice::verify: nothing to do: push to \"feature/x\" maps to no environment\n"));
    }
    SUBCASE("no production target: the variable is named") {
        env.erase("SBDEPLOY_PRODUCTION_DB_URL");
        auto r = run_sbdeploy({"verify", "--workdir", d.project.root().string()}, env);
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("::error::verify: environment \"production\" has no target: SBDEPLOY_PRODUCTION_DB_URL "
                                "is not set"));
    }
}

TEST_CASE("verify: the object checks run over a db::Session in one query") {
    Deployed d;
    db::ConnectOptions o;
    o.url = d.url;
    auto session = db::connect_postgres(o);
    REQUIRE(session);
    std::vector<verify::Expectation> e;
    for (const char* line : {"table:moods", "index:public.moods", "rls:public.recent_moods", "function:nope()"}) {
        auto parsed = verify::parse_expectation(line);
        REQUIRE(parsed);
        e.push_back(*parsed);
    }
    auto findings = verify::check_objects(**session, e);
    REQUIRE(findings);
    REQUIRE(findings->size() == 4);
    CHECK((*findings)[0].ok);
    CHECK((*findings)[1].problem == "index public.moods: public.moods is a table");
    CHECK((*findings)[2].problem == "row level security on public.recent_moods: public.recent_moods is a view");
    CHECK((*findings)[3].problem == "function public.nope() is missing");
    CHECK(verify::check_objects(**session, {})->empty());
}

TEST_CASE("verify: health URLs, retried with backoff within a timeout") {
    auto& s = service();
    SUBCASE("fails twice, then answers 200: passes on the third attempt") {
        auto r = health({"--health-url", s.url() + "/flaky/twice?fails=2"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.starts_with("ok       GET " + s.url() + "/flaky/twice -> 200 (3 attempts, "));
        CHECK(r.out.ends_with("Verified 1 check\n"));
        CHECK(s.request("GET", "/_control/count/twice").body == R"({"count":3})");
    }
    SUBCASE("never answers: fails within the timeout") {
        auto started = std::chrono::steady_clock::now();
        auto r = health({"--health-url", s.url() + "/hang", "--health-timeout", "1s"});
        auto took = std::chrono::steady_clock::now() - started;
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(took < std::chrono::seconds(4));
        // The request is named once, then the cause.
        CHECK(r.out.starts_with("FAILED   GET " + s.url() + "/hang: "));
        CHECK(r.out.find("/hang: GET") == std::string::npos);
        CHECK(r.out.find("(1 attempt, 1.") != std::string::npos);
        CHECK(r.err.starts_with("sbdeploy: error: verify: 1 check failed: GET " + s.url() + "/hang: "));
        CHECK(r.err.find("/hang: GET") == std::string::npos);
        CHECK(r.err.ends_with("hint: the service did not answer as expected: check the deploy and its logs\n"));
    }
    SUBCASE("a wrong status after the retries") {
        auto r = health({"--health-url", s.url() + "/status/500", "--health-retries", "1"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.starts_with("FAILED   GET " + s.url() +
                                "/status/500: answered HTTP 500, expected 2xx (2 attempts, "));
    }
    SUBCASE("--health-status: the status a check expects") {
        CHECK(health({"--health-url", s.url() + "/status/404", "--health-status", "404"}).exit_code == 0);
        CHECK(health({"--health-url", s.url() + "/ok", "--health-status", "204,3xx", "--health-retries", "0"})
                  .exit_code == 1);
        auto bad = health({"--health-url", s.url() + "/ok", "--health-status", "ok"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err == "sbdeploy: error: option --health-status: \"ok\" is not an HTTP status\nhint: write "
                         "--health-status as 200, 2xx, 200-299 or a list such as 200,204\n");
    }
    SUBCASE("headers are sent and masked; query strings are never printed") {
        const std::string key = "sk_live_0123456789abcdef";
        auto r = health({"--health-url", s.url() + "/auth?expect=Bearer%20" + key, "--health-header",
                         "Authorization: Bearer " + key},
                        {{"GITHUB_ACTIONS", "true"}});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("ok       GET " + s.url() + "/auth -> 200 (1 attempt, ") != std::string::npos);
        CHECK(r.out.find("::add-mask::") == 0);
        auto masked_out = r.out.substr(r.out.find('\n') + 1);
        CHECK(masked_out.find(key) == std::string::npos);
        CHECK(r.err.find(key) == std::string::npos);
        auto wrong = health({"--health-url", s.url() + "/auth?expect=x", "--health-retries", "0"});
        CHECK(wrong.exit_code == 1);
        CHECK(wrong.out.find("answered HTTP 401, expected 2xx") != std::string::npos);
    }
    SUBCASE("objects and URLs in one run; only http and https") {
        Deployed d;
        auto r = d.verify({"--expect", "table:public.moods", "--health-url", s.url() + "/ok"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Verified 2 checks\n"));
        auto file = health({"--health-url", "file:///etc/passwd"});
        CHECK(file.exit_code == 2);
        CHECK(file.err.starts_with("sbdeploy: error: option --health-url: \"file:///etc/passwd\" is not an http or "
                                   "https URL\n"));
    }
}
