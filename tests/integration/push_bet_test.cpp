// The push's bet on the history (src/cli/push_bet.hpp, issue 21): the first batch goes with the
// lock and the history read when the push can tell the history (a fresh database with small
// files, or a push event's added files), and the server runs it only under exactly that history.
// What the client put on the wire is read at the proxy while the push lock is held elsewhere, so
// "sent with the history read" is seen, not timed; every lost bet must leave the database as the
// push without a bet would.
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

constexpr const char* kPushLock = "hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0)";
constexpr const char* kPushLockObjid =
    "(hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0) & 4294967295)::oid";

std::string version(int i) { return "2024060100000" + std::to_string(i); }
std::string filename(int i) { return version(i) + "_bet" + std::to_string(i) + ".sql"; }
std::string create_table(int i) { return "create table bet_t" + std::to_string(i) + " (id int)"; }
std::string table_sql(int i) { return create_table(i) + ";\n"; }

void migrations(TempProject& project, int from, int to) {
    for (int i = from; i <= to; ++i) project.migration(filename(i), table_sql(i));
}

std::vector<std::string> versions(int from, int to) {
    std::vector<std::string> r;
    for (int i = from; i <= to; ++i) r.push_back(version(i));
    return r;
}

// A push event to `branch` whose commits added the migrations `from`..`to` (and a file that is
// not one).
Env push_event(TempProject& project, int from, int to, const std::string& branch = "develop") {
    std::string added;
    for (int i = from; i <= to; ++i) added += "\"supabase/migrations/" + filename(i) + "\", ";
    project.file("event.json", R"({"ref": "refs/heads/)" + branch + R"(", "before": ")" + std::string(40, '1') +
                                   R"(", "after": ")" + std::string(40, '2') + R"(", "commits": [{"id": ")" +
                                   std::string(40, '2') + R"(", "added": [)" + added +
                                   R"("README.md"]}], "repository": {"full_name": "o/r", "default_branch": "main"}})");
    return {{"GITHUB_EVENT_NAME", "push"},
            {"GITHUB_EVENT_PATH", project.path("event.json")},
            {"GITHUB_REF", "refs/heads/" + branch}};
}

// A fresh database that took a push of the project as it stands.
std::string pushed_database(const TempProject& project, std::string_view prefix) {
    const std::string url = fresh_database(prefix);
    const auto r = run_with_db("push", project, url);
    if (r.exit_code != 0) throw std::runtime_error("the first push failed: " + describe(r));
    return url;
}

std::vector<std::string> push_args(const TempProject& project, const std::string& url) {
    return {"push", "--db-url", url, "--workdir", project.root().string(), "--verbose"};
}

// Advisory locks held on this database (other tests hold theirs on their own).
std::size_t advisory_locks(const std::string& url) {
    return std::stoul(query_column(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                                        "(SELECT oid FROM pg_database WHERE datname = current_database())")
                          .at(0));
}

// Runs the push with the push lock held elsewhere until the push waits for it; returns what the
// push had sent by then with its result.
struct Blocked {
    std::string sent;
    util::ProcessResult result;
};
Blocked push_while_locked(const TempProject& project, const std::string& url, const Env& env = {}) {
    TcpProxy proxy(std::stoi(port_of(url)));
    auto holder = std::make_unique<AdvisoryLockHolder>(url, kPushLock);
    auto push = start_sbdeploy(push_args(project, via_port(url, proxy.port())), env);
    wait_until([&] { return waiting_for_advisory_lock(url, kPushLockObjid); }, "the push to wait for its lock");
    // The lock request and what follows it leave in one flush; give the proxy time to pass them.
    wait_until([&] { return proxy.sent_to_server().find("schema_migrations UNION ALL") != std::string::npos; },
               "the history read to reach the server");
    Blocked b{proxy.sent_to_server(), {}};
    holder.reset();
    b.result = push.wait();
    return b;
}

} // namespace

TEST_CASE("push bet: a fresh database gets the first batch with the history read, and it runs once") {
    TempProject project;
    migrations(project, 1, 3);
    const std::string url = fresh_database("bet_fresh");
    auto b = push_while_locked(project, url);
    INFO(describe(b.result));
    CHECK(b.result.exit_code == 0);
    CHECK(b.result.err.find("bet on a fresh database (3 files): won") != std::string::npos);
    // All three files were on the wire before the lock came.
    for (int i = 1; i <= 3; ++i) CHECK(b.sent.find(create_table(i)) != std::string::npos);
    CHECK(history_versions(url) == versions(1, 3));
    for (int i = 1; i <= 3; ++i) CHECK(exists(url, "public.bet_t" + std::to_string(i)));
    CHECK(advisory_locks(url) == 0);
}

TEST_CASE("push bet: a database that is not fresh runs nothing of the bet, then gets what is pending") {
    TempProject project;
    migrations(project, 1, 1);
    const std::string url = pushed_database(project, "bet_lost");
    migrations(project, 2, 3);
    auto b = push_while_locked(project, url);
    INFO(describe(b.result));
    CHECK(b.result.exit_code == 0);
    CHECK(b.result.err.find("bet on a fresh database (3 files): lost") != std::string::npos);
    CHECK(b.sent.find(create_table(1)) != std::string::npos);  // sent for nothing: never ran again
    CHECK(b.result.out.find("Applying 2 migrations") != std::string::npos);
    CHECK(history_versions(url) == versions(1, 3));
    CHECK(advisory_locks(url) == 0);
}

