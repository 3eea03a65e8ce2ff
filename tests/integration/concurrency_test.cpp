// Concurrent pushes of the same 200 migrations to one database, started together: every
// version applied exactly once, the history equal to the schema, and every process either
// succeeds or stops with the lock message. Over libpq and over the Management API.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

constexpr int kMigrations = 200;
constexpr int kPushes = 8;

std::string version(int i) {
    std::string n = std::to_string(i);
    return "2024020100" + std::string(4 - n.size(), '0') + n;
}

// Migration i creates table m<i> and records its version in applied_once, whose primary
// key would refuse a second application (and abort that push loudly).
void many_migrations(TempProject& project) {
    project.migration(version(0) + "_start.sql", "create table applied_once (version text primary key);\n"
                                                 "insert into applied_once values ('" +
                                                     version(0) + "');\n");
    for (int i = 1; i < kMigrations; ++i)
        project.migration(version(i) + "_step.sql", "create table m" + std::to_string(i) +
                                                        " (id int);\n"
                                                        "insert into applied_once values ('" +
                                                        version(i) + "');\n");
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// Every version once in the history, once in applied_once, and its table there.
void check_exactly_once(const std::string& url) {
    std::vector<std::string> expected;
    for (int i = 0; i < kMigrations; ++i) expected.push_back(version(i));
    CHECK(history_versions(url) == expected);
    CHECK(query_column(url, "SELECT version FROM applied_once ORDER BY version") == expected);
    CHECK(query_column(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^m[0-9]+$'") ==
          std::vector<std::string>{std::to_string(kMigrations - 1)});
}

} // namespace

TEST_CASE("concurrency: 8 pushes of 200 migrations over libpq apply each exactly once") {
    TempProject project;
    many_migrations(project);
    const std::string url = fresh_database("conc_pg");
    std::vector<std::unique_ptr<BackgroundProcess>> pushes;
    for (int p = 0; p < kPushes; ++p) {
        std::vector<std::string> args{"push", "--db-url", url, "--workdir", project.root().string()};
        // Half give up on the lock almost at once: they must stop with the lock message.
        if (p % 2 == 1) args.insert(args.end(), {"--lock-wait", "50ms"});
        pushes.push_back(std::make_unique<BackgroundProcess>(SBDEPLOY_BINARY, args, Env{}));
    }
    std::size_t applied_lines = 0;
    for (auto& push : pushes) {
        auto r = push->wait();
        INFO(describe(r));
        applied_lines += count(r.out, "Applied " + version(0).substr(0, 4));
        if (r.exit_code == 0) {
            CHECK((r.out.find("Pushed ") != std::string::npos || r.out.starts_with("Remote database is up to date: ")));
        } else {
            CHECK(r.exit_code == 1);
            CHECK(r.err.starts_with("sbdeploy: error: another migration run holds the lock on "));
            CHECK(r.err.find(" did not finish within ") != std::string::npos);
            CHECK(r.out.find("Applied ") == std::string::npos);
        }
    }
    CHECK(applied_lines == static_cast<std::size_t>(kMigrations));
    check_exactly_once(url);
}

TEST_CASE("concurrency: 8 pushes of 200 migrations over the Management API apply each exactly once") {
    TempProject project;
    many_migrations(project);
    const std::string url = fresh_database("conc_api");
    const std::string ref = api_server().add_project(url);
    std::vector<std::unique_ptr<BackgroundProcess>> pushes;
    for (int p = 0; p < kPushes; ++p) {
        std::vector<std::string> args{"push",      "--project-ref",        ref, "--api-url", api_server().url(),
                                      "--workdir", project.root().string()};
        if (p % 2 == 1) args.insert(args.end(), {"--lock-wait", "50ms"});
        pushes.push_back(std::make_unique<BackgroundProcess>(SBDEPLOY_BINARY, args,
                                                             Env{{"SUPABASE_ACCESS_TOKEN", kApiToken}}));
    }
    std::size_t applied_lines = 0;
    for (auto& push : pushes) {
        auto r = push->wait();
        INFO(describe(r));
        applied_lines += count(r.out, "Applied " + version(0).substr(0, 4));
        if (r.exit_code != 0) {
            CHECK(r.exit_code == 1);
            CHECK(r.err.starts_with("sbdeploy: error: another migration run holds the lock on "));
        }
    }
    // Over the API each file takes the lock itself, so pushes interleave file by file; a file
    // another push applied meanwhile is skipped ("Skipped ..."), never applied twice.
    CHECK(applied_lines == static_cast<std::size_t>(kMigrations));
    check_exactly_once(url);
}
