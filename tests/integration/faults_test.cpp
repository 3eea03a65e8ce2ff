// Faults in the middle of a push over libpq: the backend terminated, the connection cut or
// stalled by a proxy, sbdeploy killed or asked to stop, the server restarted, and servers
// that refuse or ignore connections at first. Each time: no half-applied file, a history
// that matches the schema, and a second push that converges. A restart gets a server of its
// own (support/private_pg.hpp).
#include <doctest/doctest.h>

#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/node_server.hpp"
#include "support/pg.hpp"
#include "support/private_pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

constexpr const char* kLockKey = "424242";  // the advisory lock the middle file waits for

// A connection the test keeps open (to hold a lock while sbdeploy waits for it).
class Connection {
public:
    explicit Connection(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
        if (PQstatus(conn_.get()) != CONNECTION_OK)
            throw std::runtime_error(std::string("test connection: ") + PQerrorMessage(conn_.get()));
    }
    void exec(const std::string& sql) {
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            throw std::runtime_error("test connection: " + sql + ": " + PQerrorMessage(conn_.get()));
    }

private:
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

std::string version(int i) {
    std::string n = std::to_string(i);
    return "2024010100" + std::string(4 - n.size(), '0') + n;
}

// Three migrations; the second one waits for the test's advisory lock half-way through, so
// a fault can strike inside it. Each creates table t<i>; the second inserts two rows.
void three_migrations(TempProject& project) {
    project.migration(version(1) + "_first.sql", "create table t1 (id int);\n");
    project.migration(
        version(2) + "_waits.sql",
        std::string("create table t2 (id int);\ninsert into t2 values (1);\nselect pg_advisory_xact_lock(") + kLockKey +
            ");\ninsert into t2 values (2);\n");
    project.migration(version(3) + "_third.sql", "create table t3 (id int);\n");
}

bool table_exists(const std::string& url, const std::string& table) {
    return query_column(url, "SELECT to_regclass('public." + table + "') IS NOT NULL") == std::vector<std::string>{"t"};
}

// Recorded versions and tables agree, and t2 is never half there.
void check_history_matches_schema(const std::string& url, int files) {
    auto recorded = history_versions(url);
    for (int i = 1; i <= files; ++i) {
        bool in_history = std::find(recorded.begin(), recorded.end(), version(i)) != recorded.end();
        INFO("version " << version(i));
        CHECK(in_history == table_exists(url, "t" + std::to_string(i)));
    }
    if (table_exists(url, "t2")) CHECK(query_column(url, "SELECT count(*) FROM t2") == std::vector<std::string>{"2"});
}

std::vector<std::string> push_args(const TempProject& project, const std::string& url) {
    return {"push", "--db-url", url, "--workdir", project.root().string()};
}

// After a fault: once sbdeploy's old backend is gone, the history matches the schema, and
// a second push applies the rest and converges.
void check_converges(const TempProject& project, const std::string& url) {
    wait_until([&] { return !sbdeploy_connected(url); }, "sbdeploy's backend to end");
    check_history_matches_schema(url, 3);
    auto again = run_sbdeploy(push_args(project, url));
    INFO(describe(again));
    CHECK(again.exit_code == 0);
    CHECK(history_versions(url) == std::vector<std::string>{version(1), version(2), version(3)});
    check_history_matches_schema(url, 3);
    auto third = run_sbdeploy(push_args(project, url));
    CHECK(third.out.starts_with("Remote database is up to date: "));
}

// The server ended the session itself (pg_terminate_backend, a restart): it reported the
// failure, so the file's transaction rolled back for certain.
const std::string kTerminated =
    "sbdeploy: error: supabase/migrations/20240101000002_waits.sql: lost the connection to the database while applying "
    "this file: terminating connection due to administrator command (SQLSTATE 57P01)\n"
    "hint: nothing of this file was applied: its transaction was rolled back; the migrations before it stay applied; "
    "run the command again to apply the rest\n";

} // namespace

TEST_CASE("faults: the backend terminated inside a file leaves nothing of it, and a re-run converges") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_term");
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        query_column(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND application_name = 'sbdeploy'");
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == kTerminated);
        // The terminated backend rolled back: only the first file is there.
        CHECK(history_versions(url) == std::vector<std::string>{version(1)});
        CHECK_FALSE(table_exists(url, "t2"));
    }
    check_converges(project, url);
}

