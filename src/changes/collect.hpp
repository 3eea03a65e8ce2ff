// The changes of a run, from the best source that can tell: git first (fetching within
// the bound), then the GitHub API, and when the API's list is capped, git again with the
// whole history. Never a silently truncated or "everything added" list.
#pragma once

#include <cstddef>
#include <vector>

#include "changes/base.hpp"
#include "changes/diff.hpp"
#include "changes/git.hpp"
#include "changes/resolve.hpp"
#include "github/api.hpp"

namespace sbdeploy::changes {

enum class Source { none, git, api };
std::string_view source_name(Source s);  // "none", "git", "GitHub API"

struct Collected {
    Range range;
    std::vector<Change> changes;  // those `keep` selected, in git's (or GitHub's) order
    Source source = Source::none;
    std::size_t total = 0;        // every changed file, kept or not
};

// `api` may be null (no repository to ask about). Only the changes `keep` selects are
// kept (all without it): a diff of tens of thousands of files is not held in memory.
Result<Collected> collect(const Git& git, const github::Api* api, const Request& req, const ResolveSettings& settings,
                          const Note& note, const Keep& keep = {});

} // namespace sbdeploy::changes
