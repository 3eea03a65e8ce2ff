// What `sbdeploy verify` expects to find in a database: one line each, "kind:object"
// (table:public.moods, policy:public.moods:Name, function:public.f(integer) ...). Parsing
// is pure; names follow Postgres (unquoted fold to lower case, "Quoted" kept as written).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::verify {

enum class Kind { schema, extension, table, view, index, column, function, policy, rls };
std::string_view kind_name(Kind k);

struct Expectation {
    Kind kind = Kind::table;
    std::string schema;  // "" for schema and extension
    std::string name;    // the schema, extension, relation or function
    // column: the column; policy: the policy name, "" for any; function: the argument types
    // as Postgres prints them ("integer, text"), "" for none, and any_arguments when not given.
    std::string detail;
    bool any_arguments = false;  // function without "(...)"
    std::string text;            // the line as written
    std::string origin;          // "--expect" or "file:line"
};

// One line: `table:public.moods`. Config errors (exit 2) quote the line and say what is
// wrong, after `origin: ` when `origin` is not empty.
Result<Expectation> parse_expectation(std::string_view text, std::string_view origin = "--expect");

// The lines of a file: blank lines and "#" comments skipped; errors carry the file and line.
Result<std::vector<Expectation>> parse_expectation_lines(std::string_view content, const std::string& path);

// How a person reads the object: `table public.moods`, `policy "Allow all" on public.moods`,
// `row level security on public.moods`, `function public.f(integer)`.
std::string describe(const Expectation& e);

// An identifier as Postgres would print it: quoted only when it needs to be.
std::string quote_ident(std::string_view name);

} // namespace sbdeploy::verify
