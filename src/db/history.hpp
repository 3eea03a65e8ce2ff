// The migration history table, exactly as the Supabase CLI keeps it
// (supabase_migrations.schema_migrations), and the advisory lock of a push.
// Every SQL statement about bookkeeping lives in history.cpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

struct HistoryRow {
    std::string version;
    std::string name;
    std::optional<std::vector<std::string>> statements;  // NULL for rows written by old CLIs
};

// All rows, in the CLI's order (version as text). An absent table means nothing applied.
Result<std::vector<HistoryRow>> read_history(Session& session);

// True when the table exists with the CLI's three columns.
bool history_table_complete(Session& session);
// CREATE SCHEMA/TABLE IF NOT EXISTS and the added columns, as the CLI does.
Result<void> ensure_history_table(Session& session);
// The same statements as batch items, to run inside a transaction (validate's dry run).
std::span<const std::string_view> history_table_statements();

// The INSERT of one version as a batch item; `statements` is encoded as a text[] literal.
BatchItem insert_history_item(const std::string& version, const std::string& name,
                              const std::string& statements_literal);
std::string_view delete_history_sql();  // $1 = version

// Postgres array literal for text[]: {"a","b"} with " and \ escaped.
std::string text_array_literal(std::span<const std::string> values);

// Session advisory lock held for a whole push/repair/rollback. Waits up to `wait_ms`;
// then fails naming who holds it (pid, application, since when).
Result<void> acquire_push_lock(Session& session, long wait_ms);
Result<void> release_push_lock(Session& session);

} // namespace sbdeploy::db
