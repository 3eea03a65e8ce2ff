// A push's fixed round trips (issue 21): the push lock, the history table and the history read
// go out together, and the lock's release goes out with the last batch. What the client has put
// on the wire is read at the proxy while the server waits; the guarantees are checked as before:
// the lock still excludes a second push, and a failing last batch still releases the lock
// (before the connection closes: behind a session pooler a close does not end the session).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "db/pg_session.hpp"
#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

constexpr const char* kFileLock = "535353";  // the advisory lock a file waits for
// The push lock: the key for pg_advisory_lock, and its objid in pg_locks.
constexpr const char* kPushLock = "hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0)";
constexpr const char* kPushLockObjid =
    "(hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0) & 4294967295)::oid";
constexpr const char* kHistoryRead = "FROM supabase_migrations.schema_migrations UNION ALL";
constexpr const char* kUnlock = "pg_advisory_unlock(";

std::string version(int i) { return "2024050100000" + std::to_string(i); }
std::string filename(int i) { return version(i) + "_rt" + std::to_string(i) + ".sql"; }

// Files 1..3 create tables t1..t3; file `waits` first waits for kFileLock, file `fails` fails.
void three_migrations(TempProject& project, int waits, int fails = 0) {
    for (int i = 1; i <= 3; ++i) {
        std::string sql;
        if (i == waits) sql += std::string("select pg_advisory_xact_lock(") + kFileLock + ");\n";
        sql += "create table t" + std::to_string(i) + " (id int);\n";
        if (i == fails) sql += "select * from missing_table;\n";
        project.migration(filename(i), sql);
    }
}

std::vector<std::string> push_args(const TempProject& project, const std::string& url) {
    return {"push", "--db-url", url, "--workdir", project.root().string()};
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// Session advisory locks held by backend `pid`.
std::string advisory_locks_of(const std::string& url, int pid) {
    return query_column(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = " +
                                 std::to_string(pid))
        .at(0);
}

} // namespace

TEST_CASE(
    "push round trips: the history read goes out with the lock, and a push that waited sees what the other applied") {
    TempProject project;
    three_migrations(project, 1);
    const std::string url = fresh_database("rt_lock");
    auto file_lock = std::make_unique<AdvisoryLockHolder>(url, kFileLock);
    auto first = start_sbdeploy(push_args(project, url));  // holds the push lock, waits in file 1
    wait_until([&] { return waiting_for_advisory_lock(url, kFileLock); }, "the first push to wait inside file 1");

    TcpProxy proxy(std::stoi(port_of(url)));
    auto second = start_sbdeploy(push_args(project, via_port(url, proxy.port())));
    wait_until([&] { return waiting_for_advisory_lock(url, kPushLockObjid); }, "the second push to wait for the lock");
    // One round trip: while the lock is not granted, the history table's check and the read
    // have gone out behind it.
    wait_until([&] { return proxy.sent_to_server().find(kHistoryRead) != std::string::npos; },
               "the second push's history read to reach the server while it waits for the lock");
    CHECK(proxy.sent_to_server().find("DO $sbdeploy_history$") != std::string::npos);

    file_lock.reset();
    auto r1 = first.wait();
    INFO(describe(r1));
    CHECK(r1.exit_code == 0);
    auto r2 = second.wait();
    INFO(describe(r2));
    CHECK(r2.exit_code == 0);
    // The read ran after the lock came: the second push saw all three files recorded.
    CHECK(r2.out.find("Remote database is up to date") != std::string::npos);
    CHECK(r2.out.find("Applied") == std::string::npos);
    CHECK(history_versions(url) == std::vector<std::string>{version(1), version(2), version(3)});
}

