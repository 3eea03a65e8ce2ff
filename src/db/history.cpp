#include "db/history.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>

#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

constexpr std::string_view kCreateStatements[] = {
    "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
    "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]",
    "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
};

// The check and the creation in one round trip (one implicit transaction): the DDL, and its
// ACCESS EXCLUSIVE locks, only when the table lacks one of the CLI's columns. The CLI's 4s
// lock_timeout, local to that transaction, so nothing of it outlives the statement.
constexpr std::string_view kEnsureTable = R"sql(DO $sbdeploy_history$
BEGIN
  IF (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'supabase_migrations'
      AND table_name = 'schema_migrations' AND column_name IN ('version', 'statements', 'name')) = 3 THEN
    RETURN;
  END IF;
  PERFORM set_config('lock_timeout', '4s', true);
  CREATE SCHEMA IF NOT EXISTS supabase_migrations;
  CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
  ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
  ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
END
$sbdeploy_history$)sql";

// Columns are always named: hosted projects add nullable columns of their own.
constexpr std::string_view kInsert =
    "INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES($1, $2, $3::text[])";
constexpr std::string_view kDelete = "DELETE FROM supabase_migrations.schema_migrations WHERE version = $1";
constexpr std::string_view kInsertReturning =
    "INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES($1, $2, $3::text[]) "
    "RETURNING version, name";
// Which of a script's versions the history holds: the proof its last statement answers.
constexpr std::string_view kRecordedOf =
    "SELECT version, name FROM supabase_migrations.schema_migrations WHERE version = ANY($1::text[])";
// Statements as JSON: one text value that RapidJSON reads, whatever the array holds. The last
// row counts the others (version NULL: the primary key never is): an answer without it did not
// come from this query, and one with fewer rows than it counts was cut.
constexpr std::string_view kSelect =
    "SELECT version, coalesce(name, '') AS name, to_json(statements)::text AS statements "
    "FROM supabase_migrations.schema_migrations UNION ALL "
    "SELECT NULL, 'sbdeploy:rows=' || count(*), NULL FROM supabase_migrations.schema_migrations";
constexpr std::string_view kEndPrefix = "sbdeploy:rows=";
constexpr std::string_view kHistoryHint =
    "the server answered something other than the rows of sbdeploy's history query: check --api-url (it must be the "
    "Management API) and the table supabase_migrations.schema_migrations (version text, name text, statements text[])";

std::string columns_text(const std::vector<std::string>& columns) {
    std::string r = "(";
    for (std::size_t i = 0; i < columns.size(); ++i) r += (i ? ", " : "") + columns[i];
    return r + ")";
}

std::unexpected<Error> bad_history(std::string what) {
    return fail(ErrorKind::operation, "cannot read the migration history: " + std::move(what),
                std::string(kHistoryHint));
}

// A cell's text for a message: quoted, NULL, and never more than 40 bytes.
std::string shown(const Value& v) {
    if (!v) return "NULL";
    return util::quoted(v->size() > 40 ? v->substr(0, 40) + "..." : *v);
}

// One key for every sbdeploy process on a database, whatever its version.
constexpr std::string_view kLockKey = "hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0)";
// history_is_items takes this session lock once the guard passed (a bet won): unlike a session
// setting it stays when the transaction then fails.
constexpr std::string_view kWonKey = "hashtextextended('sbdeploy:bet won', 0)";
// The rows of pg_locks that say this session holds the session advisory lock of bigint `key`.
std::string held_by_me(std::string_view key) {
    const std::string k(key);
    return "SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1 "
           "AND objid = (" +
           k + " & 4294967295)::oid AND classid = ((" + k + " >> 32) & 4294967295)::oid";
}

// The guard of a call-scoped batch: its inputs as transaction-local settings (parameters,
// so no value is ever spliced into SQL), then one DO block. A new snapshot per statement
// (READ COMMITTED) means the re-check sees whatever the lock's previous holder committed.
constexpr std::string_view kGuardSettings =
    "SELECT set_config('lock_timeout', $1, true), set_config('sbdeploy.version', $2, true), "
    "set_config('sbdeploy.check_newer', $3, true)";
constexpr std::string_view kGuard = R"sql(DO $sbdeploy_guard$
DECLARE
  v text := current_setting('sbdeploy.version');
  newest text;
