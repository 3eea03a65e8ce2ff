// The schema of a database as its catalog says, for "does this down SQL undo the file?":
// one snapshot query over pg_catalog (schemas, relations, columns, constraints, indexes,
// functions, triggers, policies, row level security, types, views, extensions, grants,
// publications, roles), safe inside a caller's transaction, and the difference of two
// snapshots, one line per object.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

struct CatalogObject {
    int rank = 0;        // the order objects are reported in: schemas, relations, columns, ...
    std::string kind;    // "table", "column", "index", "enum type", ...
    std::string name;    // "public.foo", "public.foo.bar", "foo_pkey on public.foo"
    std::string parent;  // the relation (or domain) it belongs to, "public.foo"; empty for none
    // What must match: "type" -> "integer", "not null" -> "yes", ... (NULL is "none").
    std::map<std::string, std::string> attributes;
    bool operator==(const CatalogObject&) const = default;
};

// Keyed by "<kind> <name>".
using CatalogSnapshot = std::map<std::string, CatalogObject>;

// Reads the catalog, system schemas and objects that belong to extensions left out (the
// extension stands for them). Runs under a savepoint that it rolls back, with search_path set
// to pg_catalog so every name comes out schema-qualified: the caller's transaction (and its
// settings) stay as they were, even when the query fails.
Result<CatalogSnapshot> snapshot_catalog(Session& session);

// How `after_down` differs from `before` (the catalog before a migration, and after the
// migration and its down SQL), one line per object, in report order:
//   leaves table public.foo (created by the file)
//   does not restore column public.foo.bar (dropped by the file)
//   does not restore column public.foo.bar: type "integer" before the file, "text" after its down SQL
// `after_up` (after the migration alone) tells what the file did from what the down SQL did.
// Columns, constraints, indexes, triggers and policies of a table that is itself left or
// missing are not listed again.
std::vector<std::string> catalog_differences(const CatalogSnapshot& before, const CatalogSnapshot& after_up,
                                             const CatalogSnapshot& after_down);

}  // namespace sbdeploy::db
