#include "policy/mapping.hpp"

#include "util/strings.hpp"

namespace sbdeploy::policy {

namespace {

using util::quoted;

bool is_pull_request_event(std::string_view event) {
    return event == "pull_request" || event == "pull_request_target";
}

// Pull requests and merge groups are matched on the branch they go into.
bool targets_base(const Facts& f) { return is_pull_request_event(f.event) || f.event == "merge_group"; }

std::string pr_label(const Facts& f) {
    return f.pr_number ? "pull request #" + std::to_string(*f.pr_number) : std::string("pull request");
}

// What the run is, for reasons: `push to "main"`, `pull request #2 into "master"`.
std::string subject(const Facts& f) {
    if (f.event == "push") return "push to " + quoted(f.branch);
    if (is_pull_request_event(f.event)) return pr_label(f) + " into " + quoted(f.base_ref);
    if (f.event == "merge_group") return "merge group into " + quoted(f.base_ref);
    std::string s = "event " + quoted(f.event);
    if (!f.branch.empty()) s += " on " + quoted(f.branch);
    return s;
}

Resolution none(std::string reason) { return Resolution{"", Action::none, std::move(reason)}; }

Resolution chosen(std::string environment, Action action, std::string reason) {
    return Resolution{std::move(environment), action, std::move(reason)};
}

Resolution by_override(const std::string& environment, Action action) {
    return chosen(environment, action, "--environment selects " + environment);
}

std::string mapped_reason(const Facts& f, Action action, const std::string& environment) {
    switch (action) {
    case Action::validate: return subject(f) + " validates against " + environment;
    case Action::push: return subject(f) + " maps to " + environment;
    case Action::none: break;
    }
    return subject(f) + " maps to no action";
}

const Rule* find_rule(const Mapping& mapping, const Facts& f) {
    const std::string& branch = targets_base(f) ? f.base_ref : f.branch;
    for (const auto& rule : mapping.rules)
        if (rule.event == f.event && glob_match(rule.branch, branch)) return &rule;
    return nullptr;
}

const std::string kNameHint = "environment names are letters, digits, \"-\" and \"_\", such as staging or production";

} // namespace

std::string_view action_name(Action a) {
    switch (a) {
    case Action::none: return "none";
    case Action::validate: return "validate";
    case Action::push: return "push";
    }
    return "none";
}

const Mapping& default_mapping() {
    static const Mapping mapping{{
        {"push", "main", "production", Action::push, EnvironmentFrom::rule},
        {"push", "master", "production", Action::push, EnvironmentFrom::rule},
        {"push", "staging", "staging", Action::push, EnvironmentFrom::rule},
        {"push", "develop", "staging", Action::push, EnvironmentFrom::rule},
        {"pull_request", "*", "staging", Action::validate, EnvironmentFrom::rule},
        {"pull_request_target", "*", "staging", Action::validate, EnvironmentFrom::rule},
        {"merge_group", "*", "staging", Action::validate, EnvironmentFrom::rule},
        {"workflow_dispatch", "*", "environment", Action::push, EnvironmentFrom::input},
    }};
    return mapping;
}

bool is_environment_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative with one backtrack point: linear enough for branch names, no recursion.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

Result<Resolution> resolve(const Facts& f, const std::optional<std::string>& environment_override,
                           const Mapping& mapping) {
    if (environment_override && !is_environment_name(*environment_override))
        return fail(ErrorKind::usage, "option --environment: " + quoted(*environment_override) + " is not an environment name",
                    kNameHint);
    const auto& override_env = environment_override;

    // Decided before the table: nothing exists to deploy, or another run deploys it.
    if (f.deleted) {
        if (!f.tag.empty()) return none("tag " + quoted(f.tag) + " was deleted, nothing to deploy");
        return none("branch " + quoted(f.branch) + " was deleted, nothing to deploy");
    }
    if (is_pull_request_event(f.event) && f.action == "closed") {
        if (f.merged) return none(pr_label(f) + " was merged: the push to " + quoted(f.base_ref) + " deploys it");
        return none(pr_label(f) + " was closed without merging");
    }
    if (f.event == "push" && !f.tag.empty()) {
        if (override_env) return by_override(*override_env, Action::push);
        return none("push of tag " + quoted(f.tag) + " deploys nothing");
    }

    if (const Rule* rule = find_rule(mapping, f)) {
        if (rule->from == EnvironmentFrom::input) {
            if (override_env) return by_override(*override_env, rule->action);
            auto it = f.inputs.find(rule->environment);
            std::string given = it == f.inputs.end() ? std::string() : std::string(util::trim(it->second));
            if (given.empty())
                return none(f.event + " gives no environment: set the " + quoted(rule->environment) +
                            " input or --environment");
            if (!is_environment_name(given))
                return fail(ErrorKind::input,
                            f.event + " input " + quoted(rule->environment) + ": " + quoted(given) +
                                " is not an environment name",
                            kNameHint);
            return chosen(given, rule->action, f.event + " input " + quoted(rule->environment) + " selects " + given);
        }
        if (rule->action == Action::none) return none(mapped_reason(f, Action::none, ""));
        if (override_env) return by_override(*override_env, rule->action);
        return chosen(rule->environment, rule->action, mapped_reason(f, rule->action, rule->environment));
    }

    // Code that is not merged yet (any pull request event) is only ever validated.
    if (override_env) return by_override(*override_env, targets_base(f) || f.pr_number ? Action::validate : Action::push);
    if (f.event.empty()) return none("no GitHub event and no --environment given");
    return none(subject(f) + " maps to no environment");
}

} // namespace sbdeploy::policy
