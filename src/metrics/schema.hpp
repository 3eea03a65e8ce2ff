// The metrics schema (src/metrics/schema.sql, shipped inside the binary) and what is done
// with it over a database session: apply it, read the report's history, prune old rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "metrics/adopt.hpp"
#include "metrics/report.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

inline constexpr int kSchemaVersion = 1;

// The schema's SQL as shipped.
std::string_view schema_sql();
// The schema as a migration file to commit: a header naming sbdeploy and the file name to
// use, then the SQL.
std::string schema_migration(std::string_view sbdeploy_version);
// "20250101120000_sbdeploy_metrics_schema.sql" for a UTC time.
std::string schema_migration_name(std::int64_t now);

// A database error of a metrics statement as one line: "metrics: <what>: <message> (SQLSTATE
// X)", the server's detail kept; when the schema is missing (42P01, 3F000, 42883) the hint
// says how to apply it. The position in sbdeploy's own SQL is dropped: it means nothing to
// the user.
Error database_error(Error e, std::string_view what);

// A table, view or function of the `metrics` schema: "metrics.pr_events", "table".
struct SchemaObject {
    std::string name, kind;
    bool operator==(const SchemaObject&) const = default;
};

struct SchemaApplied {
    std::vector<SchemaObject> created;  // what the schema added that was not there before
    std::vector<std::string> changes;  // what adopting existing (seed 001) tables changed, one line each
    std::vector<std::string> notes;    // what was left alone, and why
    std::vector<AdoptionConflict> conflicts;  // not empty: nothing was applied
    bool up_to_date = false;           // everything was there already: nothing to do
};

// Applies the schema in one transaction, serialized by an advisory lock, after adopting the
// tables that exist already in seed 001's shape (metrics/adopt.hpp); `repository` is the
// default of the repository column those tables get. Conflicts: nothing is changed.
Result<SchemaApplied> apply_schema(db::Session& session, std::string_view repository = "");

// Reads what the report needs for `window` from the metrics tables.
Result<History> load_history(db::Session& session, const Window& window);

enum class PruneMode { delete_rows, count_only };

struct PruneCounts {
    long prs = 0, deployments = 0, tests = 0, rules = 0, daily = 0;
    [[nodiscard]] long total() const { return prs + deployments + tests + rules + daily; }
};

// Deletes (or counts) the rows of every metrics table older than `cutoff` (seconds since
// the epoch), in one statement.
Result<PruneCounts> prune(db::Session& session, std::int64_t cutoff, PruneMode mode);

} // namespace sbdeploy::metrics
