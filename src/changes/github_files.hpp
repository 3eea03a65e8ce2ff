// The changed files of a pull request or of a comparison as the GitHub REST API lists
// them, and whether GitHub's cap cut the list short (3,000 files for a pull request,
// 300 for a comparison): a capped list is reported as such, never used as complete.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "changes/diff.hpp"
#include "github/api.hpp"

namespace sbdeploy::changes {

inline constexpr std::size_t kPullFilesCap = 3000;
inline constexpr std::size_t kCompareFilesCap = 300;

struct ApiFiles {
    std::vector<Change> changes;
    bool capped = false;
    std::size_t cap = 0;
    std::string base;  // compare: the merge-base GitHub used
};

// GET /repos/{repository}/pulls/{number}/files, 100 a page, every page.
Result<ApiFiles> pull_request_files(const github::Api& api, const std::string& repository, long number);

// GET /repos/{repository}/compare/{base}...{head}: the files from their merge-base.
Result<ApiFiles> compare_files(const github::Api& api, const std::string& repository, const std::string& base,
                               const std::string& head);

// One page of GitHub's file objects ({filename, status, previous_filename}) appended to `out`.
Result<void> parse_api_files(std::string_view json_array_or_compare, std::vector<Change>& out);

} // namespace sbdeploy::changes
