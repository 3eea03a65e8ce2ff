// `-- sbdeploy-lint-ignore: rule[, rule ...] [reason]` comments: which rules a statement's
// findings drop, and ids that name no rule.
#include "lint/directives.hpp"

#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// `-- sbdeploy-lint-ignore: rule[, rule ...] [reason]` on the comment lines right above
// the code (a run of `--` lines, no blank line in between).
Directives directives(std::string_view text, std::size_t code) {
    Directives d;
    if (text.find(kDirective) == std::string_view::npos) return d;
    std::size_t line_start = code == 0 ? 0 : text.rfind('\n', code - 1);
    line_start = line_start == std::string_view::npos || code == 0 ? 0 : line_start + 1;
    while (line_start > 0) {
        std::size_t end = line_start - 1;  // the '\n' ending the line above
        std::size_t begin = end == 0 ? 0 : text.rfind('\n', end - 1);
        begin = begin == std::string_view::npos || end == 0 ? 0 : begin + 1;
        std::string_view line = util::trim(text.substr(begin, end - begin));
        if (!line.starts_with("--")) break;
        line_start = begin;
        std::string_view body = util::trim(line.substr(2));
        if (!body.starts_with(kDirective)) continue;
        body = util::trim(body.substr(kDirective.size()));
        if (!body.starts_with(':')) continue;
        body.remove_prefix(1);
        std::size_t body_offset = static_cast<std::size_t>(body.data() - text.data());
        // Rule ids separated by commas; the first id followed by anything else ends the
        // list (the rest is a reason, commas and all).
        std::size_t pos = 0;
        while (true) {
            while (pos < body.size() && space(body[pos])) ++pos;
            std::size_t start = pos;
            while (pos < body.size() && !space(body[pos]) && body[pos] != ',') ++pos;
            std::string id(body.substr(start, pos - start));
            if (!id.empty()) {
                if (auto rule = find_rule(id))
                    d.rules.push_back(*rule);
                else
                    d.unknown.emplace_back(id, static_cast<int>(body_offset + start));
            }
            while (pos < body.size() && space(body[pos])) ++pos;
            if (pos >= body.size() || body[pos] != ',') break;
            ++pos;
        }
    }
    return d;
}

}  // namespace sbdeploy::lint::detail
