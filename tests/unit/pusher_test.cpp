// Pusher's batches, against a session that records what it is sent: files that run in one
// transaction share a batch up to the count and byte bounds; a file that runs outside a
// transaction or in parts ends a batch and runs alone (the real server's side is
// tests/integration/pipeline_test.cpp).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/history.hpp"
#include "migrations/apply.hpp"

using namespace sbdeploy;
using namespace sbdeploy::migrations;

namespace {

class RecordingSession final : public db::Session {
public:
    std::vector<std::string> sent;  // "batch of 2", "alone" (a file sent on its own)

    [[nodiscard]] std::string describe() const override { return "recording"; }
    Result<db::QueryResult> exec(std::string_view) override { return db::QueryResult{}; }
    std::optional<std::size_t> fail_at;  // the first transaction of a pipeline fails at this item

    Result<db::QueryResult> exec_params(std::string_view sql, std::span<const db::Value>) override {
        // pipeline_then's, after the transactions
        if (sql == db::release_push_lock_item().sql) sent.push_back("unlock");
        if (sql == db::release_push_lock_if_won_item().sql) sent.push_back("unlock if won");
        if (sql == db::forget_won_item().sql) sent.push_back("forget the bet");
        return db::QueryResult{};
    }
    std::expected<std::size_t, db::BatchFailure> exec_batch(std::span<const db::BatchItem> items,
                                                            db::BatchMode) override {
        // A file's own statements and its history row, sent on their own.
        for (const auto& item : items)
            if (item.sql.starts_with("INSERT INTO supabase_migrations.schema_migrations")) sent.push_back("alone");
        return items.size();
    }
    std::expected<Result<db::QueryResult>, db::BatchFailure> exec_batch_answer(std::span<const db::BatchItem> items,
                                                                               db::BatchMode mode) override {
        (void)exec_batch(items, mode);
        sent.push_back("history read");  // pipeline_after's, before the transactions
        db::QueryResult empty_history;  // as the history query answers on an empty table
        empty_history.columns = {"version", "name", "statements"};
        empty_history.rows = {{std::nullopt, db::Value("sbdeploy:rows=0"), std::nullopt}};
        return Result<db::QueryResult>(std::move(empty_history));
    }
    std::vector<std::string> take_notices() override { return {}; }
    [[nodiscard]] int backend_pid() const override { return 0; }
    std::unique_ptr<db::TransactionPipeline> pipeline(std::span<const std::vector<db::BatchItem>> txs) override {
        sent.push_back("batch of " + std::to_string(txs.size()));
        return std::make_unique<AllCommit>(std::exchange(fail_at, std::nullopt));
    }

private:
    struct AllCommit final : db::TransactionPipeline {
        explicit AllCommit(std::optional<std::size_t> fail_first_at) : fail_at(fail_first_at) {}
        std::optional<std::size_t> fail_at;
        std::expected<db::Committed, db::BatchFailure> next() override {
            if (auto at = std::exchange(fail_at, std::nullopt))
                return std::unexpected(db::BatchFailure{*at, make_error(ErrorKind::operation, "refused")});
            return db::Committed{};
        }
    };
};

Migration migration(int i, const std::string& sql) {
    MigrationFile f;
    f.version = "2024050100000" + std::to_string(i);
    f.name = "m" + std::to_string(i);
    f.filename = f.version + "_" + f.name + ".sql";
    f.display = "supabase/migrations/" + f.filename;
    auto m = parse_migration(f, sql, Splits::parts);
    REQUIRE(m);
    return std::move(*m);
}

enum class Unlock { no, with_last };

// What the session was sent, joined: "batch of 2, alone, ...".
std::string push(const std::vector<Migration>& files, const Settings& settings, Unlock unlock = Unlock::no) {
    RecordingSession session;
    std::vector<const Migration*> pending;
    for (const auto& m : files) pending.push_back(&m);
    Pusher pusher(session, pending, settings);
    if (unlock == Unlock::with_last) pusher.send_after_last({db::release_push_lock_item()});
    for (std::size_t i = 0; i < files.size(); ++i) REQUIRE(pusher.next());
    CHECK_FALSE(pusher.in_flight());
    if (unlock == Unlock::with_last && !pusher.sent_after()) session.sent.push_back("not sent");
    std::string joined;
    for (const auto& s : session.sent) joined += (joined.empty() ? "" : ", ") + s;
    return joined;
}

} // namespace

