// Durability of a pipelined push (issue 21 item 2): every file but the push's last commits
// without waiting for the WAL flush, and the last one's COMMIT flushes the WAL up to it. On a
// server of the test's own with fsync and synchronous_commit on, crashed with pg_ctl stop -m
// immediate: a crash in the middle loses a suffix of whole files (history and objects stay a
// prefix, and a re-run converges), and a crash right after success loses nothing.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/private_pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

constexpr const char* kFileLock = "636363";  // the advisory lock file 4 waits for
constexpr int kFiles = 6;

std::string version(int i) { return "2024060100000" + std::to_string(i); }
std::string filename(int i) { return version(i) + "_durable" + std::to_string(i) + ".sql"; }

void six_migrations(TempProject& project, int waits) {
    for (int i = 1; i <= kFiles; ++i) {
        std::string sql = "create table t" + std::to_string(i) + " (id int);\ninsert into t" + std::to_string(i) +
                          " values (" + std::to_string(i) + ");\n";
        if (i == waits) sql += std::string("select pg_advisory_xact_lock(") + kFileLock + ");\n";
        project.migration(filename(i), sql);
    }
}

// The history is a prefix of the files, and each recorded file's table is there whole (its
// row too), each unrecorded one's not at all. Returns how many are recorded.
int check_whole_prefix(const std::string& url) {
    auto recorded = history_versions(url);
    const int n = static_cast<int>(recorded.size());
    for (int i = 1; i <= kFiles; ++i) {
        INFO("file " << i);
        if (i <= n) {
            CHECK(recorded[static_cast<std::size_t>(i - 1)] == version(i));
            const std::string table = "t" + std::to_string(i);
            CHECK(query_column(url, "SELECT id FROM " + table) == std::vector<std::string>{std::to_string(i)});
        } else {
            CHECK_FALSE(exists(url, "public.t" + std::to_string(i)));
        }
    }
    return n;
}

std::vector<std::string> push_args(const TempProject& project, const std::string& url) {
    return {"push", "--db-url", url, "--workdir", project.root().string()};
}

} // namespace

TEST_CASE("durability: a crash loses a suffix of whole files, and none once push reported success") {
    PrivateServer server;
    // The WAL writer waits 10 s, so an asynchronous commit is still in memory when the crash
    // comes: what is not flushed by a synchronous commit is lost, every time.
    server.configure({{"fsync", "on"}, {"synchronous_commit", "on"}, {"wal_writer_delay", "10s"}});
    query_column(server.url(), "CREATE DATABASE durable");
    const std::string url = server.url("durable");
    TempProject project;

    SUBCASE("a crash in the middle of a push") {
        six_migrations(project, 4);
        auto holder = std::make_unique<AdvisoryLockHolder>(url, kFileLock);
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kFileLock); }, "the push to wait inside file 4");
        server.crash_and_start();
        holder.reset();
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("Pushed") == std::string::npos);
        CHECK(check_whole_prefix(url) <= 3);
        auto again = run_sbdeploy(push_args(project, url));
        INFO(describe(again));
        CHECK(again.exit_code == 0);
        CHECK(check_whole_prefix(url) == kFiles);
    }
    SUBCASE("a crash right after a failed push keeps the files it reported applied") {
        six_migrations(project, 0);
        project.migration(filename(4), "select 1/0;\n");  // no WAL of its own after file 3's commit
        auto r = run_sbdeploy(push_args(project, url));
        INFO(describe(r));
        REQUIRE(r.exit_code == 1);
        CHECK(r.err.find(filename(4)) != std::string::npos);
        CHECK(history_versions(url).size() == 3);
        server.crash_and_start();
        CHECK(check_whole_prefix(url) == 3);
    }
    SUBCASE("a crash right after success") {
        six_migrations(project, 0);
        auto r = run_sbdeploy(push_args(project, url));
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("Pushed 6 migrations") != std::string::npos);
        server.crash_and_start();
        CHECK(check_whole_prefix(url) == kFiles);
    }
}
