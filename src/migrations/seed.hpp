// Seed data as the Supabase CLI 3.1.0 runs it with `db push --include-seed`: the files that
// [db.seed] sql_paths of supabase/config.toml names (default ./seed.sql; globs relative to
// supabase/), each run in one transaction with its supabase_migrations.seed_files row
// (path relative to the project root, hex SHA-256 of the file's bytes).
#pragma once

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/seed.hpp"
#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations {

// The strings of `sql_paths` in the `[db.seed]` table of config.toml text (also written
// `seed.sql_paths` under [db], or `db.seed.sql_paths` at the top); nullopt when absent.
// The sql_paths of parse_supabase_config (migrations/config_toml.hpp); config errors carry
// `display` and the line.
Result<std::optional<std::vector<std::string>>> parse_seed_paths(std::string_view toml, const std::string& display);

// The CLI's default when config.toml has no sql_paths.
inline constexpr std::string_view kDefaultSeedPath = "./seed.sql";

struct SeedFile {
    std::string path;     // to open
    std::string display;  // as recorded: relative to the project root, "/" separated
    std::string hash;     // hex SHA-256 of the bytes
    Migration sql;        // split and classified as a migration (there is no down section)
};

struct SeedListing {
    std::vector<SeedFile> files;      // the CLI's order: each pattern's matches sorted, a file once
    std::vector<std::string> unmatched;  // patterns (relative to the project root) that matched nothing
};

// Resolves `patterns` (relative to supabase/ under `workdir`; util/glob.hpp syntax) to files,
// reads, hashes and splits them. Config errors: a pattern outside the project, a file that
// cannot be read, split or applied safely (named at its line).
Result<SeedListing> list_seed_files(const std::string& workdir, std::span<const std::string> patterns);

enum class SeedChange { new_file, changed };  // not recorded yet / recorded with another hash

struct PendingSeed {
    const SeedFile* file = nullptr;
    SeedChange change = SeedChange::new_file;
};

// The files to run: those not recorded with the same hash, in listing order.
std::vector<PendingSeed> pending_seeds(std::span<const SeedFile> files, std::span<const db::SeedRow> recorded);

enum class CreateTable { no, yes };

// Runs one seed file and upserts its seed_files row in one transaction (creating the table
// first with CreateTable::yes); a file of statements that cannot run in a transaction runs
// statement by statement, its row after the last. Over a session the caller holds the push
// lock. On failure nothing of the file remains and the Error names its file and line.
// Returns the time taken in ms.
Result<double> apply_seed(db::Session& session, const SeedFile& seed, CreateTable create, const Settings& settings);

} // namespace sbdeploy::migrations
