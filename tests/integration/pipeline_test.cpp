// Push sends the files that run in one transaction in batches, one round trip each (libpq
// pipeline mode): every file is on the wire before the first one answers, yet a failure in
// file k leaves exactly the files before k, each with its history row, and a terminated
// backend or a killed client still converges on a re-run.
#include <doctest/doctest.h>

#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "db/pg_session.hpp"
#include "migrations/apply.hpp"
#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

constexpr const char* kLockKey = "434343";  // the advisory lock a file waits for
constexpr int kFiles = 6;

std::string version(int i) { return "2024030100000" + std::to_string(i); }
std::string filename(int i) { return version(i) + "_step" + std::to_string(i) + ".sql"; }

// File i creates table t<i>; file `waits` (if any) then waits for the test's advisory lock.
void six_migrations(TempProject& project, int waits = 0, const std::string& last_padding = "") {
    for (int i = 1; i <= kFiles; ++i) {
        std::string sql = "create table t" + std::to_string(i) + " (id int);\n";
        if (i == waits) sql += std::string("select pg_advisory_xact_lock(") + kLockKey + ");\n";
        if (i == kFiles) sql += last_padding;
        project.migration(filename(i), sql);
    }
}

std::vector<std::string> versions_up_to(int last) {
    std::vector<std::string> v;
    for (int i = 1; i <= last; ++i) v.push_back(version(i));
    return v;
}

bool table_exists(const std::string& url, int i) { return exists(url, "public.t" + std::to_string(i)); }

// The history is a prefix of the files (no file after one that is missing), and it matches
// the schema: a file is recorded exactly when its table is there.
int check_prefix_matches_schema(const std::string& url) {
    auto recorded = history_versions(url);
    const int n = static_cast<int>(recorded.size());
    CHECK(recorded == versions_up_to(n));
    for (int i = 1; i <= kFiles; ++i) {
        INFO("file " << i);
        CHECK(table_exists(url, i) == (i <= n));
    }
    return n;
}

std::vector<std::string> push_args(const TempProject& project, const std::string& url) {
    return {"push", "--db-url", url, "--workdir", project.root().string()};
}

void check_converges(const TempProject& project, const std::string& url) {
    wait_until([&] { return !sbdeploy_connected(url); }, "sbdeploy's backend to end");
    check_prefix_matches_schema(url);
    auto again = run_sbdeploy(push_args(project, url));
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(check_prefix_matches_schema(url) == kFiles);
}

// The project's files loaded as push loads them.
std::vector<migrations::Migration> load(const TempProject& project) {
    std::vector<migrations::Migration> out;
    for (int i = 1; i <= kFiles; ++i) {
        migrations::MigrationFile f;
        f.path = project.path("supabase/migrations/" + filename(i));
        f.display = "supabase/migrations/" + filename(i);
        f.filename = filename(i);
        f.version = version(i);
        f.name = "step" + std::to_string(i);
        auto m = migrations::load_migration(f);
        REQUIRE(m);
        out.push_back(std::move(*m));
    }
    return out;
}

} // namespace

TEST_CASE("pipeline: every file of a batch is on the wire before the first file answers") {
    TempProject project;
    const std::string padding = "-- " + std::string(64 * 1024, 'x') + "\n";  // only in the last file
    six_migrations(project, 1, padding);
    const std::string url = fresh_database("pipe_wire");
    TcpProxy proxy(std::stoi(port_of(url)));
    auto holder = std::make_unique<AdvisoryLockHolder>(url, kLockKey);
    auto push = start_sbdeploy(push_args(project, via_port(url, proxy.port())));
    wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its first file");
    // The first file cannot answer while the lock is held, yet the last one (its statement and
    // its history row) goes out: the client may still be writing when the server starts file 1.
    wait_until([&] { return proxy.bytes_to_server() > 2 * padding.size(); },
               "the last file of the batch to reach the server while the first one waits");
    CHECK(history_versions(url).empty());
    holder.reset();
    auto r = push.wait();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(check_prefix_matches_schema(url) == kFiles);
}

