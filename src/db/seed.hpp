// The seed bookkeeping of the Supabase CLI: supabase_migrations.seed_files (path text primary
// key, hash text not null), one row per seed file with the hex SHA-256 of its bytes. Every
// SQL statement about it lives in seed.cpp.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

struct SeedRow {
    std::string path;  // as the CLI records it: relative to the project root, "supabase/seed.sql"
    std::string hash;
};

// Every row, by path. An absent table (or schema) means nothing was seeded.
Result<std::vector<SeedRow>> read_seed_files(Session& session);

// Whether the table exists.
bool seed_table_exists(Session& session);
// CREATE SCHEMA/TABLE IF NOT EXISTS, as the CLI creates them; batch items for a transaction.
std::span<const std::string_view> seed_table_statements();

// The CLI's upsert of one file's row ($1 path, $2 hash).
BatchItem upsert_seed_item(const std::string& path, const std::string& hash);

} // namespace sbdeploy::db