TEST_CASE("faults: the server restarted mid-file: nothing of the file is left, and a re-run converges") {
    TempProject project;
    three_migrations(project);
    PrivateServer server;  // a restart of the shared server would cut the other tests
    const std::string url = server.url();
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        server.restart();  // pg_ctl restart -m fast: every session is terminated
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == kTerminated);
    }
    CHECK(history_versions(url) == std::vector<std::string>{version(1)});
    CHECK_FALSE(table_exists(url, "t2"));
    check_converges(project, url);
}

TEST_CASE("faults: SIGTERM, SIGINT or SIGHUP mid-file rolls the file back and says so") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_sigterm");
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        CAPTURE(sig);
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        push.signal(sig);
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        const std::string name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
        CHECK(r.err ==
              "sbdeploy: error: supabase/migrations/20240101000002_waits.sql: push interrupted by " + name +
                  " in \"20240101000002_waits.sql\": its transaction was rolled back, nothing of it was applied\n"
                  "hint: " +
                  std::string(sig == SIGTERM ? "1 migration applied before it stay applied"
                                             : "no migration was applied before it") +
                  "; run the command again to apply the rest\n");
        // The cancel reached the server: the file is gone before sbdeploy exits, and so is its session.
        CHECK(history_versions(url) == std::vector<std::string>{version(1)});
        CHECK_FALSE(table_exists(url, "t2"));
        check_history_matches_schema(url, 3);
    }
    check_converges(project, url);
}

TEST_CASE("faults: SIGKILL mid-file: the file is committed whole or not at all") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_sigkill");
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, url));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        push.signal(SIGKILL);
        auto r = push.wait();
        CHECK(r.signal == SIGKILL);
        check_history_matches_schema(url, 3);
        // The holder lets go: the orphaned backend finishes or aborts what it had received.
    }
    check_converges(project, url);
}

TEST_CASE("faults: a proxy that cuts the connection mid-file") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_drop");
    TcpProxy proxy(std::stoi(port_of(url)));
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, via_port(url, proxy.port())));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        proxy.drop();
        auto r = push.wait();
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        // The client lost the socket: it cannot know whether the server ran the COMMIT it had received,
        // nor the third file's, sent in the same batch. A reset also discards what the client had not
        // read yet: when the first file's answer was still unread (all three went with the history
        // read, and the cut came within milliseconds), the first file is the one it waited for.
        CHECK(std::regex_match(r.err,
                               std::regex("sbdeploy: error: supabase/migrations/"
                                          "(20240101000002_waits\\.sql|20240101000001_first\\.sql): lost "
                                          "the connection to the database while applying this file: [^\n]+\n"
                                          "hint: the file was either committed whole with its history row or not "
                                          "at all, and so was each of the (1 migration|2 migrations) sent after it "
                                          "in the same batch; run the command again: it applies what is not "
                                          "recorded yet, never a file twice\n")));
        const bool waited_for_first = r.err.find("_first.sql") != std::string::npos;
        CHECK(waited_for_first == (r.err.find("2 migrations sent after it") != std::string::npos));
        CHECK(r.err.find("SQLSTATE") == std::string::npos);
        check_history_matches_schema(url, 3);
    }
    check_converges(project, url);
}

TEST_CASE("faults: a stalled connection, then SIGTERM: sbdeploy stops within its grace period") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_stall");
    TcpProxy proxy(std::stoi(port_of(url)));
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto push = start_sbdeploy(push_args(project, via_port(url, proxy.port())));
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        proxy.stall();  // the cancel request cannot get through either
        auto started = std::chrono::steady_clock::now();
        push.signal(SIGTERM);
        auto r = push.wait();
        auto took = std::chrono::steady_clock::now() - started;
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: supabase/migrations/20240101000002_waits.sql: push interrupted by SIGTERM in "
                       "\"20240101000002_waits.sql\": the connection was cut before the database answered, so the file "
                       "is either committed whole with its history row or rolled back\n"
                       "hint: 1 migration applied before it stay applied; run 'sbdeploy status' to see which, then run "
                       "the command again\n");
        // The cancel grace (5 s) and no more: the cut ends the wait.
        CHECK(took < std::chrono::seconds(10));
        check_history_matches_schema(url, 3);
    }
    proxy.resume();
    check_converges(project, url);
}

