// The changes of a run, from the best source that can tell: git first (fetching within
// the bound), then the GitHub API, and when the API's list is capped, git again with the
// whole history. Never a silently truncated or "everything added" list.
#pragma once

#include <vector>

#include "changes/base.hpp"
#include "changes/diff.hpp"
#include "changes/git.hpp"
#include "github/api.hpp"

namespace sbdeploy::changes {

enum class Source { none, git, api };
std::string_view source_name(Source s);  // "none", "git", "GitHub API"

struct Collected {
    Range range;
    std::vector<Change> changes;  // in git's (or GitHub's) order
    Source source = Source::none;
};

// `api` may be null (no repository to ask about).
Result<Collected> collect(const Git& git, const github::Api* api, const Request& req, const ResolveSettings& settings,
                          const Note& note);

} // namespace sbdeploy::changes
