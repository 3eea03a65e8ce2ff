// The history table over a libpq session: checked and, only when incomplete, created in one
// round trip; a complete table is left alone, without taking its ACCESS EXCLUSIVE lock.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "db/pg_session.hpp"
#include "support/pg.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

// A session that counts what it sends to the server: one count per round trip.
class Counting final : public db::Session {
public:
    explicit Counting(db::Session& inner) : inner_(inner) {}
    int round_trips = 0;
    [[nodiscard]] std::string describe() const override { return inner_.describe(); }
    Result<db::QueryResult> exec(std::string_view sql) override {
        ++round_trips;
        return inner_.exec(sql);
    }
    Result<db::QueryResult> exec_params(std::string_view sql, std::span<const db::Value> params) override {
        ++round_trips;
        return inner_.exec_params(sql, params);
    }
    std::expected<std::size_t, db::BatchFailure> exec_batch(std::span<const db::BatchItem> items,
                                                            db::BatchMode mode) override {
        ++round_trips;
        return inner_.exec_batch(items, mode);
    }
    std::expected<Result<db::QueryResult>, db::BatchFailure> exec_batch_answer(std::span<const db::BatchItem> items,
                                                                               db::BatchMode mode) override {
        ++round_trips;
        return inner_.exec_batch_answer(items, mode);
    }
    std::vector<std::string> take_notices() override { return inner_.take_notices(); }
    [[nodiscard]] int backend_pid() const override { return inner_.backend_pid(); }

private:
    db::Session& inner_;
};

std::vector<std::string> columns(const std::string& url) {
    return query_column(url, "SELECT column_name::text FROM information_schema.columns WHERE table_schema = "
                             "'supabase_migrations' AND table_name = 'schema_migrations' ORDER BY ordinal_position");
}

} // namespace

TEST_CASE("history table: checked and created in one round trip, and a complete one is not locked") {
    const std::string url = fresh_database("history_table");
    auto session = db::connect_postgres({.url = url});
    REQUIRE(session);
    Counting counting(**session);

    SUBCASE("a fresh database: created, as the CLI creates it") {
        REQUIRE(db::ensure_history_table(counting));
        CHECK(counting.round_trips == 1);
        CHECK(columns(url) == std::vector<std::string>{"version", "statements", "name"});
    }
    SUBCASE("a table an old CLI made, without the added columns: completed") {
        query_column(url, "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
                          "(version text NOT NULL PRIMARY KEY); SELECT 1");
        REQUIRE(db::ensure_history_table(counting));
        CHECK(counting.round_trips == 1);
        CHECK(columns(url) == std::vector<std::string>{"version", "statements", "name"});
    }
    // The DDL would wait for the reader's lock and fail after the CLI's 4s lock_timeout.
    SUBCASE("complete, and another session reading it: no DDL, so no wait for its lock") {
        REQUIRE(db::ensure_history_table(**session));
        PGconn* reader = PQconnectdb(url.c_str());
        REQUIRE(PQstatus(reader) == CONNECTION_OK);
        PQclear(PQexec(reader, "BEGIN; LOCK TABLE supabase_migrations.schema_migrations IN ACCESS SHARE MODE"));
        auto r = db::ensure_history_table(counting);
        CHECK(r);
        CHECK(counting.round_trips == 1);
        PQfinish(reader);
    }
}