TEST_CASE("pipeline: a failure in file k of a batch leaves the files before k, and nothing of k or later") {
    TempProject project;
    six_migrations(project);
    // File 4 creates its table, then fails on line 3; files 5 and 6 would succeed on their own.
    project.migration(filename(4),
                      "create table t4 (id int);\ninsert into t4 values (1);\nselect * from missing_table;\n");
    const std::string url = fresh_database("pipe_fail");
    auto r = run_with_db("push", project, url);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err == "sbdeploy: error: supabase/migrations/" + filename(4) +
                       ":3: relation \"missing_table\" does not exist (SQLSTATE 42P01)\n"
                       "  statement 3 of 3:\n"
                       "  3 | select * from missing_table\n"
                       "    |               ^\n"
                       "hint: fix the migration and run again: nothing of this file was applied\n");
    for (int i = 1; i <= 3; ++i) CHECK(r.out.find("Applied " + filename(i) + " (") != std::string::npos);
    CHECK(r.out.find("Applied " + filename(5)) == std::string::npos);
    CHECK(check_prefix_matches_schema(url) == 3);
}

TEST_CASE("pipeline: wherever the failing file falls in its batch, the files before it are exactly what stays") {
    TempProject project;
    six_migrations(project);
    for (int failing : {1, 2, 4, 6}) {
        for (std::size_t batch : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{200}}) {
            CAPTURE(failing);
            CAPTURE(batch);
            // A deferred constraint fails at the COMMIT, the last thing the file sends.
            project.migration(filename(failing), "create table t" + std::to_string(failing) +
                                                     " (id int primary key);\n"
                                                     "create table fk_" +
                                                     std::to_string(failing) + " (id int references t" +
                                                     std::to_string(failing) +
                                                     " deferrable initially deferred);\n"
                                                     "insert into fk_" +
                                                     std::to_string(failing) + " values (7);\n");
            auto files = load(project);
            std::vector<const migrations::Migration*> pending;
            for (const auto& m : files) pending.push_back(&m);
            const std::string url = fresh_database("pipe_where");
            auto session = db::connect_postgres({.url = url});
            REQUIRE(session);
            REQUIRE(db::ensure_history_table(**session));
            migrations::Settings settings;
            settings.batch_files = batch;
            migrations::Pusher pusher(**session, pending, settings);
            for (int i = 1; i < failing; ++i) {
                auto applied = pusher.next();
                CHECK(applied);
            }
            auto failed = pusher.next();
            REQUIRE_FALSE(failed);
            INFO(failed.error().message);
            CHECK(failed.error().file == "supabase/migrations/" + filename(failing));
            CHECK(failed.error().message.starts_with("committing \"" + filename(failing) + "\" failed: "));
            CHECK(failed.error().sqlstate == "23503");

            // The session is ready for what push does next (the lock's release, the seed data).
            CHECK((*session)->exec("SELECT 1"));
            CHECK(check_prefix_matches_schema(url) == failing - 1);
            six_migrations(project);
        }
    }
}

TEST_CASE("pipeline: a backend terminated in the middle of a batch leaves the files before, and a re-run converges") {
    TempProject project;
    six_migrations(project, 3);
    const std::string url = fresh_database("pipe_term");
    {
        AdvisoryLockHolder holder(url, kLockKey);
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its third file");
        query_column(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND application_name = 'sbdeploy'");
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: supabase/migrations/" + filename(3) +
                           ": lost the connection to the database while applying this file: terminating connection due "
                           "to administrator command (SQLSTATE 57P01)\n"
                           "hint: nothing of this file was applied: its transaction was rolled back; the migrations "
                           "before it stay applied; run the command again to apply the rest\n");
        CHECK(check_prefix_matches_schema(url) == 2);
    }
    check_converges(project, url);
}

TEST_CASE("pipeline: a client killed in the middle of a batch leaves whole files only, and a re-run converges") {
    TempProject project;
    six_migrations(project, 3);
    const std::string url = fresh_database("pipe_kill");
    {
        AdvisoryLockHolder holder(url, kLockKey);
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its third file");
        push.signal(SIGKILL);
        CHECK(push.wait().signal == SIGKILL);
        // The holder lets go: the orphaned backend runs or drops what it had received.
    }
    check_converges(project, url);
}
