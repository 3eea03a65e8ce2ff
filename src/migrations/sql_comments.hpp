// SQL white space and comments as PostgreSQL's lexer reads them: `--` to the end of the line,
// `/* ... */` nesting. The one skipper behind the splitter, the down-section reader and the
// linter (where a statement's code starts).
#pragma once

#include <cstddef>
#include <string_view>

namespace sbdeploy::migrations {

// 1 for "/*", -1 for "*/", else 0 (`two` is two characters of SQL).
int comment_delimiter(std::string_view two);

// Index of the first character of `sql` at or after `from` that is neither white space nor
// inside a comment; sql.size() when there is none (an unterminated comment runs to the end).
std::size_t skip_space_and_comments(std::string_view sql, std::size_t from = 0);

// Whether `sql` holds anything but white space and comments.
inline bool has_code(std::string_view sql) { return skip_space_and_comments(sql) < sql.size(); }

} // namespace sbdeploy::migrations