BEGIN
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('sbdeploy:supabase_migrations.schema_migrations', 0));
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION USING ERRCODE = 'SB003', DETAIL = v,
      MESSAGE = format('another migration run holds the push lock: it did not finish within %s',
                       current_setting('lock_timeout')),
      HINT = 'wait for it to finish and run again, or raise --lock-wait; GitHub concurrency groups keep one push '
             'per database at a time';
  END;
  IF v = '' OR to_regclass('supabase_migrations.schema_migrations') IS NULL THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM supabase_migrations.schema_migrations WHERE version = v) THEN
    RAISE EXCEPTION USING ERRCODE = 'SB001', MESSAGE = format('version %s is already recorded', v), DETAIL = v;
  END IF;
  IF current_setting('sbdeploy.check_newer') = 'on' THEN
    SELECT max(version COLLATE "C") INTO newest FROM supabase_migrations.schema_migrations
      WHERE version COLLATE "C" > v COLLATE "C";
    IF newest IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'SB002', MESSAGE = format('version %s is recorded, newer than %s', newest, v),
        DETAIL = newest;
    END IF;
  END IF;
END
$sbdeploy_guard$)sql";

// history_is_items: the push lock is this session's, and the history is exactly the rows
// whose digest sbdeploy.history_is holds (history_digest), else SQLSTATE SB004; then the
// session takes the "bet won" lock (kWonKey).
const std::string kHistoryIs = "DO $sbdeploy_history_is$\nBEGIN\n  IF NOT EXISTS (" + held_by_me(kLockKey) +
                               R"sql() THEN
    RAISE EXCEPTION USING ERRCODE = 'SB004', MESSAGE = 'the push lock is not held';
  END IF;
  IF (SELECT encode(sha256(convert_to(coalesce(string_agg(h.version || ':' || coalesce(
        (SELECT string_agg(coalesce(octet_length(s)::text || ':' || s, 'N'), '' ORDER BY o)
           FROM unnest(h.statements) WITH ORDINALITY AS u(s, o)), '-'), ',' ORDER BY h.version COLLATE "C"), ''),
        'UTF8')), 'hex') FROM supabase_migrations.schema_migrations h) <> current_setting('sbdeploy.history_is') THEN
    RAISE EXCEPTION USING ERRCODE = 'SB004', MESSAGE = 'the history is not the one expected';
  END IF;
  PERFORM pg_try_advisory_lock()sql" +
                               std::string(kWonKey) + ");\nEND\n$sbdeploy_history_is$";

} // namespace

std::span<const std::string_view> history_table_statements() { return kCreateStatements; }

Result<std::vector<HistoryRow>> read_history(Session& session) {
    auto res = session.exec(kSelect);
    if (!res) {
        if (res.error().sqlstate == "42P01" || res.error().sqlstate == "3F000") return std::vector<HistoryRow>{};
        Error e = res.error();
        // A refused token or an unreachable API is not about the history: its own message
        // says what is wrong and how to fix it (over libpq the connect step reports those).
        if (e.kind != ErrorKind::connection) e.message = "cannot read the migration history: " + e.message;
        return fail(std::move(e));
    }
    return parse_history(*res);
}

Result<std::vector<HistoryRow>> read_history_locked(Session& session, long wait_ms) {
    if (session.scope() != Scope::call) return read_history(session);
    auto items = history_guard_items(wait_ms, "", CheckNewer::no);
    items.push_back({kSelect, {}});
    auto res = session.exec_batch_answer(items, BatchMode::atomic);
    if (!res) {
        if (res.error().error.sqlstate == "42P01" || res.error().error.sqlstate == "3F000")
            return std::vector<HistoryRow>{};
        Error e = res.error().error;
        if (e.kind != ErrorKind::connection) e.message = "cannot read the migration history: " + e.message;
        return fail(std::move(e));
    }
    if (!*res) return fail(std::move(res->error()));
    return parse_history(**res);
}

