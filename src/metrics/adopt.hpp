// Adopting metrics tables that exist already in seed 001's shape (in `public` or `metrics`,
// with the seed's columns and vocabulary): the steps that make sbdeploy's writers, reports
// and the seed's own INSERT statements all work on them, or the conflicts that stop it.
// The plan is pure (catalog in, steps out); reading the catalog is one query per kind.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

// What the catalog says about the tables sbdeploy's schema names, in `metrics` and `public`.
struct CatalogColumn {
    std::string schema, table, name;
    std::string type;  // format_type(): "integer", "timestamp with time zone", "numeric(5,2)"
    char category = 'X';  // pg_type.typcategory: 'S' string, 'N' numeric, 'D' date/time, ...
    bool not_null = false, has_default = false, generated = false;
};
struct CatalogCheck {
    std::string schema, table, name, column;  // single-column CHECK constraints only
    std::string definition;                   // pg_get_constraintdef()
};
struct CatalogIndex {
    std::string schema, table, name;
    bool unique = false;                // and neither partial nor on expressions
    std::vector<std::string> columns;
};
struct Catalog {
    std::vector<std::string> tables;     // "schema.table"
    std::vector<std::string> relations;  // every relation name in `metrics` (tables, views, indexes)
    std::vector<CatalogColumn> columns;
    std::vector<CatalogCheck> checks;
    std::vector<CatalogIndex> indexes;
};

Result<Catalog> read_catalog(db::Session& session);

struct AdoptionStep {
    std::string description;  // "metrics.pr_events: added column repository (text, default 'octo/app')"
    std::string sql;
};
struct AdoptionConflict {
    std::string description;  // "metrics.test_runs.run_id is integer, sbdeploy writes text"
    std::string fix;          // SQL that resolves it
};
struct AdoptionPlan {
    std::vector<AdoptionStep> steps;
    std::vector<AdoptionConflict> conflicts;
    std::vector<std::string> notes;  // left alone, and why
    bool complete = false;           // every table and view of the schema exists already
};

// The steps, in order, for the catalog; `repository` ("owner/name", may be empty) is the
// default of the repository column added to existing rows and to the seed's inserts.
AdoptionPlan plan_adoption(const Catalog& catalog, std::string_view repository);

// Whether a CHECK definition only restricts its column to a list of literals; the literals.
bool enum_check_values(std::string_view definition, std::string_view column, std::vector<std::string>& values);

} // namespace sbdeploy::metrics
