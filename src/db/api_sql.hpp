// The text the Management API transport sends and reads back, as pure functions: untrusted
// text quoted as SQL literals, a batch joined into one query that remembers where each item
// is, the API's error text parsed into an Error, and its JSON rows into a QueryResult.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

// A string literal for any text: E'...' with ' doubled and \ doubled. Safe whatever the
// text holds (quotes, $$, backslashes) and whatever standard_conforming_strings says.
std::string quote_literal(std::string_view text);

// One statement with parameters as a query without them: PREPARE name AS sql;
// EXECUTE name(literals); DEALLOCATE name. The server infers the parameter types as it
// does for libpq's unnamed statements. Without parameters, `sql` itself.
std::string inline_params(std::string_view sql, std::span<const Value> params, std::string_view name);

// A batch as one query: items joined by "\n;\n" (a newline first, so an item ending in a
// -- comment cannot swallow the separator), wrapped in BEGIN ... COMMIT or ROLLBACK.
struct ComposedQuery {
    std::string text;
    struct Span {
        std::size_t begin = 0;  // byte offsets of the item's text in `text`
        std::size_t end = 0;
    };
    std::vector<Span> items;
};
// `prepared_prefix` names the prepared statements of items with parameters.
ComposedQuery compose_batch(std::span<const BatchItem> items, BatchMode mode, std::string_view prepared_prefix);

// The item a 1-based character position of `query.text` falls in, and the position
// within that item (1-based characters), as libpq would report it for the item alone.
struct ItemPosition {
    std::size_t index = 0;
    int position = 0;
};
std::optional<ItemPosition> locate_position(const ComposedQuery& query, int position);

// An error of the API's query endpoint ("Failed to run sql query: ERROR:  42P01: ...",
// then psql-style LINE/caret, DETAIL, HINT, QUERY and CONTEXT lines) as an Error.
struct QueryError {
    Error error;     // kind database with sqlstate when the text has one
    int line = 0;    // the LINE of the query text the caret is on, 0 when none
    int offset = 0;  // the caret's 0-based offset in that line (UTF-16 units, as the API counts)
};
QueryError parse_query_error(std::string_view message);

// The 1-based character position of LINE `line`, caret `offset` in `text` (0 when out of range).
int position_of(std::string_view text, int line, int offset);

// The "message" of an API error body ({"message": ...}, {"error": ...} or
// {"error": {"message": ...}}), else the body itself, shortened.
std::string body_message(std::string_view body);

// A 2xx body: a JSON array of row objects. Columns are the first row's keys; values as
// libpq's text format would give them where JSON allows (true -> "t", numbers as written,
// arrays and objects as JSON text, null -> NULL).
Result<QueryResult> parse_rows(std::string_view body);

} // namespace sbdeploy::db
