// The run every command starts from: the runner's variables, the event (payload at
// --event-path or GITHUB_EVENT_PATH), its facts, and the environment and action the
// mapping resolves them to (--environment overrides the mapping).
#pragma once

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

// Fails with exit 2 on an unreadable or malformed payload or a bad environment name.
Result<ResolvedRun> resolve_run(Context& ctx, const policy::Mapping& mapping = policy::default_mapping());

// The facts of a GitHub run the mapping decides on.
policy::Facts mapping_facts(const github::RunFacts& facts);

} // namespace sbdeploy::cli
