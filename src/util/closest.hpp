// "Did you mean": the one nearest-name search behind every suggestion for a misspelt command,
// option or rule id (Levenshtein distance, util::edit_distance).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "util/strings.hpp"

namespace sbdeploy::util {

// The first of `candidates` (each a name, or what `name_of` makes of it) at the smallest edit
// distance from `word`, when that distance is below `limit`; "" when none is that close.
template <class Range, class NameOf = std::identity>
std::string closest(std::string_view word, const Range& candidates, std::size_t limit, NameOf name_of = {}) {
    std::size_t best = limit;
    std::string_view pick;
    for (const auto& candidate : candidates) {
        const std::string_view name = std::invoke(name_of, candidate);
        if (const auto d = edit_distance(word, name); d < best) {
            best = d;
            pick = name;
        }
    }
    return std::string(pick);
}

} // namespace sbdeploy::util
