// What a push took away from a folder, read with git: the files of the folder that the
// diff base..head deletes (or renames away), and files' contents at a commit (`git show`),
// so that what the head no longer has can still be read from its parent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "changes/git.hpp"

namespace sbdeploy::changes {

// The paths (from the repository root) of files directly in `folder` (a path from the
// repository root, without a trailing "/") that exist in `base` and that the diff
// base..head deletes or renames away, in git's order. Files in subfolders are not listed.
Result<std::vector<std::string>> removed_from_folder(const Git& git, const std::string& base, const std::string& head,
                                                     const std::string& folder);

// The content of each of `paths` (from the repository root) in `commit`, nullopt for a
// path that is not a file there: one `git ls-tree`, then one `git show <commit>:<path>`
// per file found.
Result<std::vector<std::optional<std::string>>> files_at(const Git& git, const std::string& commit,
                                                         const std::vector<std::string>& paths);

} // namespace sbdeploy::changes
