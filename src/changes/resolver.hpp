// The git side of resolving paths-filter's base (changes/resolve.cpp): commits, branch tips
// and merge-bases looked up in the checkout, and fetched within --fetch-limit when a shallow
// checkout lacks them. Not part of the module's interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "changes/git.hpp"
#include "changes/resolve.hpp"

namespace sbdeploy::changes::detail {

// Hex digits only; a full object name (SHA-1 or SHA-256).
bool is_hex(std::string_view s);
bool is_full_sha(std::string_view s);

// One merge-base lookup's outcome.
struct Found {
    enum class State { found, unrelated, unavailable };
    State state = State::unavailable;
    std::string sha;
};

// Applies the rules to one repository. Every "unavailable" leaves its reason in `why`.
class Resolver {
public:
    Resolver(const Git& git, const ResolveSettings& settings, const Note& note)
        : git_(git), settings_(settings), note_(note) {}

    Result<void> init();

    // Asked only when something must be fetched (one git process less otherwise).
    bool remote() const { return git_.has_remote(); }
    bool can_fetch() const { return (settings_.fetch_limit > 0 || settings_.unlimited) && remote(); }
    bool shallow() const { return shallow_; }

    // Fetching a commit this repository has none of: in a shallow clone only that commit
    // (a plain fetch would bring its whole history), else as git would.
    FetchDepth new_ref_depth() const { return shallow_ ? FetchDepth{FetchDepth::Kind::depth, 1} : FetchDepth{}; }

    // Fetches a ref such as refs/pull/7/head; false (with `why`) when it cannot.
    bool fetch_ref(const std::string& refspec);

    // A commit by its full name: present, or fetched (one commit deep in a shallow clone).
    Result<std::optional<std::string>> commit(const std::string& sha, std::string_view what);

    // The current tip of a branch of the remote (fetched, so it is not stale), else the
    // remote-tracking or local branch already here.
    Result<std::optional<std::string>> branch_tip(const std::string& name);

    // Fetches the history behind `tips` one step deeper (16, 32, 64 ... commits from each
    // tip, at most the limit); false when it cannot. The depth counts from the tips
    // (--depth), not from the shallow boundary (--deepen): a server does not deepen
    // behind a commit no branch reaches any more, such as a force push's previous tip.
    Result<bool> deepen(const std::vector<std::string>& tips);

    Result<Found> merge_base(const std::string& a, const std::string& b);

    // A revision that may be short or any case: resolved here, fetched when it is a full
    // commit name, or looked for in deeper history behind `head`.
    Result<std::optional<std::string>> revision(const std::string& rev, const std::string& head);

    std::string why;

private:
    const Git& git_;
    const ResolveSettings& settings_;
    const Note& note_;
    bool shallow_ = false;
    long depth_ = 0;  // of the last history fetch
};

} // namespace sbdeploy::changes::detail