TEST_CASE("transient failures: a server that refuses at first is retried with backoff, then the push applies once") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_refused");
    TcpProxy proxy(std::stoi(port_of(url)), TcpProxy::Start::refusing);
    auto push = start_sbdeploy({"push", "--db-url", via_port(url, proxy.port()), "--workdir", project.root().string(),
                                "--connect-timeout", "60s", "--verbose"});
    // The first attempts are refused; once a retry is announced the server "comes up".
    wait_until([&] { return push.err_so_far().find("; attempt 2 in ") != std::string::npos; }, "a retry");
    proxy.listen();
    auto r = push.wait();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err.starts_with("debug: cannot connect to 127.0.0.1:" + std::to_string(proxy.port()) + "/" +
                            url.substr(url.rfind('/') + 1) +
                            " as postgres: connection to server at \"127.0.0.1\", port " +
                            std::to_string(proxy.port()) + " failed: Connection refused; attempt 2 in "));
    CHECK(r.out.find("Pushed 3 migrations to ") != std::string::npos);
    CHECK(proxy.accepted() >= 1);
    CHECK(history_versions(url) == std::vector<std::string>{version(1), version(2), version(3)});
    check_history_matches_schema(url, 3);
}

TEST_CASE("transient failures: a server that never answers fails once its connect timeout is spent") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_silent");
    TcpProxy proxy(std::stoi(port_of(url)));
    proxy.stall();
    auto started = std::chrono::steady_clock::now();
    auto r = run_sbdeploy({"push", "--db-url", via_port(url, proxy.port()), "--workdir", project.root().string(),
                           "--connect-timeout", "2s"});
    auto took = std::chrono::steady_clock::now() - started;
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err ==
          "sbdeploy: error: cannot connect to 127.0.0.1:" + std::to_string(proxy.port()) + "/" +
              url.substr(url.rfind('/') + 1) + " as postgres: connection to server at \"127.0.0.1\", port " +
              std::to_string(proxy.port()) +
              " failed: timeout expired\n"
              "hint: the server did not answer in time; check the host and port, or raise --connect-timeout\n");
    CHECK(took < std::chrono::seconds(8));
    CHECK(proxy.accepted() == 1);  // one attempt: the timeout used the whole budget
    CHECK(history_versions(url).empty());
}

