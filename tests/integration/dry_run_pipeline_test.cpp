// validate's dry run is pipelined like push (issues 21 and 26): inside its one rolled-back
// transaction, the files go in batches, one round trip each (a savepoint, the file, its history
// row, the commit check, the release per file), so every file of a batch is on the wire before
// the first answers; yet the verdicts are those of the file-by-file dry run: the files before a
// failing one pass, it fails at its own file and line, the rest are not run (--keep-going: each
// its own verdict), and nothing is left behind.
#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "db/pg_session.hpp"
#include "migrations/dry_run.hpp"
#include "support/background.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

constexpr const char* kLockKey = "434344";  // the advisory lock the first file waits for
constexpr int kFiles = 6;

std::string version(int i) { return "2024040100000" + std::to_string(i); }
std::string filename(int i) { return version(i) + "_dry" + std::to_string(i) + ".sql"; }
std::string table(int i) { return "create table t" + std::to_string(i) + " (id int primary key);\n"; }

// The files parsed as validate loads them.
std::vector<migrations::Migration> load(const std::vector<std::string>& sql) {
    std::vector<migrations::Migration> out;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const int n = static_cast<int>(i) + 1;
        migrations::MigrationFile f;
        f.display = "supabase/migrations/" + filename(n);
        f.filename = filename(n);
        f.version = version(n);
        f.name = "dry" + std::to_string(n);
        auto m = migrations::parse_migration(f, sql[i]);
        REQUIRE(m);
        out.push_back(std::move(*m));
    }
    return out;
}

std::vector<std::string> verdicts(const migrations::DryRunReport& r) {
    std::vector<std::string> out;
    for (const auto& d : r.files) out.emplace_back(migrations::verdict_name(d.verdict));
    return out;
}

} // namespace

TEST_CASE("dry run pipeline: every file of a batch is on the wire before the first file answers") {
    TempProject project;
    const std::string padding = "-- " + std::string(64 * 1024, 'x') + "\n";  // only in the last file
    const std::string wait = std::string("select pg_advisory_xact_lock(") + kLockKey + ");\n";
    for (int i = 1; i <= kFiles; ++i)
        project.migration(filename(i), table(i) + (i == 1 ? wait : "") + (i == kFiles ? padding : ""));
    const std::string url = fresh_database("dry_pipe_wire");
    const auto schema = schema_dump(url);
    TcpProxy proxy(std::stoi(port_of(url)));
    auto holder = std::make_unique<AdvisoryLockHolder>(url, kLockKey);
    auto validate = start_sbdeploy({"validate", "--db-url", via_port(url, proxy.port()), "--workdir",
                                    project.root().string(), "--lock-timeout", "60s", "--lint-fail-on", "never"});
    wait_until([&] { return waiting_for_advisory_lock(url, kLockKey); }, "the dry run to wait inside its first file");
    // The first file cannot answer while the lock is held, yet the last one (its statement and
    // its history row) goes out: the client may still be writing when the server starts file 1.
    wait_until([&] { return proxy.bytes_to_server() > 2 * padding.size(); },
               "the last file of the batch to reach the server while the first one waits");
    holder.reset();
    auto r = validate.wait();
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("All 6 pending migrations passed the dry run") != std::string::npos);
    CHECK(schema_dump(url) == schema);
}

TEST_CASE("dry run pipeline: wherever the failing file falls in its batch, the verdicts are the file-by-file "
          "ones") {
    for (int failing : {1, 2, 4, 6}) {
        for (bool deferred : {false, true}) {
            std::vector<std::string> sql;
            for (int i = 1; i <= kFiles; ++i) sql.push_back(table(i));
            // A statement on line 2, or a deferred constraint, checked where the commit would be.
            const std::string n = std::to_string(failing);
            sql[failing - 1] += deferred
                                    ? "create table fk_" + n + " (id int references t" + n +
                                          " deferrable initially deferred);\ninsert into fk_" + n + " values (7);\n"
                                    : "select * from missing_table;\n";
            auto files = load(sql);
            std::vector<const migrations::Migration*> pending;
            for (const auto& m : files) pending.push_back(&m);
            const std::string url = fresh_database("dry_pipe_where");
            const auto schema = schema_dump(url);
            auto session = db::connect_postgres({.url = url});
            REQUIRE(session);
            for (std::size_t batch : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{200}}) {
                for (auto keep_going : {migrations::KeepGoing::no, migrations::KeepGoing::yes}) {
                    CAPTURE(failing);
                    CAPTURE(deferred);
                    CAPTURE(batch);
                    CAPTURE(keep_going == migrations::KeepGoing::yes);
                    migrations::Settings settings;
                    settings.batch_files = batch;
                    auto r = migrations::dry_run(**session, pending, settings, nullptr, keep_going);
                    REQUIRE(r);
                    std::vector<std::string> expected(kFiles, "ok");
                    expected[failing - 1] = "failed";
                    if (keep_going == migrations::KeepGoing::no)
                        for (int i = failing; i < kFiles; ++i) expected[i] = "not run";
                    CHECK(verdicts(*r) == expected);
                    const auto& e = r->files[failing - 1].error;
                    REQUIRE(e);
                    CHECK(e->file == "supabase/migrations/" + filename(failing));
                    if (deferred) {
                        CHECK(e->message.starts_with("committing \"" + filename(failing) + "\" failed: "));
                        CHECK(e->sqlstate == "23503");
                    } else {
                        CHECK(e->line == 2);
                        CHECK(e->sqlstate == "42P01");
                    }
                    // The session is ready, and nothing stayed.
                    CHECK((*session)->exec("SELECT 1"));
                    CHECK(schema_dump(url) == schema);
                }
            }
        }
    }
}