Result<std::vector<HistoryRow>> parse_history(const QueryResult& answer) {
    static const std::vector<std::string> kColumns{"version", "name", "statements"};
    constexpr std::string_view kNoEnd =
        "the answer lacks the row that ends the history, so it does not show the query ran";
    if (answer.rows.empty()) return bad_history(std::string(kNoEnd));  // no columns either: none to name
    if (answer.columns != kColumns)
        return bad_history("the answer's columns are " + columns_text(answer.columns) + ", not " +
                           columns_text(kColumns));
    std::vector<HistoryRow> rows;
    rows.reserve(answer.rows.size());
    std::optional<std::size_t> counted;
    for (std::size_t i = 0; i < answer.rows.size(); ++i) {
        const Row& r = answer.rows[i];
        const std::string at = "row " + std::to_string(i + 1);
        if (r.size() != kColumns.size())
            return bad_history(at + " has " + std::to_string(r.size()) + " values, not " +
                               std::to_string(kColumns.size()));
        if (!r[0] && r[1] && r[1]->starts_with(kEndPrefix) && !r[2]) {
            std::string_view n = std::string_view(*r[1]).substr(kEndPrefix.size());
            if (counted || n.empty() || n.size() > 18 || n.find_first_not_of("0123456789") != std::string_view::npos)
                return bad_history(at + " is not the one row that ends the history: " + shown(r[1]));
            counted = static_cast<std::size_t>(std::stoull(std::string(n)));
            continue;
        }
        if (!r[0] || r[0]->empty()) return bad_history(at + " has no version");
        if (!r[1]) return bad_history("the row of version " + shown(r[0]) + " has no name");
        HistoryRow h;
        h.version = *r[0];
        h.name = *r[1];
        if (r[2]) {
            rapidjson::Document doc;
            doc.Parse(r[2]->data(), r[2]->size());
            bool ok = !doc.HasParseError() && doc.IsArray();
            std::vector<std::string> stmts;
            if (ok) {
                stmts.reserve(doc.Size());
                for (auto& v : doc.GetArray()) {
                    if (v.IsNull()) {  // a NULL element of the text[]
                        stmts.emplace_back();
                    } else if (v.IsString()) {
                        stmts.emplace_back(v.GetString(), v.GetStringLength());
                    } else {
                        ok = false;
                        break;
                    }
                }
            }
            if (!ok) return bad_history("the statements of version " + shown(r[0]) + " are not a JSON array of text");
            h.statements = std::move(stmts);
        }
        rows.push_back(std::move(h));
    }
    if (!counted) return bad_history(std::string(kNoEnd));
    if (*counted != rows.size())
        return bad_history("the answer holds " + util::plural(rows.size(), "row") + ", but the history counts " +
                           std::to_string(*counted));
    // The CLI compares versions as text.
    std::sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < rows.size(); ++i)
        if (rows[i].version == rows[i - 1].version)
            return bad_history("version " + util::quoted(rows[i].version) + " appears twice");
    return rows;
}

bool history_table_complete(Session& session) {
    auto check =
        session.exec("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'supabase_migrations' AND "
                     "table_name = 'schema_migrations' AND column_name IN ('version', 'statements', 'name')");
    return check && check->rows.size() == 1 && check->rows[0].size() == 1 &&
           check->rows[0][0] == std::optional<std::string>("3");
}

Result<void> ensure_history_table(Session& session, long lock_wait_ms) {
    if (session.scope() == Scope::session) {
        auto res = session.exec(kEnsureTable);
        if (res) return {};
        Error e = res.error();
        e.message = "cannot create the migration history table: " + e.message;
        return fail(std::move(e));
    }
    // Skip the DDL (and its ACCESS EXCLUSIVE locks) when the table is already complete.
    if (history_table_complete(session)) return {};
    auto items = history_guard_items(lock_wait_ms, "", CheckNewer::no);
    items.push_back({"SET LOCAL lock_timeout = '4s'", {}});
    for (auto s : kCreateStatements) items.push_back({s, {}});
    auto res = session.exec_batch(items, BatchMode::atomic);
    if (!res) {
        Error e = res.error().error;
        e.message = "cannot create the migration history table: " + e.message;
        return fail(std::move(e));
    }
    return {};
}

BatchItem insert_history_item(const std::string& version, const std::string& name,
                              const std::string& statements_literal) {
    return BatchItem{kInsert, {version, name, statements_literal}};
}

std::string_view delete_history_sql() { return kDelete; }

BatchItem insert_history_returning_item(const std::string& version, const std::string& name,
                                        const std::string& statements_literal) {
    return BatchItem{kInsertReturning, {version, name, statements_literal}};
}

Result<void> check_recorded_row(const QueryResult& answer, std::string_view version, std::string_view name) {
    static const std::vector<std::string> kColumns{"version", "name"};
    if (answer.rows.size() != 1)
        return fail(ErrorKind::operation,
                    "it holds " + util::plural(answer.rows.size(), "row") + ", not the one written");
    if (answer.columns != kColumns)
        return fail(ErrorKind::operation,
                    "its columns are " + columns_text(answer.columns) + ", not " + columns_text(kColumns));
    const Row& r = answer.rows[0];
    if (r.size() != 2 || r[0] != Value(std::string(version)) || r[1] != Value(std::string(name)))
        return fail(ErrorKind::operation, "its row is version " + (r.size() > 0 ? shown(r[0]) : "NULL") + ", name " +
                                              (r.size() > 1 ? shown(r[1]) : "NULL") + ", not version " +
                                              util::quoted(version) + ", name " + util::quoted(name));
    return {};
}

