// The pull request guard: a pull request into a branch that deploys to production must come
// from the staging branch (the branches of the promotion source) or from a hotfix branch.
// A pure rule: the CLI fails the validate check when it refuses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/mapping.hpp"

namespace sbdeploy::policy {

struct PullRequestRef {
    std::optional<long> number;
    std::string head;  // the source branch
    std::string base;  // the target branch
    bool fork = false;  // the head is in another repository: never this repository's staging branch
    std::vector<std::string> labels = {};  // a "hotfix" label makes it a hotfix (policy/hotfix.hpp)
};

struct GuardRules {
    std::string protected_environment;            // "production"
    std::vector<std::string> protected_branches;  // globs: bases whose pushes deploy there
    std::string release_environment;              // "staging"
    std::vector<std::string> release_branches;    // globs: heads that may merge
    std::string hotfix_pattern;                   // glob; "" for none
};

// The rules from the mapping: bases = branches_of(protected), heads = branches_of(release).
GuardRules guard_rules(const Mapping& mapping, std::string protected_environment, std::string release_environment,
                       std::string hotfix_pattern);

enum class GuardVerdict { not_applicable, allowed, refused };

struct GuardDecision {
    GuardVerdict verdict = GuardVerdict::not_applicable;
    std::string reason;  // one line: why it applies or not, and the verdict
    std::string hint;    // refused only: which branch may merge, and how to proceed
};

GuardDecision check_pull_request(const PullRequestRef& pr, const GuardRules& rules);

} // namespace sbdeploy::policy
