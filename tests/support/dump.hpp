// Snapshots of a test database for "nothing changed" checks: the schema as pg_dump
// prints it (from the fixture's PostgreSQL 15 binaries), and the migration history rows.
#pragma once

#include <string>
#include <vector>

namespace sbdeploy::test {

// `pg_dump --schema-only` of the database at `url` (throws when pg_dump fails).
std::string schema_dump(const std::string& url);

// Every row of supabase_migrations.schema_migrations in version order, as
// "version|name|statements as JSON" ("" for NULL); empty when the table does not exist.
std::vector<std::string> history_rows(const std::string& url);

// The versions recorded in the history, in version order.
std::vector<std::string> history_versions(const std::string& url);

} // namespace sbdeploy::test
