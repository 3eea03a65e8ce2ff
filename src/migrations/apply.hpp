// Applying migrations: each file with its history row in one transaction (or, for a
// file of statements that cannot run in a transaction, one by one and recorded after
// the last), and the dry run that executes pending files and rolls everything back.
// Failures are Errors located at the file and line of the failing statement.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/session.hpp"
#include "migrations/classify.hpp"
#include "migrations/files.hpp"
#include "migrations/split.hpp"

namespace sbdeploy::migrations {

struct Migration {
    MigrationFile file;
    std::vector<Statement> statements;
    FilePlan plan;
    [[nodiscard]] std::vector<std::string> texts() const;
};

// Reads, splits and classifies one file. Config errors (exit 2) name the file and line.
Result<Migration> load_migration(const MigrationFile& file);

struct Settings {
    long lock_timeout_ms = 0;       // 0: leave the server's setting
    long statement_timeout_ms = 0;  // 0: leave the server's setting
};

struct Applied {
    double ms = 0;
    std::vector<std::string> notices;
};

// Pushes one migration. On failure nothing of the file remains (except for a
// non-transactional file, whose completed statements stay; the history row is then
// not written, so the history stays truthful) and the Error names file and line.
Result<Applied> apply_migration(db::Session& session, const Migration& m, const Settings& settings);

enum class Verdict { ok, failed, not_dry_run };
std::string_view verdict_name(Verdict v);

struct DryRun {
    const Migration* migration = nullptr;
    Verdict verdict = Verdict::ok;
    std::optional<Error> error;
    double ms = 0;
};

// Executes `pending` in order inside one transaction, a savepoint per file, with the
// history inserts, then rolls everything back. Non-transactional files are not run.
Result<std::vector<DryRun>> dry_run(db::Session& session, std::span<const Migration* const> pending,
                                    const Settings& settings);

// The file line of a server error inside statement `index` (position in error.column).
Error locate_failure(const Migration& m, std::size_t index, Error server_error);

} // namespace sbdeploy::migrations
