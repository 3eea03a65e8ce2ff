// Rule compliance, as the seeds practise it: branch names (feature/*, fix/*, hotfix/*,
// configurable), conventional-commit PR titles and commit subjects, and the promotion
// rule for pull request bases (work branches into staging; only staging or a hotfix into
// production). Pure: subjects in, RuleEvents out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/records.hpp"
#include "util/error.hpp"
#include "util/glob.hpp"

namespace sbdeploy::metrics {

// Every list holds globs (util::Glob): "release/*" matches "release/1.2".
struct RuleSettings {
    std::vector<std::string> branch_patterns{"feature/*", "fix/*", "hotfix/*"};
    std::vector<std::string> hotfix_patterns{"hotfix/*"};
    std::vector<std::string> staging_branches{"staging", "develop"};
    std::vector<std::string> production_branches{"main", "master"};
};

class Rules {
public:
    // Errors name the bad pattern (a config error).
    static Result<Rules> compile(const RuleSettings& settings);

    // Nothing when the branch is compliant; else why not.
    [[nodiscard]] std::optional<std::string> branch_naming(std::string_view branch) const;
    [[nodiscard]] std::optional<std::string> pr_base(std::string_view head, std::string_view base) const;
    // Whether the rule applies to a PR into `base` (staging or production).
    [[nodiscard]] bool base_rule_applies(std::string_view base) const;

    [[nodiscard]] const RuleSettings& settings() const { return settings_; }

private:
    [[nodiscard]] bool matches_work_branch(std::string_view branch) const;
    [[nodiscard]] bool is_staging(std::string_view branch) const;
    [[nodiscard]] bool is_production(std::string_view branch) const;
    [[nodiscard]] bool is_hotfix(std::string_view branch) const;

    RuleSettings settings_;
    std::vector<util::Glob> branch_globs_;
    std::vector<util::Glob> hotfix_globs_;
    std::vector<util::Glob> staging_globs_;
    std::vector<util::Glob> production_globs_;
};

// "feat: x", "fix(api)!: y", "Revert \"...\"" (git's revert subject); case-insensitive types
// feat fix docs style refactor perf test build ci chore revert. Nothing when compliant.
std::optional<std::string> conventional_problem(std::string_view title);

// Subjects git writes itself ("Merge pull request #1 ...", "Merge branch 'x'"): not checked.
bool is_generated_merge_subject(std::string_view subject);

struct PullRequestSubject {
    std::string repository;
    long number = 0;
    std::string title;
    std::string head;
    std::string base;
    std::int64_t timestamp = 0;
    std::string run_id;
};

// branch-naming, conventional-title and (into staging or production) pr-base.
std::vector<RuleEvent> check_pull_request(const Rules& rules, const PullRequestSubject& pr);

// conventional-commit on the subject (first line) of a commit message; nothing for git's
// own merge subjects.
std::optional<RuleEvent> check_commit(std::string_view repository, std::string_view sha, std::string_view message,
                                      std::int64_t timestamp, std::string_view run_id);

} // namespace sbdeploy::metrics
