// Glob patterns matched as picomatch matches them with {dot: true} (`*`, `**`, `?`,
// `[...]`, `{a,b}`), and ordered lists of them where a `!pattern` line excludes what the
// lines before it included (the rule of GitHub's `paths:` filters). Paths use "/".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::util {

// One compiled pattern. Semantics (picomatch with dot: true, Bash's rules where picomatch
// documents none):
//   *       any characters within one path segment, dotfiles included, but not "." or ".."
//   **      as a whole segment: zero or more segments ("a/**" matches "a"); inside a segment
//           it is a single *; three or more stars are a single *
//   ?       one character (UTF-8 code point) other than "/"
//   [...]   one character of the class: ranges, [!...] and [^...] negation, ]-first and
//           -first/last literal, [:alpha:] and the other POSIX classes; unclosed: literal
//   {a,b}   alternatives, nested, empty ones allowed; {a..c} single-character ranges;
//           a brace group without a comma or range is literal
//   \c      the character c literally
// A pattern equal to the path matches it, as in picomatch. Leading "./" is ignored.
// Refused (a config error saying why): empty patterns, a leading "/", extglobs
// ("+(a|b)" ...), "|" (picomatch's regex groups), more than kMaxAlternatives expansions.
class Glob {
public:
    static constexpr std::size_t kMaxAlternatives = 1024;
    static constexpr std::size_t kMaxPatternBytes = 4096;

    static Result<Glob> compile(std::string_view pattern);

    [[nodiscard]] bool matches(std::string_view path) const;
    [[nodiscard]] const std::string& pattern() const { return pattern_; }

    // Compiled form, public so the matcher's helpers can see it.
    struct Token {
        enum class Kind { literal, any, star, set };
        Kind kind = Kind::literal;
        std::string text;                               // literal
        std::vector<std::pair<char32_t, char32_t>> ranges;  // set: inclusive code point ranges
        bool negated = false;                           // set
    };
    struct Segment {
        bool globstar = false;
        std::vector<Token> tokens;
    };
    struct Alternative {
        std::vector<Segment> segments;
        std::string prefix;  // literal leading segments with their "/": a fast reject
    };

private:
    std::string pattern_;
    std::vector<Alternative> alternatives_;
};

// Lines of patterns: blank lines and "#" comments are skipped, a line starting with "!"
// excludes, "\!" and "\#" start a literal pattern. The last line that matches a path
// decides; a path no line matches is out, unless every line is an exclusion (then the
// list starts from "everything").
class GlobList {
public:
    struct Line {
        bool exclude = false;
        Glob glob;
    };

    // Errors name the offending line: `filter line 2 "..." ...`.
    static Result<GlobList> parse(const std::vector<std::string>& lines);

    [[nodiscard]] bool matches(std::string_view path) const;
    [[nodiscard]] const std::vector<Line>& lines() const { return lines_; }

private:
    std::vector<Line> lines_;
    bool only_exclusions_ = false;
};

} // namespace sbdeploy::util
