// The files below a folder that a glob (util/glob.hpp) matches: the one file walker behind
// every option that takes globs of files (seed sql_paths, --junit, --test-results). Paths
// are relative to the folder, "/" separated.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::util {

// SkipFolders::tooling: `.git` and `node_modules` folders are not searched.
enum class SkipFolders { none, tooling };

// The regular files under `root` that `pattern` (relative to it; a leading "./" ignored)
// matches, sorted. Without "**" the walk goes no deeper than the pattern's segments; a
// pattern without wildcards names one file. A pattern util::Glob refuses is its config error
// (message and hint as Glob gives them), for the caller to prefix with where it came from.
Result<std::vector<std::string>> match_files(const std::string& root, std::string_view pattern, SkipFolders skip);

} // namespace sbdeploy::util
