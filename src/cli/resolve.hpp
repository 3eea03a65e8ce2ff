// The run every command starts from: the runner's variables, the event (payload at
// --event-path or GITHUB_EVENT_PATH), its facts, and the environment and action the
// mapping (--environments, --validate-against) resolves them to; --environment overrides.
#pragma once

#include <string>
#include <string_view>

#include "cli/cli.hpp"
#include "github/runner.hpp"
#include "policy/mapping.hpp"

namespace sbdeploy::cli {

struct ResolvedRun {
    github::RunnerContext runner;
    github::Event event;
    github::RunFacts facts;
    policy::Resolution resolution;
};

// The mapping of --environments and --validate-against (defaults: the product's). Config
// errors (exit 2) name the option.
Result<policy::Mapping> configured_mapping(const Context& ctx);

// Fails with exit 2 on an unreadable or malformed payload, a bad mapping or a bad environment name.
Result<ResolvedRun> resolve_run(Context& ctx);

// The facts of a GitHub run the mapping decides on.
policy::Facts mapping_facts(const github::RunFacts& facts);

// What happened, for people: `push to "staging"`, `pull_request #2 from "a" into "b"`, "no event".
std::string describe_run(const github::RunFacts& facts);

// The mapping decision as one Markdown line for the step summary:
// `**sbdeploy push**: push to "main" -> **production**: push (push to "main" maps to production)`.
std::string decision_line(std::string_view command, const std::string& what, const policy::Resolution& resolution);

} // namespace sbdeploy::cli
