// Internal to src/lint: the ignore comments above a statement.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lint/rules.hpp"

namespace sbdeploy::lint::detail {

inline constexpr std::string_view kDirective = "sbdeploy-lint-ignore";

bool space(char c);

struct Directives {
    std::vector<Rule> rules;
    std::vector<std::pair<std::string, int>> unknown;  // id, byte offset in the statement
};

// `-- sbdeploy-lint-ignore: rule[, rule ...] [reason]` on the comment lines right above the
// code at byte offset `code` (a run of `--` lines, no blank line in between).
Directives directives(std::string_view text, std::size_t code);

}  // namespace sbdeploy::lint::detail
