#include "changes/removed.hpp"

#include <set>

#include "changes/base.hpp"

namespace sbdeploy::changes {

namespace {

bool directly_in(const std::string& path, const std::string& folder) {
    const std::string prefix = folder.empty() ? std::string() : folder + "/";
    return path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos;
}

} // namespace

Result<std::vector<std::string>> removed_from_folder(const Git& git, const std::string& base, const std::string& head,
                                                     const std::string& folder) {
    // A deleted file, or the old side of a rename (a revert that also adds a similar file
    // shows as one): either way the path is gone from the head.
    auto keep = [&](const Change& c) {
        return (c.status == Status::deleted || c.status == Status::renamed) && directly_in(base_path(c), folder);
    };
    auto diff = git.diff(base, head, keep);
    if (!diff) return fail(diff.error());
    std::vector<std::string> paths;
    for (const auto& c : diff->changes) paths.push_back(base_path(c));
    return paths;
}

Result<std::vector<std::optional<std::string>>> files_at(const Git& git, const std::string& commit,
                                                         const std::vector<std::string>& paths) {
    std::vector<std::optional<std::string>> contents(paths.size());
    if (paths.empty()) return contents;
    // Which of them are files in the commit (a missing one is no error: most candidates are).
    std::vector<std::string> args = {"ls-tree", "-z", "--full-tree", "--end-of-options", commit, "--"};
    args.insert(args.end(), paths.begin(), paths.end());
    auto listed = git.run(args);
    if (!listed) return fail(listed.error());
    if (!listed->ok()) return fail(ErrorKind::io, "git ls-tree " + short_sha(commit) + ": " + git_message(*listed));
    std::set<std::string, std::less<>> blobs;
    std::string_view out = listed->out;
    // "<mode> SP <type> SP <object> TAB <path> NUL"
    while (!out.empty()) {
        auto nul = out.find('\0');
        std::string_view entry = out.substr(0, nul);
        out.remove_prefix(nul == std::string_view::npos ? out.size() : nul + 1);
        auto tab = entry.find('\t');
        if (tab == std::string_view::npos) continue;
        if (entry.substr(0, tab).find(" blob ") == std::string_view::npos) continue;
        blobs.emplace(entry.substr(tab + 1));
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (!blobs.contains(paths[i])) continue;
        auto shown = git.run({"show", "--no-textconv", "--end-of-options", commit + ":" + paths[i]});
        if (!shown) return fail(shown.error());
        if (!shown->ok())
            return fail(ErrorKind::io, "git show " + short_sha(commit) + ":" + paths[i] + ": " + git_message(*shown));
        contents[i] = std::move(shown->out);
    }
    return contents;
}

} // namespace sbdeploy::changes
