// What a statement does to transactions, read from the real Postgres parser: transaction
// control (BEGIN, COMMIT, ...) and statements that cannot run in a transaction block
// (CREATE INDEX CONCURRENTLY, VACUUM, ...). Decides how a whole file is applied.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::migrations {

enum class StatementKind {
    ordinary,            // runs inside a transaction
    empty,               // only comments or whitespace
    begin,               // BEGIN / START TRANSACTION
    commit,              // COMMIT / END
    savepoint,           // SAVEPOINT, RELEASE, ROLLBACK TO: fine inside our transaction
    other_control,       // ROLLBACK, PREPARE TRANSACTION, COMMIT PREPARED, ...
    non_transactional,   // cannot run in a transaction block (SQLSTATE 25001)
    unparsed,            // the PG 15 grammar does not know it: treated as ordinary
};

StatementKind classify_statement(std::string_view sql);
std::string_view describe_kind(StatementKind kind);

enum class FileMode {
    atomic,            // statements + history row in one transaction
    self_wrapped,      // the file's own BEGIN ... COMMIT, replaced by ours (same atomicity)
    non_transactional, // only statements that cannot run in a transaction: one by one,
                       // history row after the last one succeeds
};

struct FilePlan {
    FileMode mode = FileMode::atomic;
    std::vector<bool> skip;  // statements not sent (the file's own BEGIN/COMMIT)
};

// The rule table for a file, given each statement's kind; an Error (config, exit 2)
// with the offending statement's index in `line` when the file cannot be applied
// safely: transaction control in the middle, or non-transactional statements mixed
// with others. The caller turns the index into a file line.
Result<FilePlan> plan_file(const std::vector<StatementKind>& kinds);

} // namespace sbdeploy::migrations
