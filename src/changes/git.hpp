// The git commands paths-filter needs, run with util::run_process in one working tree:
// resolving revisions, merge-bases, fetching single commits and deepening a shallow
// history, and the raw diff of two commits. Nothing here prints.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "changes/diff.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace sbdeploy::changes {

using ProcessEnv = std::map<std::string, std::string, std::less<>>;

struct GitSettings {
    std::string program = "git";
    std::string workdir;
    ProcessEnv env;  // the whole environment of every git process
    std::string remote = "origin";
    std::chrono::milliseconds local_timeout{120'000};
    std::chrono::milliseconds fetch_timeout{600'000};
};

// How far back a fetch goes: `n` commits from each fetched tip (--depth; 1 is the commit
// alone), the whole history (--unshallow), or git's default for the repository.
struct FetchDepth {
    enum class Kind { normal, depth, unshallow };
    Kind kind = Kind::normal;
    long n = 0;
};

class Git {
public:
    explicit Git(GitSettings settings);

    // Runs `git <args>` in the working tree; fails only when git cannot be started.
    // With `on_out`, stdout goes to it as it arrives (see util::ProcessSpec::on_out).
    [[nodiscard]] Result<util::ProcessResult> run(const std::vector<std::string>& args,
                                                  std::chrono::milliseconds timeout = {},
                                                  std::function<void(std::string_view)> on_out = {}) const;

    // Commits (full object names) that resolve() will be asked about, the likeliest to be
    // here first: they are checked in the same `git rev-parse` that learns the repository
    // facts below, so a run whose commits are here starts no git process per commit.
    // Call before anything else.
    void expect(const std::vector<std::string>& commits);

    // The working tree is inside a git repository.
    [[nodiscard]] bool is_repository() const;
    // The working tree's path below the repository root, "" or ending in "/".
    [[nodiscard]] Result<std::string> prefix() const;
    [[nodiscard]] Result<bool> is_shallow() const;
    [[nodiscard]] bool has_remote() const;

    // The full object name of a commit-ish, or nothing when it does not name one here.
    [[nodiscard]] std::optional<std::string> resolve(const std::string& rev) const;
    // The merge-base of two commits, or nothing when (in the history present) they have none.
    [[nodiscard]] Result<std::optional<std::string>> merge_base(const std::string& a, const std::string& b) const;
    // The parents written in a commit object (readable even at a shallow boundary).
    [[nodiscard]] Result<std::vector<std::string>> parents(const std::string& commit) const;
    // The branch origin/HEAD points to ("main"), or nothing.
    [[nodiscard]] std::optional<std::string> remote_head() const;
    // The object name of the empty tree in this repository's hash.
    [[nodiscard]] Result<std::string> empty_tree() const;
    // Every tracked file of the repository (git ls-files), from its root.
    [[nodiscard]] Result<std::vector<std::string>> tracked_files() const;

    // `git fetch --no-tags <remote> <refspecs>` at `depth`; the error carries git's message.
    [[nodiscard]] Result<void> fetch(const std::vector<std::string>& refspecs, FetchDepth depth) const;

    // `git diff --raw -z -M --no-abbrev base head`, read as it arrives: the changes `keep`
    // selects (all without it), and how many changed files there are in all.
    struct DiffResult {
        std::vector<Change> changes;
        std::size_t total = 0;
    };
    [[nodiscard]] Result<DiffResult> diff(const std::string& base, const std::string& head,
                                          const Keep& keep = {}) const;

    [[nodiscard]] const GitSettings& settings() const { return settings_; }

private:
    // Runs git and returns its stdout, or an io error "git <what>: <stderr>".
    [[nodiscard]] Result<std::string> output(const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout = {}) const;

    // is_repository, prefix and is_shallow from one `git rev-parse` (git's start-up is most
    // of what paths-filter costs beside the diff), kept until a fetch changes the history.
    struct Facts {
        bool repository = false;
        std::string prefix;
        bool shallow = false;
    };
    [[nodiscard]] Result<Facts> facts() const;

    GitSettings settings_;
    mutable std::optional<Facts> facts_;
    mutable std::optional<bool> has_remote_;
    mutable std::vector<std::string> expected_;  // checked with the first facts
    // Commits found present (by the name asked for): objects never go away during a run.
    mutable std::map<std::string, std::string, std::less<>> resolved_;
};

// The first line of git's stderr without the "fatal: " / "error: " prefix, for messages.
std::string git_message(const util::ProcessResult& r);

} // namespace sbdeploy::changes