// A DNS failure, without a network: the resolver sees only a loopback DNS stand-in that knows no
// name (tests/servers/dns.mjs, named by a resolv.conf bound over /etc/resolv.conf in a private
// mount namespace), so every attempt fails at once, the way a name does while its record is not
// published yet, and no query leaves the machine. Needs root (port 53, the bind mount).
TEST_CASE("transient failures: a host name that does not resolve is retried within the bound, then one error") {
    if (::geteuid() != 0) {
        MESSAGE("skipped: needs root for a private /etc/resolv.conf (no DNS query may leave the machine)");
        return;
    }
    NodeServer dns("dns.mjs", {"--listen", "127.0.0.153"});
    TempDir scratch;
    const std::string resolv = scratch.write("resolv.conf", "nameserver 127.0.0.153\noptions timeout:1 attempts:1\n");
    TempProject project;
    three_migrations(project);
    std::vector<std::string> args{"push", "--workdir", project.root().string(), "--verbose"};
    std::string retried, error;
    Env env;
    SUBCASE("over libpq, within --connect-timeout") {
        args.insert(args.end(), {"--db-url", "postgresql://postgres:s3cret-pw@nonexistent.invalid:5432/postgres",
                                 "--connect-timeout", "2s"});
        retried = "debug: cannot connect to nonexistent.invalid:5432/postgres as postgres: could not translate host "
                  "name \"nonexistent.invalid\" to address: Name or service not known; attempt 2 in ";
        error = "sbdeploy: error: cannot connect to nonexistent.invalid:5432/postgres as postgres: could not "
                "translate host name \"nonexistent.invalid\" to address: Name or service not known (";
    }
    SUBCASE("over the Management API, within --api-retry-budget") {
        args.insert(args.end(), {"--transport", "api", "--project-ref", "abcdefghijklmnopqrst", "--api-url",
                                 "https://nonexistent.invalid", "--api-retry-budget", "2s"});
        env["SUPABASE_ACCESS_TOKEN"] = "sbp_0123456789abcdef0123456789abcdef01234567";
        retried = "debug: management api: POST https://nonexistent.invalid/v1/projects/abcdefghijklmnopqrst/database/"
                  "query: Could not resolve host: nonexistent.invalid; retrying in ";
        error = "sbdeploy: error: management api: POST https://nonexistent.invalid/v1/projects/abcdefghijklmnopqrst/"
                "database/query: Could not resolve host: nonexistent.invalid after ";
    }
    sbdeploy::util::ProcessSpec spec;
    spec.program = "unshare";
    spec.args = {
        "--mount", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
        resolv,    SBDEPLOY_BINARY};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.env = env;
    spec.env["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin";
    spec.timeout = std::chrono::milliseconds(60'000);
    auto started = std::chrono::steady_clock::now();
    auto run = sbdeploy::util::run_process(spec);
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(run.has_value());
    const auto& r = *run;
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(retried) != std::string::npos);
    // One error, last, with its hint; the retries before it are debug lines only.
    auto at = r.err.find("sbdeploy: error: ");
    REQUIRE(at != std::string::npos);
    CHECK(r.err.find("error", at + 16) == std::string::npos);
    CHECK(r.err.substr(at).starts_with(error));
    const bool hinted = r.err.ends_with(" s)\nhint: check the host name in the database URL\n") ||
                        r.err.ends_with("s\nhint: check the host name in the URL\n");
    CHECK(hinted);
    CHECK(took < std::chrono::seconds(8));
}

TEST_CASE("faults: a lock timeout names the session holding the lock and --lock-timeout, not the migration") {
    TempProject project;
    project.migration(version(1) + "_held.sql", "create table held (id int);\n");
    const std::string url = fresh_database("fault_lock_timeout");
    REQUIRE(run_sbdeploy(push_args(project, url)).exit_code == 0);
    project.migration(version(2) + "_alter.sql", "alter table held add column x int;\n");
    Connection holder(url);
    holder.exec("SET application_name = 'lock-holder-test'");
    holder.exec("BEGIN");
    holder.exec("LOCK TABLE held IN ACCESS SHARE MODE");
    const auto pid = query_column(url, "SELECT pid::text FROM pg_stat_activity WHERE application_name = "
                                       "'lock-holder-test'");
    REQUIRE(pid.size() == 1);
    auto args = push_args(project, url);
    args.insert(args.end(), {"--lock-timeout", "2s"});
    auto r = run_sbdeploy(args);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("canceling statement due to lock timeout (SQLSTATE 55P03)") != std::string::npos);
    CHECK(r.err.find("hint: the migration itself may be fine: the session pid " + pid[0] +
                     " (application_name \"lock-holder-test\", \"idle in transaction\") held a lock it needs for "
                     "longer than lock_timeout (--lock-timeout, else the server's setting); run again when that "
                     "session is done, or raise --lock-timeout (e.g. --lock-timeout 30s)\n") != std::string::npos);
    CHECK(r.err.find("fix the migration") == std::string::npos);
}

TEST_CASE("faults: a statement timeout names --statement-timeout and how to raise it, not the migration") {
    TempProject project;
    project.migration(version(1) + "_slow.sql", "select pg_sleep(5);\n");
    const std::string url = fresh_database("fault_stmt_timeout");
    auto args = push_args(project, url);
    args.insert(args.end(), {"--statement-timeout", "1s"});
    auto r = run_sbdeploy(args);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("canceling statement due to statement timeout (SQLSTATE 57014)") != std::string::npos);
    CHECK(r.err.find("hint: the migration itself may be fine: it ran longer than statement_timeout "
                     "(--statement-timeout, else the server's or the role's setting); raise --statement-timeout (e.g. "
                     "--statement-timeout 30m) and run again\n") != std::string::npos);
    CHECK(r.err.find("fix the migration") == std::string::npos);
}

TEST_CASE("faults: a connection that stays open but passes nothing ends after --statement-timeout plus a margin") {
    TempProject project;
    three_migrations(project);
    const std::string url = fresh_database("fault_silence");
    TcpProxy proxy(std::stoi(port_of(url)));
    {
        Connection holder(url);
        holder.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
        auto args = push_args(project, via_port(url, proxy.port()));
        args.insert(args.end(), {"--statement-timeout", "3s", "--lock-wait", "1s"});
        auto push = start_sbdeploy(args);
        wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the push to wait inside its second file");
        proxy.stall();  // the server's statement timeout error never arrives
        auto started = std::chrono::steady_clock::now();
        auto r = push.wait();
        auto took = std::chrono::steady_clock::now() - started;
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("the database sent nothing for 13 s, longer than --statement-timeout allows (plus a margin): "
                         "the connection was closed") != std::string::npos);
        // 3 s + 10 s of silence from the last byte, and not much more.
        CHECK(took < std::chrono::seconds(25));
    }
    proxy.resume();
    check_converges(project, url);
}
