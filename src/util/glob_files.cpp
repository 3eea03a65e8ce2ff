// The glob file walker: compile the pattern (so that a refused glob is an error wherever it is
// given), then walk from the literal folders before its first wildcard segment and keep what
// it matches.
#include "util/glob_files.hpp"

#include <algorithm>
#include <filesystem>

#include "util/glob.hpp"
#include "util/strings.hpp"

namespace sbdeploy::util {

namespace {

namespace fs = std::filesystem;

bool has_glob_chars(std::string_view segment) { return segment.find_first_of("*?[{\\") != std::string_view::npos; }

bool skipped(const fs::directory_entry& entry, SkipFolders skip) {
    if (skip == SkipFolders::none) return false;
    const auto name = entry.path().filename();
    return name == ".git" || name == "node_modules";
}

} // namespace

Result<std::vector<std::string>> match_files(const std::string& root, std::string_view pattern, SkipFolders skip) {
    while (pattern.starts_with("./")) pattern.remove_prefix(2);
    auto glob = Glob::compile(pattern);
    if (!glob) return fail(std::move(glob.error()));
    std::vector<std::string> matches;
    std::error_code ec;
    if (!has_glob_chars(pattern)) {
        if (fs::is_regular_file(fs::path(root) / pattern, ec)) matches.emplace_back(pattern);
        return matches;
    }
    // The literal folders before the first segment with a wildcard: where to search; without
    // ** no deeper than the pattern's segments.
    const auto segments = split(pattern, '/');
    std::string base;
    std::size_t literal = 0;
    while (literal + 1 < segments.size() && !has_glob_chars(segments[literal]))
        base += (base.empty() ? "" : "/") + segments[literal++];
    const bool deep = pattern.find("**") != std::string_view::npos;
    const int max_depth = static_cast<int>(segments.size() - literal) - 1;

    const fs::path from = base.empty() ? fs::path(root) : fs::path(root) / base;
    if (!fs::is_directory(from, ec)) return matches;
    fs::recursive_directory_iterator it(from, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (it->is_directory(ec)) {
            if (skipped(*it, skip) || (!deep && it.depth() >= max_depth)) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file(ec)) continue;
        std::string rel = it->path().lexically_relative(from).generic_string();
        if (!base.empty()) rel = base + "/" + rel;
        if (glob->matches(rel)) matches.push_back(std::move(rel));
    }
    std::sort(matches.begin(), matches.end());
    return matches;
}

} // namespace sbdeploy::util