TEST_CASE("push bet: a push event's added files go with the history read when the database took every earlier push") {
    TempProject project;
    // What the database holds must digest as the push does: an empty file, text beyond ASCII,
    // several statements.
    project.migration(filename(1), "");
    project.migration(filename(2), "create table bet_é (id int);\ncomment on table bet_é is 'ü ✓';\n");
    const std::string url = pushed_database(project, "bet_event");
    migrations(project, 3, 4);
    auto b = push_while_locked(project, url, push_event(project, 3, 4));
    INFO(describe(b.result));
    CHECK(b.result.exit_code == 0);
    CHECK(b.result.err.find("bet on the files the push event added (2 files): won") != std::string::npos);
    CHECK(b.sent.find(create_table(3)) != std::string::npos);
    CHECK(b.sent.find(create_table(4)) != std::string::npos);
    CHECK(history_versions(url) == versions(1, 4));
    CHECK(advisory_locks(url) == 0);
}

TEST_CASE("push bet: a database behind the push event runs nothing of the bet, then gets every pending file in order") {
    TempProject project;
    migrations(project, 1, 1);
    const std::string url = pushed_database(project, "bet_behind");
    migrations(project, 2, 3);  // 2 came with an earlier push that never reached this database
    auto r = run_with_db("push", project, url, {"--verbose"}, push_event(project, 3, 3));
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("bet on the files the push event added (1 file): lost") != std::string::npos);
    CHECK(r.out.find("Applied " + filename(2)) < r.out.find("Applied " + filename(3)));
    CHECK(history_versions(url) == versions(1, 3));
}

TEST_CASE("push bet: the same versions with other statements lose the bet, and the edited file is refused") {
    TempProject project;
    project.migration(filename(1), "create table bet_t1 (id bigint);\n");
    const std::string url = pushed_database(project, "bet_edited");
    project.migration(filename(1), table_sql(1));  // edited after it was applied
    migrations(project, 2, 2);
    auto r = run_with_db("push", project, url, {"--verbose"}, push_event(project, 2, 2));
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("bet on the files the push event added (1 file): lost") != std::string::npos);
    CHECK(r.err.find("edited") != std::string::npos);
    // The guard kept the bet's file from running: nothing but the first push's work is there.
    CHECK_FALSE(exists(url, "public.bet_t2"));
    CHECK(history_versions(url) == versions(1, 1));
}

TEST_CASE("push bet: a lock that does not come runs nothing of the bet") {
    TempProject project;
    migrations(project, 1, 2);
    const std::string url = fresh_database("bet_busy");
    AdvisoryLockHolder holder(url, kPushLock);
    auto r = run_with_db("push", project, url, {"--lock-wait", "1s", "--verbose"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("another migration run holds the lock") != std::string::npos);
    CHECK_FALSE(exists(url, "public.bet_t1"));
    CHECK(query_column(url, "SELECT to_regclass('supabase_migrations.schema_migrations') IS NULL") ==
          std::vector<std::string>{"t"});
}

TEST_CASE("push bet: a file failing in a won bet's batch keeps the files before it, and the push ends unlocked") {
    TempProject project;
    migrations(project, 1, 1);
    project.migration(filename(2), "create table bet_t2 (id int);\nselect * from bet_missing;\n");
    migrations(project, 3, 3);
    const std::string url = fresh_database("bet_fails");
    TcpProxy proxy(std::stoi(port_of(url)));
    auto r = run_with_db("push", project, via_port(url, proxy.port()), {"--verbose"});
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("bet on a fresh database (3 files): won") != std::string::npos);
    CHECK(r.err.find(filename(2) + ":2: relation \"bet_missing\" does not exist") != std::string::npos);
    CHECK(history_versions(url) == versions(1, 1));
    CHECK_FALSE(exists(url, "public.bet_t2"));
    CHECK_FALSE(exists(url, "public.bet_t3"));
    // The release went behind the batch: no second one after the failure.
    const std::string sent = proxy.sent_to_server();
    std::size_t releases = 0;
    for (auto at = sent.find("pg_advisory_unlock("); at != std::string::npos;
         at = sent.find("pg_advisory_unlock(", at + 1))
        ++releases;
    CHECK(releases == 1);
}

TEST_CASE("push to production: the gate reads staging's history while the push waits for production's") {
    TempProject project;
    migrations(project, 1, 1);
    const std::string production = pushed_database(project, "pf_production");
    migrations(project, 2, 2);
    const std::string staging = pushed_database(project, "pf_staging");
    TcpProxy staging_proxy(std::stoi(port_of(staging)));
    Env env = push_event(project, 2, 2, "main");
    env["SBDEPLOY_PRODUCTION_DB_URL"] = production;
    env["SBDEPLOY_STAGING_DB_URL"] = via_port(staging, staging_proxy.port());
    auto holder = std::make_unique<AdvisoryLockHolder>(production, kPushLock);
    auto push = start_sbdeploy({"push", "--workdir", project.root().string(), "--verbose"}, env);
    wait_until([&] { return waiting_for_advisory_lock(production, kPushLockObjid); },
               "the push to wait for production's lock");
    wait_until([&] { return staging_proxy.sent_to_server().find("schema_migrations") != std::string::npos; },
               "staging's history read to go out while production's lock is held");
    holder.reset();
    auto r = push.wait();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Promotion gate: the 1 pending migration ran on staging first") != std::string::npos);
    // Its console lines come when the gate takes its result, once.
    CHECK(r.err.find("(from SBDEPLOY_STAGING_DB_URL)") != std::string::npos);
    CHECK(r.err.find("(from SBDEPLOY_STAGING_DB_URL)") == r.err.rfind("(from SBDEPLOY_STAGING_DB_URL)"));
    CHECK(history_versions(production) == versions(1, 2));
}
