// Generic string helpers (no sbdeploy concepts).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::util {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool starts_with_icase(std::string_view s, std::string_view prefix);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::string replace_all(std::string_view s, std::string_view from, std::string_view to);
// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// Double-quoted for messages: "value", control characters escaped (\\n, \\x1b).
std::string quoted(std::string_view s);
// "1 file", "3 files"; `many` for irregular plurals ("1 entry", "2 entries").
std::string plural(std::size_t n, std::string_view one, std::string_view many = {});
// A duration for people: "840 ms", "2.35 s".
std::string format_ms(double ms);
// A count for people, thousands grouped: "3,100".
std::string grouped(std::size_t n);

} // namespace sbdeploy::util
