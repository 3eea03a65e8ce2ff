// Several files per Management API request (the stand-in on the fixture's PostgreSQL): each
// file its own BEGIN ... COMMIT block in one query that stops at the first error; what
// committed is read back from the history, so a failure or a retried 5xx never applies a file
// twice, and a failing file is still reported at its file and line as over libpq.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

ProcessResult run_pg(const TempProject& project, const std::string& url) {
    return run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// Five files; each records itself in applied_once, so a file run twice shows as two rows.
// `third` is the body of the third file.
void five_files(TempProject& project, const std::string& third) {
    project.migration("20240101000001_one.sql", "create table applied_once (version text not null);\n"
                                                "insert into applied_once values ('20240101000001');\n");
    project.migration("20240101000002_two.sql", "-- two\ninsert into applied_once values ('20240101000002');\n");
    project.migration("20240101000003_three.sql", third);
    project.migration("20240101000004_four.sql", "insert into applied_once values ('20240101000004');\n");
    project.migration("20240101000005_five.sql",
                      "BEGIN;\ninsert into applied_once values ('20240101000005');\nCOMMIT;\n");
}

constexpr const char* kThirdPasses = "insert into applied_once values ('20240101000003');\n";

// The requests that applied files: the ones with a history insert.
std::vector<ApiServer::Logged> applying_requests() {
    std::vector<ApiServer::Logged> out;
    for (auto& r : api_server().log())
        if (r.query.find("INSERT INTO supabase_migrations.schema_migrations") != std::string::npos) out.push_back(r);
    return out;
}

} // namespace

TEST_CASE("api batch: a batch whose third file fails leaves two applied and recorded, the error at its line") {
    TempProject project;
    SUBCASE("an error with a position") { five_files(project, kFailsOnLine7); }
    SUBCASE("an error found while executing, without a position") {
        five_files(project, "insert into applied_once values ('20240101000003');\n\nselect 1 / 0;\n");
    }
    const std::string url = fresh_database("api_batch_fail");
    const std::string by_pg = fresh_database("api_batch_fail_pg");
    const std::string ref = api_server().add_project(url);
    api_server().reset();

    auto api = run_api("push", project, ref);
    auto pg = run_pg(project, by_pg);
    INFO(describe(api));
    INFO(describe(pg));
    CHECK(api.exit_code == 1);
    CHECK(api.err == pg.err);
    CHECK(api.err.starts_with("sbdeploy: error: supabase/migrations/20240101000003_three.sql:"));
    CHECK(api.out.find("Applied 20240101000002_two.sql (") != std::string::npos);
    CHECK(api.out.find("Applied 20240101000003") == std::string::npos);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));
    CHECK(query_column(url, "SELECT version FROM applied_once ORDER BY 1") == v({"20240101000001", "20240101000002"}));
    CHECK_FALSE(exists(url, "public.half_done"));
    CHECK(history_rows(url) == history_rows(by_pg));

    // The five went in one request; the third then ran alone to locate its error (and failed).
    auto applying = applying_requests();
    REQUIRE(applying.size() >= 2);
    CHECK(count(applying[0].query, "pg_advisory_xact_lock") == 5);
    CHECK(applying[0].status == 400);
    CHECK(count(applying[1].query, "pg_advisory_xact_lock") == 1);
    CHECK(applying[1].query.find("'20240101000003'") != std::string::npos);
}

TEST_CASE("api batch: a 5xx after the server committed a batch is resolved by reading the history, never re-applying") {
    TempProject project;
    const std::string url = fresh_database("api_batch_5xx");
    const std::string ref = api_server().add_project(url);
    api_server().reset();
    // The first request that applies files runs to its end, then answers 500; the client retries it.
    api_server().faults(R"([{"fault":"500","when":"after","match":"version = ANY(","count":1}])");

    SUBCASE("part of it: the third file failed, the 500 hid the error") {
        five_files(project, "select 1 / 0;\n");
        auto r = run_api("push", project, ref);
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000003_three.sql:"));
        CHECK(r.err.find("division by zero") != std::string::npos);
        CHECK(r.out.find("Applied 20240101000001_one.sql (") != std::string::npos);
        CHECK(r.out.find("Applied 20240101000002_two.sql (") != std::string::npos);
        CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));
        CHECK(query_column(url, "SELECT version FROM applied_once ORDER BY 1") ==
              v({"20240101000001", "20240101000002"}));
    }
    SUBCASE("all of it: every file committed, none runs again") {
        five_files(project, kThirdPasses);
        auto r = run_api("push", project, ref);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(count(r.out, "; its request was retried and the first attempt had committed it)") == 5);
        CHECK(history_versions(url) ==
              v({"20240101000001", "20240101000002", "20240101000003", "20240101000004", "20240101000005"}));
        CHECK(query_column(url, "SELECT count(*) || ' rows, ' || count(DISTINCT version) || ' versions' FROM "
                                "applied_once") == v({"5 rows, 5 versions"}));
        // The history rows are the ones a push over libpq writes.
        const std::string by_pg = fresh_database("api_batch_5xx_pg");
        REQUIRE(run_pg(project, by_pg).exit_code == 0);
        CHECK(history_rows(url) == history_rows(by_pg));
    }
    auto applying = applying_requests();
    REQUIRE(applying.size() >= 2);
    CHECK(applying[0].fault == "500 after");
    CHECK(applying[1].query == applying[0].query);  // the retry, refused by the first file's guard
    CHECK(applying[1].status == 400);
    api_server().reset();
}