BatchItem recorded_rows_item(std::span<const std::string> versions) {
    return BatchItem{kRecordedOf, {text_array_literal(versions)}};
}

Result<void> check_recorded_rows(const QueryResult& answer,
                                 std::span<const std::pair<std::string, std::string>> written) {
    static const std::vector<std::string> kColumns{"version", "name"};
    if (answer.columns != kColumns)
        return fail(ErrorKind::operation,
                    "its columns are " + columns_text(answer.columns) + ", not " + columns_text(kColumns));
    if (answer.rows.size() != written.size())
        return fail(ErrorKind::operation, "it holds " + util::plural(answer.rows.size(), "row") + ", not the " +
                                              std::to_string(written.size()) + " written");
    std::vector<std::pair<Value, Value>> got, want;
    for (const Row& r : answer.rows) got.emplace_back(r.size() > 0 ? r[0] : Value(), r.size() > 1 ? r[1] : Value());
    for (const auto& [version, name] : written) want.emplace_back(Value(version), Value(name));
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    if (got != want) return fail(ErrorKind::operation, "its rows are not the versions and names written");
    return {};
}

std::string text_array_literal(std::span<const std::string> values) {
    std::size_t size = 2;
    for (const auto& v : values) size += v.size() + 3;
    std::string r;
    r.reserve(size);
    r.push_back('{');
    bool first = true;
    for (const auto& v : values) {
        if (!first) r.push_back(',');
        first = false;
        r.push_back('"');
        for (char c : v) {
            if (c == '"' || c == '\\') r.push_back('\\');
            r.push_back(c);
        }
        r.push_back('"');
    }
    r.push_back('}');
    return r;
}

std::vector<BatchItem> history_guard_items(long wait_ms, const std::string& version, CheckNewer check_newer) {
    return {
        BatchItem{kGuardSettings,
                  {std::to_string(std::max(1L, wait_ms)) + "ms", version,
                   std::string(check_newer == CheckNewer::yes ? "on" : "off")}},
        BatchItem{kGuard, {}},
        BatchItem{"RESET lock_timeout", {}},
    };
}

namespace {

std::string lock_timeout_sql(long wait_ms) {
    return "SET lock_timeout = '" + std::to_string(std::max(1L, wait_ms)) + "ms'";
}
const std::string kLockSql = "SELECT pg_advisory_lock(" + std::string(kLockKey) + ")";
const std::string kUnlockSql = "SELECT pg_advisory_unlock(" + std::string(kLockKey) + ")";
// Both locks released, the bet's first, only when the bet was won.
const std::string kUnlockIfWonSql = "SELECT pg_advisory_unlock(k) FROM (VALUES (" + std::string(kWonKey) + "), (" +
                                    std::string(kLockKey) + ")) AS l(k) WHERE EXISTS (" + held_by_me(kWonKey) + ")";
const std::string kForgetWonSql = "SELECT pg_advisory_unlock(" + std::string(kWonKey) + ") WHERE EXISTS (" +
                                  held_by_me(kWonKey) + ")";

// The push lock did not come within `wait_ms`: who holds it?
Error lock_busy(Session& session, long wait_ms) {
    auto holder =
        session.exec("SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'), "
                     "coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '') "
                     "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                     "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (" +
                     std::string(kLockKey) + " & 4294967295)::oid LIMIT 1");
    std::string who = "another session";
    if (holder && !holder->rows.empty() && holder->rows[0].size() == 4) {
        auto& r = holder->rows[0];
        who = "process " + r[0].value_or("?") + " (application " + util::quoted(r[1].value_or("")) + ", from " +
              r[2].value_or("?") + ", connected since " + r[3].value_or("?") + " UTC)";
    }
    return make_error(ErrorKind::operation,
                      "another migration run holds the lock on " + session.describe() + ": " + who +
                          " did not finish within " + std::to_string(wait_ms / 1000) + "s",
                      "wait for it to finish and run again, or raise --lock-wait; GitHub concurrency groups keep one "
                      "push per database at a time");
}

} // namespace

Result<void> acquire_push_lock(Session& session, long wait_ms) {
    if (session.scope() == Scope::call) return {};
    // One round trip: the three run as one implicit transaction, so a lock timeout also takes
    // back the SET; the session lock itself outlives the transaction.
    auto res = session.exec(lock_timeout_sql(wait_ms) + "; " + kLockSql + "; RESET lock_timeout");
    if (res) return {};
    if (res.error().sqlstate != "55P03") return fail(res.error());
    return fail(lock_busy(session, wait_ms));
}

namespace {

// One pipeline, one Sync: one implicit transaction, as acquire_push_lock's three. Each statement
// takes a new snapshot (READ COMMITTED), so the read sees what the lock's previous holder
// committed; the session lock outlives the transaction, also when a later one fails.
struct LockAndRead {
    explicit LockAndRead(long wait_ms) : set_timeout(lock_timeout_sql(wait_ms)) {}
    LockAndRead(const LockAndRead&) = delete;  // items point into set_timeout
    LockAndRead& operator=(const LockAndRead&) = delete;
    std::string set_timeout;
    std::array<BatchItem, 5> items{BatchItem{set_timeout, {}}, BatchItem{kLockSql, {}},
                                   BatchItem{"RESET lock_timeout", {}}, BatchItem{kEnsureTable, {}},
                                   BatchItem{kSelect, {}}};
    static constexpr std::size_t kEnsure = 3, kRead = 4;

