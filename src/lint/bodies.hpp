// Internal to src/lint: what the code inside routine bodies and DO blocks does, as far as
// the rules need it -- the tables a SECURITY DEFINER body names without a schema, and row
// level security enabled through EXECUTE format('alter table %I enable ...', ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::lint::detail {

// A routine as CREATE FUNCTION gives it.
struct RoutineBody {
    std::string language;   // "sql", "plpgsql", ...
    std::string body;       // the AS string; empty for BEGIN ATOMIC bodies (bound when created)
    std::string statement;  // the whole CREATE statement (PL/pgSQL is parsed from it)
    bool atomic = false;    // BEGIN ATOMIC: names resolved at creation, never through search_path
};

// The tables (and views) the body names without a schema, CTE names aside, in order of
// appearance; nullopt when the body cannot be read (another language, a parse error).
// Must not run inside a parse_sql callback (it parses).
std::optional<std::vector<std::string>> unqualified_relations(const RoutineBody& routine);

// A DO block whose body runs EXECUTE format('alter table [<schema>.]%I enable row level
// security', ...) with a literal template (or the same statement as one literal).
struct DynamicRls {
    std::string schema;                 // the template's literal schema; "" when none
    bool any_schema = false;            // the template is %I.%I: the schema is a value too
    std::vector<std::string> literals;  // every other string literal of the body: the table names it may loop over
};
std::optional<DynamicRls> dynamic_rls(std::string_view do_body);

// Blocks a statement opens and leaves open: BEGIN and CASE words minus the END (END CASE)
// words that close them, outside strings, quoted names, comments and dollar quotes.
int block_depth(std::string_view sql);

}  // namespace sbdeploy::lint::detail
