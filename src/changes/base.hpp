// Which two commits paths-filter compares, and why: the rule table per event (choose_rule),
// what each rule looks up first, and the same comparison as a GitHub API query. Pure: no git,
// no I/O. changes/resolve.hpp applies the rules to a git checkout.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "changes/git.hpp"
#include "github/event.hpp"
#include "github/runner.hpp"

namespace sbdeploy::changes {

// What the run says about the commits, from the event payload and the runner.
struct Request {
    std::string event;   // "push", "pull_request", ...; "" in a terminal
    std::string ref;     // full ref
    std::string branch;  // push: the branch; pull requests: the head branch
    std::string before;  // push: as in the payload (forty zeros for a new branch)
    std::string after;
    bool forced = false;   // push: a force push (the payload's "forced")
    // push: the payload says `"forced": false` (not merely leaves it out): GitHub moved the
    // branch forward from `before`, so `before` is an ancestor of `after`.
    bool fast_forward = false;
    bool deleted = false;  // a branch or tag deletion
    std::optional<long> pr_number;
    std::string pr_base_ref;
    std::string pr_base_sha;  // as recorded in the payload, possibly stale
    std::string pr_head_sha;
    bool pr_merged = false;
    std::string group_base_ref;
    std::string group_base_sha;
    std::string group_head_sha;
    std::string sha;             // GITHUB_SHA
    std::string default_branch;  // the payload's repository.default_branch
    std::string explicit_base;   // --base: a ref or a commit (any case, short allowed)
    std::string repository;      // owner/name
};

Request make_request(const github::RunFacts& facts, const github::Event& event, std::string explicit_base);

enum class Rule {
    nothing,        // tag push, branch deletion: nothing to compare
    push,           // before..after, or the merge-base of both after a force push
    new_branch,     // push with before = 0: merge-base with the default branch
    pull_request,   // merge-base of the base branch's tip and the head
    merge_group,    // base_sha..head_sha
    explicit_base,  // --base: that commit, or the merge-base with that ref
    default_branch, // anything else: merge-base with the default branch
};

std::string_view rule_name(Rule r);
Rule choose_rule(const Request& req);
// Why a `nothing` rule applies: `push of tag "v1"`, `deletion of branch "x"`.
std::string nothing_reason(const Request& req);
// The commits the rule for `req` looks up first (full names from the payload), for
// Git::expect.
std::vector<std::string> commits_to_check(const Request& req);

struct Range {
    Rule rule = Rule::nothing;
    std::string base;  // full commit name (or the empty tree); "" when nothing is compared
    std::string head;
    std::string reason;  // for people and the base_reason output
};

// What to ask the GitHub API for the same comparison.
struct ApiQuery {
    enum class Kind { none, pull_files, compare };
    Kind kind = Kind::none;
    long number = 0;   // pull_files
    std::string base;  // compare: base...head (three dots: from their merge-base)
    std::string head;
};
ApiQuery api_query(const Request& req, Rule rule);

// "1a2b3c4" from a full object name.
std::string short_sha(std::string_view sha);

} // namespace sbdeploy::changes
