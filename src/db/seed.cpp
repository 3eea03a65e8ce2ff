#include "db/seed.hpp"

#include <algorithm>

namespace sbdeploy::db {

namespace {

// Supabase CLI 3.1.0 (pkg/migration): the same table, the same upsert.
constexpr std::string_view kCreateStatements[] = {
    "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
    "CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (path text NOT NULL PRIMARY KEY, hash text NOT NULL)",
};
constexpr std::string_view kUpsert = "INSERT INTO supabase_migrations.seed_files(path, hash) VALUES($1, $2) "
                                     "ON CONFLICT (path) DO UPDATE SET hash = EXCLUDED.hash";
constexpr std::string_view kSelect = "SELECT path, hash FROM supabase_migrations.seed_files";

} // namespace

Result<std::vector<SeedRow>> read_seed_files(Session& session) {
    auto res = session.exec(kSelect);
    if (!res) {
        if (res.error().sqlstate == "42P01" || res.error().sqlstate == "3F000") return std::vector<SeedRow>{};
        Error e = res.error();
        e.message = "cannot read the seed history (supabase_migrations.seed_files): " + e.message;
        return fail(std::move(e));
    }
    std::vector<SeedRow> rows;
    rows.reserve(res->rows.size());
    for (auto& r : res->rows) rows.push_back(SeedRow{r[0].value_or(""), r[1].value_or("")});
    std::sort(rows.begin(), rows.end(), [](const SeedRow& a, const SeedRow& b) { return a.path < b.path; });
    return rows;
}

bool seed_table_exists(Session& session) {
    // A count, not a boolean: every transport prints numbers the same way.
    auto check = session.exec("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'supabase_migrations' AND "
                              "tablename = 'seed_files'");
    return check && !check->rows.empty() && check->rows[0][0] == std::optional<std::string>("1");
}

std::span<const std::string_view> seed_table_statements() { return kCreateStatements; }

BatchItem upsert_seed_item(const std::string& path, const std::string& hash) {
    return BatchItem{kUpsert, {path, hash}};
}

} // namespace sbdeploy::db
