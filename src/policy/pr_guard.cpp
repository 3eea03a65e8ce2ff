#include "policy/pr_guard.hpp"

#include "policy/hotfix.hpp"
#include "util/strings.hpp"

namespace sbdeploy::policy {

namespace {

using util::quoted;

bool matches_any(const std::vector<std::string>& globs, const std::string& branch) {
    for (const auto& g : globs)
        if (glob_match(g, branch)) return true;
    return false;
}

// "staging" or "develop"
std::string alternatives(const std::vector<std::string>& globs) {
    std::string s;
    for (std::size_t i = 0; i < globs.size(); ++i) {
        if (i > 0) s += i + 1 == globs.size() ? " or " : ", ";
        s += quoted(globs[i]);
    }
    return s;
}

// Who may merge: `the staging branch ("staging" or "develop") or a hotfix branch ("hotfix/*")`.
std::string who_may_merge(const GuardRules& r) {
    std::string s;
    if (!r.release_branches.empty())
        s = "the " + r.release_environment + " branch (" + alternatives(r.release_branches) + ")";
    if (!r.hotfix_pattern.empty())
        s += (s.empty() ? "" : " or ") + std::string("a hotfix branch (") + quoted(r.hotfix_pattern) + ")";
    return s;
}

std::string label(const PullRequestRef& pr) {
    return pr.number ? "pull request #" + std::to_string(*pr.number) : std::string("pull request");
}

} // namespace

GuardRules guard_rules(const Mapping& mapping, std::string protected_environment, std::string release_environment,
                       std::string hotfix_pattern) {
    GuardRules r;
    r.protected_branches = branches_of(mapping, protected_environment);
    r.release_branches = branches_of(mapping, release_environment);
    r.protected_environment = std::move(protected_environment);
    r.release_environment = std::move(release_environment);
    r.hotfix_pattern = std::move(hotfix_pattern);
    return r;
}

GuardDecision check_pull_request(const PullRequestRef& pr, const GuardRules& r) {
    const std::string into = label(pr) + " into " + quoted(pr.base);
    if (!matches_any(r.protected_branches, pr.base))
        return {GuardVerdict::not_applicable, into + " does not deploy to " + r.protected_environment, ""};
    const std::string from_into = label(pr) + " from " + (pr.fork ? "a fork's " : "") + quoted(pr.head) + " into " +
                                  quoted(pr.base);
    if (!pr.fork && matches_any(r.release_branches, pr.head))
        return {GuardVerdict::allowed,
                from_into + ": the " + r.release_environment + " branch may merge into " + r.protected_environment, ""};
    if (auto hotfix = hotfix_reason(pr.head, pr.fork, pr.labels, r.hotfix_pattern))
        return {GuardVerdict::allowed, from_into + ": " + *hotfix + " may merge into " + r.protected_environment, ""};
    std::string who = who_may_merge(r);
    std::string reason = from_into + ": " + (who.empty() ? "no branch" : "only " + who) +
                         (pr.fork && !who.empty() ? " of this repository" : "") + " may merge into " + quoted(pr.base) +
                         ", which deploys to " + r.protected_environment;
    std::string hint;
    if (!r.release_branches.empty())
        hint = "merge it into " + quoted(r.release_branches.front()) + " first, then open a pull request from " +
               quoted(r.release_branches.front()) + " into " + quoted(pr.base) + "; ";
    if (!r.hotfix_pattern.empty())
        hint += "an urgent fix goes on a branch matching " + quoted(r.hotfix_pattern) + " (--hotfix-pattern); ";
    hint += "--no-pr-guard turns this check off";
    return {GuardVerdict::refused, std::move(reason), std::move(hint)};
}

} // namespace sbdeploy::policy