TEST_CASE("pusher: batches bounded by count, ended by files that cannot share a transaction") {
    const std::vector<Migration> files{
        migration(1, "create table a (id int);\n"),
        migration(2, "create table b (id int);\n"),
        migration(3, "create table c (id int);\n"),
        migration(4, "create index concurrently c_idx on c (id);\n"),  // outside a transaction
        migration(5, "begin;\ncreate table d (id int);\ncommit;\n"),  // its own BEGIN/COMMIT: one of ours
        migration(6, "create table e (id int);\ncommit;\ncreate table f (id int);\n"),  // in parts
        migration(7, "create table g (id int);\n"),
    };
    Settings settings;
    SUBCASE("the default bound") { CHECK(push(files, settings) == "batch of 3, alone, batch of 1, alone, batch of 1"); }
    SUBCASE("two files a batch") {
        settings.batch_files = 2;
        CHECK(push(files, settings) == "batch of 2, batch of 1, alone, batch of 1, alone, batch of 1");
    }
}

TEST_CASE("pusher: batches bounded by bytes, and a file larger than the bound goes alone") {
    const std::string big = "create table big (id int);\n-- " + std::string(5000, 'x') + "\n";
    const std::vector<Migration> files{
        migration(1, "create table a (id int);\n"),
        migration(2, "create table b (id int);\n"),
        migration(3, big),
        migration(4, "create table c (id int);\n"),
    };
    Settings settings;
    settings.batch_bytes = 4096;
    CHECK(push(files, settings) == "batch of 2, batch of 1, batch of 1");
}

TEST_CASE("pusher: what goes after the last file goes with the batch that holds it, else not at all") {
    const std::vector<Migration> files{
        migration(1, "create table a (id int);\n"),
        migration(2, "create table b (id int);\n"),
        migration(3, "create table c (id int);\n"),
    };
    Settings settings;
    SUBCASE("one batch") { CHECK(push(files, settings, Unlock::with_last) == "batch of 3, unlock"); }
    SUBCASE("two batches: with the second") {
        settings.batch_files = 2;
        CHECK(push(files, settings, Unlock::with_last) == "batch of 2, batch of 1, unlock");
    }
    SUBCASE("the last file runs alone: the caller sends it") {
        const std::vector<Migration> alone_last{files[0], migration(4, "create index concurrently c_idx on c (id);\n")};
        CHECK(push(alone_last, settings, Unlock::with_last) == "batch of 1, alone, not sent");
    }
}

TEST_CASE("pusher: a bet's batch goes with the history read, the release behind it only when it holds every file") {
    const std::vector<Migration> files{
        migration(1, "create table a (id int);\n"),
        migration(2, "create table b (id int);\n"),
        migration(3, "create table c (id int);\n"),
    };
    Settings settings;
    RecordingSession session;
    std::vector<const Migration*> pending;
    for (const auto& m : files) pending.push_back(&m);
    auto joined = [&] {
        std::string r;
        for (const auto& s : session.sent) r += (r.empty() ? "" : ", ") + s;
        return r;
    };
    // A won bet pushed whole: what the session was sent.
    auto won = [&](std::size_t batch_files) {
        settings.batch_files = batch_files;
        Pusher pusher(session, pending, settings);
        pusher.send_after_last({db::release_push_lock_item()});
        REQUIRE(pusher.speculate("digest", 1u << 20, 1000));
        CHECK(pusher.taken());
        for (std::size_t i = 0; i < files.size(); ++i) REQUIRE(pusher.next());
        CHECK(pusher.sent_after());
        return joined();
    };
    SUBCASE("won, one batch: the release goes behind it") {
        CHECK(won(200) == "history read, batch of 3, unlock if won");
    }
    SUBCASE("won, two batches: the release goes with the second") {
        CHECK(won(2) == "history read, batch of 2, forget the bet, batch of 1, unlock");
    }
    SUBCASE("lost (the guard failed): nothing of it counts, no release was sent for it") {
        session.fail_at = 1;  // the second of history_is_items
        Pusher pusher(session, pending, settings);
        pusher.send_after_last({db::release_push_lock_item()});
        REQUIRE(pusher.speculate("digest", 1u << 20, 1000));
        CHECK_FALSE(pusher.taken());
        CHECK_FALSE(pusher.sent_after());
    }
    SUBCASE("a file failing after the guard: the bet was won") {
        session.fail_at = db::kHistoryIsItems;
        Pusher pusher(session, pending, settings);
        REQUIRE(pusher.speculate("digest", 1u << 20, 1000));
        CHECK(pusher.taken());
        CHECK_FALSE(pusher.next());
    }
}
