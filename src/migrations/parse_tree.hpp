// PostgreSQL's parser (libpg_query) for every caller. Deep input cannot overflow the stack:
// a long statement is parsed on a thread whose stack grows with its length, and a tree
// nested deeper than kMaxParseDepth is refused before anyone walks it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sbdeploy::migrations {

// JSON nesting levels of a parse tree (about two per chained operator): far beyond what
// hand-written SQL needs, well within what the callers' recursive walks can take.
inline constexpr int kMaxParseDepth = 10'000;

struct ParseFailure {
    std::string message;  // the parser's, or "statement too deeply nested ..."
    int cursorpos = 0;    // 1-based byte offset of the error in the statement; 0: none
    bool too_deep = false;
};

// Parses `sql` and, when it parses, calls `use` with the JSON parse tree (on the same big
// stack, so its recursion is safe too). Nothing when `use` ran.
std::optional<ParseFailure> parse_sql(std::string_view sql, const std::function<void(const char* json)>& use);

} // namespace sbdeploy::migrations
