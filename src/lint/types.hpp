// Internal to src/lint: whether ALTER COLUMN ... TYPE rewrites the table, by PostgreSQL 15's
// rules (ATColumnChangeRequiresRewrite): the same type, or a binary-coercible cast (pg_cast
// castmethod 'b') to a type whose length or precision is no shorter, keeps the table; a
// USING expression keeps it only when it is the column itself, cast along such a path.
#pragma once

#include <string>
#include <vector>

#include "lint/tree.hpp"

namespace sbdeploy::lint::detail {

// The same type, where one is written schema-qualified with a schema of the search path
// and the other without: public.status and status.
bool same_type_name(const std::string& a, const std::string& b, const std::vector<std::string>& search_path);

// A change from `from` to `to` that keeps the table: same type or binary-coercible, no shorter.
bool change_keeps_table(const tree::TypeRef& from, const tree::TypeRef& to,
                        const std::vector<std::string>& search_path);

// A USING expression that is the column `column` itself, bare or cast to `from` or `to`.
bool using_is_column(const tree::Value* expr, const std::string& column, const tree::TypeRef& from,
                     const tree::TypeRef& to, const std::vector<std::string>& search_path);

}  // namespace sbdeploy::lint::detail
