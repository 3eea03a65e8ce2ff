#include "policy/mapping.hpp"

#include <algorithm>

#include "util/glob.hpp"
#include "util/strings.hpp"

namespace sbdeploy::policy {

namespace {

using util::quoted;

bool is_pull_request_event(std::string_view event) { return event == "pull_request" || event == "pull_request_target"; }

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

const Rule* find_rule(const Mapping& mapping, std::string_view event, std::string_view branch) {
    for (const auto& rule : mapping.rules)
        if (rule.event == event && glob_match(rule.branch, branch)) return &rule;
    return nullptr;
}

const Rule* find_rule(const Mapping& mapping, const Facts& f) {
    return find_rule(mapping, f.event, targets_base(f) ? f.base_ref : f.branch);
}

const std::string kEnvironmentsHint =
    "write --environments as NAME=BRANCH,BRANCH;NAME=BRANCH, such as "
    "\"production=main,master;staging=staging,develop\" (branches may be globs: release/*)";

Error environments_error(std::string message) {
    return make_error(ErrorKind::config, "option --environments: " + std::move(message), kEnvironmentsHint);
}

// "a,b,{c,d}" -> "a", "b", "{c,d}": commas inside braces belong to the glob.
std::vector<std::string> split_globs(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    int depth = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            current += c;
            current += text[++i];
            continue;
        }
        if (c == '{') ++depth;
        if (c == '}' && depth > 0) --depth;
        if (c == ',' && depth == 0) {
            out.emplace_back(util::trim(current));
            current.clear();
            continue;
        }
        current += c;
    }
    out.emplace_back(util::trim(current));
    return out;
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

Result<std::vector<EnvironmentBranches>> parse_environments(std::string_view spec) {
    std::vector<EnvironmentBranches> out;
    std::vector<std::pair<std::string, std::string>> seen;  // glob -> environment
    for (auto& line : util::split(spec, '\n')) {
        for (auto& part_text : util::split(line, ';')) {
            std::string_view part = util::trim(part_text);
            if (part.empty()) continue;
            auto eq = part.find('=');
            if (eq == std::string_view::npos)
                return fail(environments_error(util::quoted(part) +
                                               " has no \"=\" between the environment and its branches"));
            std::string name(util::trim(part.substr(0, eq)));
            if (!is_environment_name(name))
                return fail(environments_error(util::quoted(name) +
                                               " is not an environment name (letters, digits, \"-\" and \"_\")"));
            if (name == "none" || name == kValidateAgainstBase)
                return fail(environments_error(util::quoted(name) + " cannot name an environment: it is a keyword"));
            if (std::any_of(out.begin(), out.end(), [&](const auto& e) { return e.name == name; }))
                return fail(environments_error("environment " + util::quoted(name) + " is given twice"));
            EnvironmentBranches env{name, {}};
            std::string_view branches = util::trim(part.substr(eq + 1));
            if (branches.empty())
                return fail(environments_error("environment " + util::quoted(name) + " has no branches"));
            for (auto& glob : split_globs(branches)) {
                if (glob.empty())
                    return fail(environments_error("environment " + util::quoted(name) + ": an empty branch in " +
                                                   util::quoted(branches)));
                if (auto compiled = util::Glob::compile(glob); !compiled)
                    return fail(environments_error("environment " + util::quoted(name) + ": branch " +
                                                   util::quoted(glob) + ": " + compiled.error().message));
                for (const auto& [other_glob, other_env] : seen)
                    if (other_glob == glob)
                        return fail(environments_error("branch " + util::quoted(glob) + " is mapped to both " +
                                                       other_env + " and " + name));
                seen.emplace_back(glob, name);
                env.branches.push_back(std::move(glob));
            }
            out.push_back(std::move(env));
        }
    }
    if (out.empty()) return fail(environments_error("no environment given"));
    return out;
}

Mapping make_mapping(const std::vector<EnvironmentBranches>& environments, std::string_view validate_against) {
    Mapping m;
    for (const auto& env : environments)
        for (const auto& branch : env.branches)
            m.rules.push_back({"push", branch, env.name, Action::push, EnvironmentFrom::rule});
    bool from_base = validate_against == kValidateAgainstBase;
    auto from = from_base ? EnvironmentFrom::base : EnvironmentFrom::rule;
    std::string target = from_base ? std::string() : std::string(validate_against);
    for (const char* event : {"pull_request", "pull_request_target", "merge_group"})
        m.rules.push_back({event, "**", target, Action::validate, from});
    m.rules.push_back({"workflow_dispatch", "**", "environment", Action::push, EnvironmentFrom::input});
    return m;
}

Result<Mapping> configure_mapping(std::string_view environments, std::string_view validate_against) {
    auto parsed = parse_environments(environments);
    if (!parsed) return fail(std::move(parsed.error()));
    validate_against = util::trim(validate_against);
    if (validate_against != kValidateAgainstBase && !is_environment_name(validate_against))
        return fail(ErrorKind::config,
                    "option --validate-against: " + util::quoted(validate_against) + " is not an environment name",
                    "name the environment pull requests are dry-run against, such as staging, or \"base\" for the "
                    "environment their base branch deploys to");
    return make_mapping(*parsed, validate_against);
}

const Mapping& default_mapping() {
    static const Mapping mapping = make_mapping(*parse_environments(kDefaultEnvironments), kDefaultValidateAgainst);
    return mapping;
}

std::vector<std::string> branches_of(const Mapping& mapping, std::string_view environment) {
    std::vector<std::string> out;
    for (const auto& rule : mapping.rules)
        if (rule.event == "push" && rule.from == EnvironmentFrom::rule && rule.environment == environment &&
            rule.action == Action::push)
            out.push_back(rule.branch);
    return out;
}

std::string environment_variable_part(std::string_view environment) {
    return util::replace_all(util::to_upper(environment), "-", "_");
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
    if (pattern == "**") return true;
    auto glob = util::Glob::compile(pattern);
    return glob && glob->matches(text);
}

Result<Resolution> resolve(const Facts& f, const std::optional<std::string>& environment_override,
                           const Mapping& mapping) {
    if (environment_override && !is_environment_name(*environment_override))
        return fail(ErrorKind::usage,
                    "option --environment: " + quoted(*environment_override) + " is not an environment name",
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
        if (rule->from == EnvironmentFrom::base) {
            const Rule* base = find_rule(mapping, "push", f.base_ref);
            if (base == nullptr || base->action != Action::push)
                return none(subject(f) + " validates against the environment of its base, and " + quoted(f.base_ref) +
                            " maps to none");
            return chosen(base->environment, rule->action,
                          subject(f) + " validates against " + base->environment + ", where " + quoted(f.base_ref) +
                              " deploys");
        }
        return chosen(rule->environment, rule->action, mapped_reason(f, rule->action, rule->environment));
    }

    // Code that is not merged yet (any pull request event) is only ever validated.
    if (override_env)
        return by_override(*override_env, targets_base(f) || f.pr_number ? Action::validate : Action::push);
    if (f.event.empty()) return none("no GitHub event and no --environment given");
    return none(subject(f) + " maps to no environment");
}

} // namespace sbdeploy::policy