TEST_CASE("push round trips: the lock's release goes out with the last batch, once") {
    SUBCASE("the last file succeeds") {
        TempProject project;
        three_migrations(project, 3);
        const std::string url = fresh_database("rt_unlock");
        TcpProxy proxy(std::stoi(port_of(url)));
        auto file_lock = std::make_unique<AdvisoryLockHolder>(url, kFileLock);
        auto push = start_sbdeploy(push_args(project, via_port(url, proxy.port())));
        wait_until([&] { return waiting_for_advisory_lock(url, kFileLock); }, "the push to wait inside file 3");
        wait_until([&] { return proxy.sent_to_server().find(kUnlock) != std::string::npos; },
                   "the lock's release to reach the server while the last file runs");
        file_lock.reset();
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(count(proxy.sent_to_server(), kUnlock) == 1);
        CHECK(history_versions(url).size() == 3);
    }
    SUBCASE("the last file fails: the release still runs, once") {
        TempProject project;
        three_migrations(project, 0, 3);
        const std::string url = fresh_database("rt_unlock_fail");
        TcpProxy proxy(std::stoi(port_of(url)));
        auto r = run_with_db("push", project, via_port(url, proxy.port()));
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find(filename(3) + ":2: relation \"missing_table\" does not exist") != std::string::npos);
        CHECK(count(proxy.sent_to_server(), kUnlock) == 1);
        CHECK(history_versions(url) == std::vector<std::string>{version(1), version(2)});
        CHECK_FALSE(exists(url, "public.t3"));
    }
}

TEST_CASE("push round trips: statements after a pipeline run, whether or not a transaction failed, on the session") {
    const std::string url = fresh_database("rt_then");
    auto session = db::connect_postgres({.url = url});
    REQUIRE(session);
    db::Session& s = **session;
    REQUIRE(db::acquire_push_lock(s, 10'000));
    REQUIRE(advisory_locks_of(url, s.backend_pid()) == "1");
    const std::vector<db::BatchItem> ok{{"create table a (id int)", {}}};
    const std::vector<db::BatchItem> bad{{"create table b (id int)", {}}, {"select * from missing_table", {}}};
    const std::vector<db::BatchItem> later{{"create table c (id int)", {}}};
    const db::BatchItem after[] = {db::release_push_lock_item()};

    SUBCASE("all commit") {
        const std::vector<std::vector<db::BatchItem>> transactions{ok, later};
        auto p = s.pipeline_then(transactions, after);
        CHECK(p->next());
        CHECK(p->next());
        CHECK(exists(url, "public.c"));
    }
    SUBCASE("the first fails") {
        const std::vector<std::vector<db::BatchItem>> transactions{bad, later};
        auto p = s.pipeline_then(transactions, after);
        auto r = p->next();
        REQUIRE_FALSE(r);
        CHECK(r.error().error.sqlstate == "42P01");
        CHECK_FALSE(exists(url, "public.b"));
        CHECK_FALSE(exists(url, "public.c"));
    }
    SUBCASE("the last fails") {
        const std::vector<std::vector<db::BatchItem>> transactions{ok, bad};
        auto p = s.pipeline_then(transactions, after);
        CHECK(p->next());
        CHECK_FALSE(p->next());
        CHECK(exists(url, "public.a"));
        CHECK_FALSE(exists(url, "public.b"));
    }
    // Released while the session is still open, which is back in no transaction, with no
    // notice of the statements after (the ROLLBACK that warns when nothing failed).
    CHECK(advisory_locks_of(url, s.backend_pid()) == "0");
    CHECK(s.take_notices().empty());
    auto next = s.exec("SELECT 1");
    REQUIRE(next);
    CHECK(next->rows.at(0).at(0) == db::Value("1"));
}

TEST_CASE("push round trips: a history table the role cannot create is reported as such, with the lock's round trip") {
    TempProject project;
    three_migrations(project, 0);
    const std::string url = fresh_database("rt_nocreate");
    query_column(url, "DO $$ BEGIN CREATE ROLE sbdeploy_rt_nocreate LOGIN PASSWORD 'rt-pw'; "
                      "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    // The same database as a role that may connect but not create a schema.
    const auto at = url.find('@');
    REQUIRE(at != std::string::npos);
    const std::string as_role = "postgresql://sbdeploy_rt_nocreate:rt-pw" + url.substr(at);
    auto r = run_with_db("push", project, as_role);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with(
        "sbdeploy: error: cannot create the migration history table: permission denied for database"));
    CHECK_FALSE(exists(url, "public.t1"));
    CHECK(query_column(url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'supabase_migrations'") ==
          std::vector<std::string>{"0"});
}
