// The migration history table, exactly as the Supabase CLI keeps it
// (supabase_migrations.schema_migrations), and the advisory lock of a push.
// Every SQL statement about bookkeeping lives in history.cpp.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

struct HistoryRow {
    std::string version;
    std::string name;
    std::optional<std::vector<std::string>> statements;  // NULL for rows written by old CLIs
};

// All rows, in the CLI's order (version as text). An absent table means nothing applied.
// The answer is checked by shape before use (parse_history), whatever the transport.
Result<std::vector<HistoryRow>> read_history(Session& session);

// read_history under the push lock, waiting up to `wait_ms`: over a Scope::call session one
// request that takes the lock as history_guard_items do, so a transaction that holds it (a
// file still being applied) ends before the read; over a session, read_history.
Result<std::vector<HistoryRow>> read_history_locked(Session& session, long wait_ms);

// The rows of read_history's query, checked: exactly the columns version, name, statements;
// every row with a version, a name, and statements NULL or a JSON array of text; versions
// unique; and the row that ends every answer of that query (version NULL, name
// "sbdeploy:rows=N") counting the others, so that an answer of no rows at all, or a cut one,
// cannot pass for an empty history. Pure: the fuzz targets feed it both transports' shapes.
Result<std::vector<HistoryRow>> parse_history(const QueryResult& answer);

// True when the table exists with the CLI's three columns.
bool history_table_complete(Session& session);
// CREATE SCHEMA/TABLE IF NOT EXISTS and the added columns, as the CLI does. Over a
// Scope::call session, in one transaction under the push lock (waiting up to lock_wait_ms):
// IF NOT EXISTS alone does not keep two concurrent creations from colliding.
Result<void> ensure_history_table(Session& session, long lock_wait_ms = 60'000);
// The same statements as batch items, to run inside a transaction (validate's dry run).
std::span<const std::string_view> history_table_statements();

// The INSERT of one version as a batch item; `statements` is encoded as a text[] literal.
BatchItem insert_history_item(const std::string& version, const std::string& name,
                              const std::string& statements_literal);
std::string_view delete_history_sql();  // $1 = version
// The same INSERT, answering the row it wrote (RETURNING version, name): the proof a
// Scope::call transport checks with check_recorded_row. It must be the last statement of its
// request that returns rows (the Management API answers that statement's rows).
BatchItem insert_history_returning_item(const std::string& version, const std::string& name,
                                        const std::string& statements_literal);
// Whether `answer` is exactly the row insert_history_returning_item wrote for `version` and
// `name`: one row, the columns (version, name), those values. The error says what it is instead.
Result<void> check_recorded_row(const QueryResult& answer, std::string_view version, std::string_view name);

// For a script of several files' transactions (db::exec_script): a last statement answering
// the rows (version, name) of `versions` that the history holds, and the check that they are
// exactly the `written` (version, name) pairs, in any order.
BatchItem recorded_rows_item(std::span<const std::string> versions);
Result<void> check_recorded_rows(const QueryResult& answer,
                                 std::span<const std::pair<std::string, std::string>> written);

// Postgres array literal for text[]: {"a","b"} with " and \ escaped.
std::string text_array_literal(std::span<const std::string> values);

// Session advisory lock held for a whole push/repair/rollback. Waits up to `wait_ms`;
// then fails naming who holds it (pid, application, since when). Nothing to do for a
// Scope::call session, whose batches take the lock themselves (history_guard_items).
Result<void> acquire_push_lock(Session& session, long wait_ms);
Result<void> release_push_lock(Session& session);
// A push's start over a session: acquire_push_lock, ensure_history_table and read_history in
// one round trip (libpq: one pipeline), the read after the lock so a push that waited sees what
// the other applied. Over a Scope::call session read_history alone (the table is left to
// ensure_history_table, the lock to each batch).
Result<std::vector<HistoryRow>> lock_and_read_history(Session& session, long wait_ms);
// lock_and_read_history over a session, and `transactions` sent with it speculatively (libpq:
// in the same round trip), as Session::pipeline_after sends them: they run whether or not the
// lock came, so each must begin with history_is_items. `pipeline` reads their answers;
// speculated_history makes the history of `answer` once they are read (a busy lock's message
// asks the session who holds it).
struct Speculated {
    std::expected<Result<QueryResult>, BatchFailure> answer;
    std::unique_ptr<TransactionPipeline> pipeline;
};
Speculated lock_and_read_history_then(Session& session, long wait_ms,
                                      std::span<const std::vector<BatchItem>> transactions,
                                      std::span<const BatchItem> after);
Result<std::vector<HistoryRow>> speculated_history(Session& session, long wait_ms,
                                                   std::expected<Result<QueryResult>, BatchFailure> answer);
// Behind a speculative batch: the push lock's release only if its guard passed (the bet was
// won, whether or not a file then failed), or just the forgetting of that.
BatchItem release_push_lock_if_won_item();
BatchItem forget_won_item();
// The items that make a transaction fail with kNotAsExpected unless this session holds the push
// lock and the history is exactly the rows of `digest` (history_digest).
std::vector<BatchItem> history_is_items(std::string digest);
inline constexpr std::size_t kHistoryIsItems = 2;
// The digest of a history of these (version, statements) rows, in any order.
std::string history_digest(std::vector<std::pair<std::string, std::span<const std::string>>> rows);

// What releases the push lock, as an item for Session::pipeline_then.
BatchItem release_push_lock_item();

// sbdeploy's own SQLSTATEs, raised by the history guard.
inline constexpr std::string_view kAlreadyRecorded = "SB001";  // the version is in the history (detail: which)
inline constexpr std::string_view kNewerRecorded = "SB002";    // a newer version is (detail: which)
inline constexpr std::string_view kNotAsExpected = "SB004";  // history_is_items: not the lock or history expected
inline constexpr std::string_view kLockBusy = "SB003"; // the push lock did not come in time (detail: the version)

enum class CheckNewer { no, yes };
// For a Scope::call session, where no lock outlives a call: the items that start a batch
// writing the history. They take the push lock as a transaction-level advisory lock (the
// same key as the session lock, so both transports exclude each other), waiting up to
// `wait_ms`, then, when `version` is not empty, re-check the history under the lock:
// kAlreadyRecorded when the version is recorded, kNewerRecorded when a newer one is
// (CheckNewer::yes). The version travels as a parameter, never spliced into SQL.
std::vector<BatchItem> history_guard_items(long wait_ms, const std::string& version, CheckNewer check_newer);

} // namespace sbdeploy::db
