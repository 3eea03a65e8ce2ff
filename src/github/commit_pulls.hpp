// The pull requests GitHub associates with a commit (GET /repos/{repo}/commits/{sha}/pulls):
// how a push to a branch finds the pull request whose merge it is. Only what the promotion
// gate's hotfix route needs is kept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "github/api.hpp"

namespace sbdeploy::github {

struct AssociatedPull {
    long number = 0;
    std::string head_ref;  // the source branch
    std::string base_ref;  // the target branch
    bool merged = false;   // merged_at is set
    std::string merge_commit_sha;
    bool fork = false;  // the head is in another (or a deleted) repository
    std::vector<std::string> labels;
};

// GET /repos/{repository}/commits/{sha}/pulls, first 100.
Result<std::vector<AssociatedPull>> pulls_for_commit(const Api& api, const std::string& repository,
                                                     const std::string& sha);

// One answer of that endpoint (a JSON array of pull request objects).
Result<std::vector<AssociatedPull>> parse_associated_pulls(std::string_view json);

} // namespace sbdeploy::github
