// Skipping SQL white space and comments: a `--` comment ends at a line break (\n or \r); block
// comments nest, and a delimiter's characters are not read again as the start of another
// ("/*/" opens one comment, it does not close it).
#include "migrations/sql_comments.hpp"

namespace sbdeploy::migrations {

namespace {

bool space_char(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

} // namespace

int comment_delimiter(std::string_view two) { return two == "/*" ? 1 : two == "*/" ? -1 : 0; }

std::size_t skip_space_and_comments(std::string_view s, std::size_t from) {
    std::size_t r = from;
    while (r < s.size()) {
        if (space_char(s[r])) {
            ++r;
        } else if (s.substr(r).starts_with("--")) {
            auto nl = s.find_first_of("\n\r", r + 2);
            if (nl == std::string_view::npos) return s.size();
            r = nl + 1;
        } else if (s.substr(r).starts_with("/*")) {
            int depth = 1;
            bool after = true;
            r += 2;
            while (r < s.size() && depth > 0) {
                int d = after ? 0 : comment_delimiter(s.substr(r - 1, 2));
                after = d != 0;
                depth += d;
                ++r;
            }
            if (depth > 0) return s.size();
        } else {
            return r;
        }
    }
    return s.size();
}

} // namespace sbdeploy::migrations
