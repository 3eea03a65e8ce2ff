// The changes a filter selects, grouped the way paths-filter reports them, and the file
// list formats of dorny/paths-filter's `list-files` (none, csv, json, shell, escape).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "changes/diff.hpp"
#include "util/glob.hpp"

namespace sbdeploy::changes {

struct Selection {
    std::vector<Change> matched;  // in diff order
    std::vector<std::string> files;     // each change's path (a deleted file's old path)
    std::vector<std::string> added;     // added and copied
    std::vector<std::string> modified;  // content, type or mode changed
    std::vector<std::string> deleted;
    std::vector<std::pair<std::string, std::string>> renamed;  // from, to
    // Matched changes to files that exist on the base: modified (content or type), renamed
    // or deleted; a mode change alone is not an edit.
    std::vector<Change> edited_existing;
};

// A change is selected when its path, or a rename's (or copy's) old path, passes the filter.
bool selects(const util::GlobList& filter, const Change& c);
Selection select(const std::vector<Change>& changes, const util::GlobList& filter);
// The changes `keep` selects (paths-filter's named filters: any of them).
Selection select(const std::vector<Change>& changes, const std::function<bool(const Change&)>& keep);

enum class ListFormat { none, csv, json, shell, escape };
std::optional<ListFormat> parse_list_format(std::string_view text);

// As dorny/paths-filter writes them (src/list-format/*.ts): csv: RFC 4180 fields, quoted
// only when needed; json: an array; shell: words quoted for a POSIX shell only when needed;
// escape: every unsafe character backslash-escaped. A name with a newline is always quoted,
// and escape writes the newline as '<newline>', so the shell reads it back. none: "".
std::string format_list(const std::vector<std::string>& files, ListFormat format);

// A JSON array of strings.
std::string json_strings(const std::vector<std::string>& values);
// [{"from": ..., "to": ...}, ...]
std::string json_renames(const std::vector<std::pair<std::string, std::string>>& renames);

// A path safe to print on one line: control characters as \n, \t, \xNN, a backslash
// doubled, and then double quotes around it when anything was escaped or it has spaces
// at its ends. Workflow commands hidden in a file name cannot reach the log this way.
std::string printable_path(std::string_view path);

// A path as a glob that matches exactly it (the default filter's folder).
std::string glob_escape(std::string_view path);

} // namespace sbdeploy::changes
