// A changed path between two commits, as `git diff --raw -z` or the GitHub API reports
// it, and the parser of git's raw -z output (NUL-separated, so any byte but NUL and "/"
// can appear in a path: spaces, quotes, newlines, non-ASCII).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::changes {

enum class Status { added, modified, deleted, renamed, copied, type_changed, mode_changed };

// "added", "modified", "deleted", "renamed", "copied", "type_changed", "mode_changed".
std::string_view status_name(Status s);

struct Change {
    Status status = Status::modified;
    std::string path;      // the path in head; a deleted file's path in base
    std::string old_path;  // renamed and copied: the path in base
    std::string old_mode;  // octal as git prints it ("100644"); empty from the API
    std::string new_mode;
    int similarity = 0;    // renamed and copied: git's score, 0-100
};

// The change touches a file that exists on the base: modified, deleted, renamed, type
// or mode changed. Added and copied files are new.
bool existed_on_base(const Change& c);

// The path on the base: old_path for renames, path otherwise.
const std::string& base_path(const Change& c);

// Parses the output of `git diff --raw -z [-M]`. A modification that only changes the
// mode is mode_changed; one that changes the content (and maybe the mode) is modified.
// Malformed output is an io error quoting where it went wrong.
Result<std::vector<Change>> parse_raw_diff(std::string_view out);

} // namespace sbdeploy::changes
