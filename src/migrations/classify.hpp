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
    copy_client,         // COPY ... FROM STDIN / TO STDOUT: needs a client feeding or reading data
    unparsed,            // the PG 15 grammar does not know it: treated as ordinary
    too_deep,            // nested too deeply to parse safely: refused
};

StatementKind classify_statement(std::string_view sql);
std::string_view describe_kind(StatementKind kind);

enum class FileMode {
    atomic,            // statements + history row in one transaction
    self_wrapped,      // the file's own BEGIN ... COMMIT, replaced by ours (same atomicity)
    parts,             // COMMIT in the middle: one transaction per part, the history row with
                       // the last part (the file commits where it says; nothing else does)
    non_transactional, // only statements that cannot run in a transaction: one by one,
                       // history row after the last one succeeds
};

struct FilePlan {
    FileMode mode = FileMode::atomic;
    std::vector<bool> skip;  // statements not sent (the file's own BEGIN/COMMIT)
    // FileMode::parts: where each part ends (an index one past its last statement); the
    // last part ends at the last statement. Empty for the other modes.
    std::vector<std::size_t> part_ends;
    std::size_t first_split = 0;  // FileMode::parts: the COMMIT that ends the first part
};

// Whether a file may commit in the middle: migrations may (the CLI applies such files, and
// Postgres needs it for an enum value added and then used); down SQL and seed files, applied
// with other work in one transaction, may not.
enum class Splits { refused, parts };

// The rule table for a file, given each statement's kind; an Error (config, exit 2)
// with the offending statement's index in `line` when the file cannot be applied
// safely: ROLLBACK or PREPARE TRANSACTION, non-transactional statements mixed with others,
// COPY from or to the client, or (Splits::refused) a COMMIT in the middle. The caller turns
// the index into a file line.
Result<FilePlan> plan_file(const std::vector<StatementKind>& kinds, Splits splits = Splits::refused);

// The error for a file that commits in the middle where that is not allowed (down SQL, seed
// files, --strict-transactions): "COMMIT in the middle of <what> would split it ..."; `index`
// is the COMMIT's statement index, as in plan_file.
Error split_refused(std::size_t index, std::string_view what, std::string hint);

} // namespace sbdeploy::migrations
