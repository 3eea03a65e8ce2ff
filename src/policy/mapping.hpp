// The branch mapping: which environment a run maps to and what applies there (push,
// validate, none), with a one-line reason. A table of rules, built from the environments
// (--environments) and where pull requests validate (--validate-against); deletions, tags
// and closed pull requests are decided before the table.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::github {
struct RunFacts;
}

namespace sbdeploy::policy {

enum class Action { none, validate, push };
std::string_view action_name(Action a);

// Where a rule's environment comes from.
enum class EnvironmentFrom {
    rule,   // the rule's `environment`
    input,  // the workflow_dispatch input named by the rule's `environment`
    base,   // the environment the pull request's base branch pushes to
};

struct Rule {
    std::string event;   // GitHub event name: "push", "pull_request", ...
    // Glob (util::Glob: "*" within one segment, "**" across) on the pushed branch (push,
    // workflow_dispatch) or the target branch (pull requests, merge groups).
    std::string branch;
    std::string environment;
    Action action = Action::none;
    EnvironmentFrom from = EnvironmentFrom::rule;
};

struct Mapping {
    std::vector<Rule> rules;  // the first rule that matches wins
};

// One environment of --environments and the branches (globs) whose pushes deploy to it.
struct EnvironmentBranches {
    std::string name;
    std::vector<std::string> branches;
};

inline constexpr std::string_view kDefaultEnvironments = "production=main,master;staging=staging,develop";
inline constexpr std::string_view kDefaultValidateAgainst = "staging";
// --validate-against base: pull requests validate against the environment their base pushes to.
inline constexpr std::string_view kValidateAgainstBase = "base";

// "production=main,master;staging=staging,develop,release/*": environments in order, ";" or
// new lines between them, "," between globs (not inside {a,b}). Config errors (exit 2) name
// the part that is wrong: a bad environment name, no branches, a bad glob, a branch twice.
Result<std::vector<EnvironmentBranches>> parse_environments(std::string_view spec);

// The rules: push to an environment's branch -> push there (in the order given);
// pull_request, pull_request_target and merge_group -> validate against `validate_against`
// (an environment, or "base"); workflow_dispatch -> push to its "environment" input.
Mapping make_mapping(const std::vector<EnvironmentBranches>& environments, std::string_view validate_against);

// parse_environments + make_mapping; a --validate-against that is neither an environment
// name nor "base" is a config error.
Result<Mapping> configure_mapping(std::string_view environments, std::string_view validate_against);

// make_mapping(kDefaultEnvironments, "staging"): the product's default.
const Mapping& default_mapping();

// The branch globs whose pushes map to `environment` under `mapping` (push rules only).
std::vector<std::string> branches_of(const Mapping& mapping, std::string_view environment);

// What the mapping decides on (the CLI fills it from the GitHub run).
struct Facts {
    std::string event;   // GitHub event name; "" when there is none (terminal use)
    std::string action;  // the payload's action: "opened", "closed", ...
    std::string branch;  // the pushed branch; for pull requests the head branch
    std::string tag;     // the pushed or deleted tag
    std::string base_ref;  // pull requests and merge groups: the target branch
    std::optional<long> pr_number;
    bool merged = false;   // a closed pull request was merged
    bool deleted = false;  // a branch or tag deletion
    std::map<std::string, std::string> inputs;  // workflow_dispatch inputs
};

struct Resolution {
    std::string environment;  // "" when action is none
    Action action = Action::none;
    std::string reason;  // short, lowercase: `push to "main" maps to production`
};

// Decides the run. `environment_override` (--environment) replaces the environment a
// rule would give, and makes an unmapped run push to it (validate for pull requests);
// deletions and closed pull requests stay none. Fails only on a bad environment name.
Result<Resolution> resolve(const Facts& facts, const std::optional<std::string>& environment_override,
                           const Mapping& mapping = default_mapping());

// Transitional, for callers holding the GitHub run's facts: converts with
// cli::mapping_facts, and is defined beside it in src/cli/resolve.cpp so that policy
// itself stays free of github. New code calls cli::resolve_run.
Result<Resolution> resolve(const github::RunFacts& facts, const std::optional<std::string>& environment_override,
                           const Mapping& mapping = default_mapping());

// Environment names become variable names (SBDEPLOY_<NAME>_DB_URL): letters, digits, "-", "_".
bool is_environment_name(std::string_view name);

// "staging" -> "STAGING", "eu-west" -> "EU_WEST": the <ENV> of SBDEPLOY_<ENV>_DB_URL.
std::string environment_variable_part(std::string_view environment);

// A branch glob as util::Glob matches it ("release/*" matches "release/1.2", not
// "release/1/2"; "**" matches anything, even ""); a pattern that does not compile matches nothing.
bool glob_match(std::string_view pattern, std::string_view text);

} // namespace sbdeploy::policy
