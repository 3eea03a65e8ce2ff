// Invalid indexes left by an interrupted or failed CREATE INDEX CONCURRENTLY. Postgres keeps
// such an index (pg_index.indisvalid false: never used, but maintained on every write), and
// `IF NOT EXISTS` on the re-run sees it and skips the build, so a re-run would record the
// migration while the index stays invalid. Before a file of such statements runs, sbdeploy
// finds the invalid indexes it creates and drops them, so the re-run builds them anew.
#pragma once

#include <string>
#include <vector>

#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations {

// The index a statement creates concurrently, when it names one: its table as written
// (schema may be empty: the search path decides) and its name.
struct ConcurrentIndex {
    std::string schema, table, name;
};
std::vector<ConcurrentIndex> concurrent_indexes(const Migration& m);

// Drops (DROP INDEX CONCURRENTLY) every invalid index that `m` creates concurrently, and
// returns their names, schema-qualified. Over a transport without sessions the drop is one
// request per index, as DROP INDEX CONCURRENTLY refuses transaction blocks.
Result<std::vector<std::string>> drop_invalid_indexes(db::Session& session, const Migration& m);

// The names of the invalid indexes `m` creates concurrently (after a failure, for the hint).
Result<std::vector<std::string>> find_invalid_indexes(db::Session& session, const Migration& m);

} // namespace sbdeploy::migrations