    Result<std::vector<HistoryRow>> rows(Session& session, long wait_ms,
                                         std::expected<Result<QueryResult>, BatchFailure> res) const {
        if (res && *res) return parse_history(**res);
        Error e = res ? res->error() : res.error().error;
        const std::size_t at = res ? kRead : res.error().index;
        if (e.sqlstate == "55P03" && at < kEnsure) return fail(lock_busy(session, wait_ms));
        if (e.kind != ErrorKind::connection && at == kEnsure)
            e.message = "cannot create the migration history table: " + e.message;
        else if (e.kind != ErrorKind::connection && at == kRead)
            e.message = "cannot read the migration history: " + e.message;
        return fail(std::move(e));
    }
};

} // namespace

Result<std::vector<HistoryRow>> lock_and_read_history(Session& session, long wait_ms) {
    if (session.scope() == Scope::call) return read_history(session);
    const LockAndRead start(wait_ms);
    return start.rows(session, wait_ms, session.exec_batch_answer(start.items, BatchMode::in_caller));
}

Speculated lock_and_read_history_then(Session& session, long wait_ms,
                                      std::span<const std::vector<BatchItem>> transactions,
                                      std::span<const BatchItem> after) {
    const LockAndRead start(wait_ms);
    Speculated sent{Result<QueryResult>(QueryResult{}), nullptr};
    sent.pipeline = session.pipeline_after(start.items, sent.answer, transactions, after);
    return sent;
}

Result<std::vector<HistoryRow>> speculated_history(Session& session, long wait_ms,
                                                   std::expected<Result<QueryResult>, BatchFailure> answer) {
    return LockAndRead(wait_ms).rows(session, wait_ms, std::move(answer));
}

BatchItem release_push_lock_if_won_item() { return BatchItem{kUnlockIfWonSql, {}}; }

BatchItem forget_won_item() { return BatchItem{kForgetWonSql, {}}; }

std::vector<BatchItem> history_is_items(std::string digest) {
    return {BatchItem{"SELECT set_config('sbdeploy.history_is', $1, true)", {std::move(digest)}},
            BatchItem{kHistoryIs, {}}};
}

std::string history_digest(std::vector<std::pair<std::string, std::span<const std::string>>> rows) {
    // What kHistoryIs computes on the server: per row "version:" then each statement as
    // "<bytes>:<text>" ("-" for none), rows joined by "," in bytewise version order.
    std::ranges::sort(rows, {}, &std::pair<std::string, std::span<const std::string>>::first);
    std::string text;
    for (const auto& [version, statements] : rows) {
        if (!text.empty()) text += ',';
        text += version + ':';
        if (statements.empty()) text += '-';
        for (const auto& st : statements) text += std::to_string(st.size()) + ':' + st;
    }
    return util::sha256_hex(text);
}

Result<void> release_push_lock(Session& session) {
    if (session.scope() == Scope::call) return {};
    auto res = session.exec(kUnlockSql);
    if (!res) return fail(res.error());
    return {};
}

BatchItem release_push_lock_item() { return BatchItem{kUnlockSql, {}}; }

} // namespace sbdeploy::db
