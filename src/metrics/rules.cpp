#include "metrics/rules.hpp"

#include <array>

#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

constexpr std::array<std::string_view, 11> kConventionalTypes = {"feat", "fix",   "docs", "style", "refactor", "perf",
                                                                 "test", "build", "ci",   "chore", "revert"};

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string r;
    for (std::size_t i = 0; i < items.size(); ++i) r += (i ? std::string(sep) : "") + items[i];
    return r;
}

bool any_match(const std::vector<util::Glob>& globs, std::string_view name) {
    for (const auto& g : globs)
        if (g.matches(name)) return true;
    return false;
}

RuleEvent rule(std::string_view repository, std::string_view name, std::string_view category,
               std::string_view context_type, std::string context_id, std::string_view subject,
               const std::optional<std::string>& problem, std::int64_t timestamp, std::string_view run_id) {
    RuleEvent e;
    e.repository = repository;
    e.rule_name = name;
    e.rule_category = category;
    e.status = problem ? Compliance::violation : Compliance::compliant;
    e.context_type = context_type;
    e.context_id = std::move(context_id);
    e.subject = subject;
    e.details = problem.value_or("");
    e.event_timestamp = timestamp;
    e.run_id = run_id;
    return e;
}

} // namespace

Result<Rules> Rules::compile(const RuleSettings& settings) {
    Rules r;
    r.settings_ = settings;
    auto compile = [](const std::vector<std::string>& patterns, std::vector<util::Glob>& out) -> Result<void> {
        for (const auto& p : patterns) {
            auto g = util::Glob::compile(p);
            if (!g)
                return fail(ErrorKind::config, "branch rule " + util::quoted(p) + ": " + g.error().message,
                            "write branch rules as globs such as feature/* (one a line)");
            out.push_back(std::move(*g));
        }
        return {};
    };
    for (auto [patterns, globs] : {std::pair{&settings.branch_patterns, &r.branch_globs_},
                                   std::pair{&settings.hotfix_patterns, &r.hotfix_globs_},
                                   std::pair{&settings.staging_branches, &r.staging_globs_},
                                   std::pair{&settings.production_branches, &r.production_globs_}})
        if (auto ok = compile(*patterns, *globs); !ok) return fail(ok.error());
    return r;
}

bool Rules::matches_work_branch(std::string_view b) const { return any_match(branch_globs_, b); }
bool Rules::is_staging(std::string_view b) const { return any_match(staging_globs_, b); }
bool Rules::is_production(std::string_view b) const { return any_match(production_globs_, b); }
bool Rules::is_hotfix(std::string_view b) const { return any_match(hotfix_globs_, b); }

std::optional<std::string> Rules::branch_naming(std::string_view branch) const {
    if (matches_work_branch(branch) || is_staging(branch) || is_production(branch)) return std::nullopt;
    return "branch " + util::quoted(branch) + " matches none of " + join(settings_.branch_patterns, ", ");
}

bool Rules::base_rule_applies(std::string_view base) const { return is_staging(base) || is_production(base); }

std::optional<std::string> Rules::pr_base(std::string_view head, std::string_view base) const {
    if (is_production(base)) {
        if (is_staging(head) || is_hotfix(head)) return std::nullopt;
        std::vector<std::string> allowed = settings_.staging_branches;
        allowed.insert(allowed.end(), settings_.hotfix_patterns.begin(), settings_.hotfix_patterns.end());
        return util::quoted(head) + " into " + util::quoted(base) + ": only " + join(allowed, ", ") +
               " may merge into " + std::string(base);
    }
    if (is_staging(base)) {
        if (matches_work_branch(head) || is_production(head)) return std::nullopt;
        return util::quoted(head) + " into " + util::quoted(base) + ": only " + join(settings_.branch_patterns, ", ") +
               " branches merge into " + std::string(base);
    }
    return std::nullopt;
}

std::optional<std::string> conventional_problem(std::string_view title) {
    std::string_view t = util::trim(title);
    if (t.starts_with("Revert \"")) return std::nullopt;
    std::size_t i = 0;
    while (i < t.size() && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z'))) ++i;
    std::string type = util::to_lower(t.substr(0, i));
    bool known = false;
    for (auto k : kConventionalTypes) known = known || k == type;
    constexpr std::string_view kExpected =
        "; expected \"<type>[(scope)][!]: <description>\" with type feat, fix, docs, "
        "style, refactor, perf, test, build, ci, chore or revert";
    if (!known)
        return (type.empty() ? std::string("no type") : "unknown type " + util::quoted(t.substr(0, i))) +
               std::string(kExpected);
    if (i < t.size() && t[i] == '(') {
        auto close = t.find(')', i);
        if (close == std::string_view::npos || close == i + 1 ||
            t.substr(i + 1, close - i - 1).find('(') != std::string_view::npos)
            return "empty or unclosed scope" + std::string(kExpected);
        i = close + 1;
    }
    if (i < t.size() && t[i] == '!') ++i;
    if (i + 1 >= t.size() || t[i] != ':' || t[i + 1] != ' ' || util::trim(t.substr(i + 2)).empty())
        return "no \": \" and description after the type" + std::string(kExpected);
    return std::nullopt;
}

bool is_generated_merge_subject(std::string_view subject) {
    return subject.starts_with("Merge pull request #") || subject.starts_with("Merge branch '") ||
           subject.starts_with("Merge remote-tracking branch '") || subject.starts_with("Merge tag '");
}

std::vector<RuleEvent> check_pull_request(const Rules& rules, const PullRequestSubject& pr) {
    std::vector<RuleEvent> out;
    const std::string id = std::to_string(pr.number);
    if (!pr.head.empty())
        out.push_back(rule(pr.repository, "branch-naming", "branching", "pull_request", id, pr.head,
                           rules.branch_naming(pr.head), pr.timestamp, pr.run_id));
    out.push_back(rule(pr.repository, "conventional-title", "commits", "pull_request", id, pr.title,
                       conventional_problem(pr.title), pr.timestamp, pr.run_id));
    if (!pr.head.empty() && rules.base_rule_applies(pr.base))
        out.push_back(rule(pr.repository, "pr-base", "promotion", "pull_request", id, pr.head + " -> " + pr.base,
                           rules.pr_base(pr.head, pr.base), pr.timestamp, pr.run_id));
    return out;
}

std::optional<RuleEvent> check_commit(std::string_view repository, std::string_view sha, std::string_view message,
                                      std::int64_t timestamp, std::string_view run_id) {
    std::string_view subject = message.substr(0, message.find('\n'));
    if (!subject.empty() && subject.back() == '\r') subject.remove_suffix(1);
    if (is_generated_merge_subject(subject) || sha.empty()) return std::nullopt;
    return rule(repository, "conventional-commit", "commits", "commit", std::string(sha), subject,
                conventional_problem(subject), timestamp, run_id);
}

} // namespace sbdeploy::metrics
