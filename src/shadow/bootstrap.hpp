// The shadow database (validate --shadow-db-url): an empty PostgreSQL the CI job owns, made to
// look like a Supabase project's database before its first migration (src/shadow/bootstrap.sql:
// roles, the auth, storage and extensions schemas, their tables and helper functions), so that
// a pull request's SQL is dry-run there instead of on a shared database.
#pragma once

#include <string_view>

#include "db/session.hpp"

namespace sbdeploy::shadow {

// The version of bootstrap.sql; raised whenever what it creates changes.
inline constexpr int kBootstrapVersion = 1;

// The SQL itself (for --help and the README: it is documented there).
std::string_view bootstrap_sql();

// Runs bootstrap.sql in one transaction. Idempotent: what exists stays as it is. A failure
// (e.g. a role that may not create roles) names the shadow database and what it needs.
Result<void> bootstrap(db::Session& shadow);

// Whether the database holds anything of its own: tables, views or functions outside the
// system schemas and those bootstrap.sql creates. A shadow database must start empty; one
// that is not may be a shared database given by mistake.
Result<bool> holds_user_objects(db::Session& shadow);

} // namespace sbdeploy::shadow
