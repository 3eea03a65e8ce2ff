// Applying paths-filter's base rules (changes/base.hpp) to a git checkout: the range to
// compare, fetching what a shallow checkout lacks (single commits, then history deepened step
// by step within a bound), or why git cannot answer.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "changes/base.hpp"
#include "changes/git.hpp"

namespace sbdeploy::changes {

struct ResolveSettings {
    // Commits of history that may be fetched beyond a shallow checkout; 0 fetches nothing.
    long fetch_limit = 1000;
    // The first history fetch (dorny's initial-fetch-depth); each next one doubles.
    long first_depth = 16;
    // Fetch the whole history when needed (after the API could not list the files).
    bool unlimited = false;
};

// Progress for people ("fetched the base commit 1a2b3c4", "deepened by 16 commits").
using Note = std::function<void(const std::string&)>;

struct Resolution {
    std::optional<Range> range;  // nothing when git cannot answer
    std::string unavailable;     // why not: shown when falling back to the GitHub API
};

// Errors are what no other source can fix (a --base that names nothing, git failing).
Result<Resolution> resolve_range(const Git& git, const Request& req, const ResolveSettings& settings, const Note& note);

} // namespace sbdeploy::changes
