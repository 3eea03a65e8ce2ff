#include "cli/resolve.hpp"

#include "util/strings.hpp"

namespace sbdeploy::cli {

policy::Facts mapping_facts(const github::RunFacts& f) {
    policy::Facts p;
    p.event = f.event;
    p.action = f.action;
    p.branch = f.branch;
    p.tag = f.tag;
    p.base_ref = f.base_ref;
    p.pr_number = f.pr_number;
    p.merged = f.merged;
    p.deleted = f.deleted;
    p.inputs = f.inputs;
    return p;
}

Result<ResolvedRun> resolve_run(Context& ctx, const policy::Mapping& mapping) {
    ResolvedRun run;
    run.runner = github::RunnerContext::from(ctx.env);
    std::string event_path = ctx.options.get_or("event-path", run.runner.event_path);
    if (!event_path.empty()) ctx.console.debug("event payload: " + event_path);
    auto event = github::load_event(run.runner, event_path);
    if (!event) return fail(std::move(event.error()));
    run.event = std::move(*event);
    run.facts = github::run_facts(run.runner, run.event);
    auto resolution = policy::resolve(mapping_facts(run.facts), ctx.options.get("environment"), mapping);
    if (!resolution) return fail(std::move(resolution.error()));
    run.resolution = std::move(*resolution);
    ctx.console.debug("resolved: environment " + util::quoted(run.resolution.environment) + ", action " +
                      std::string(policy::action_name(run.resolution.action)));
    return run;
}

} // namespace sbdeploy::cli

namespace sbdeploy::policy {

Result<Resolution> resolve(const github::RunFacts& facts, const std::optional<std::string>& environment_override,
                           const Mapping& mapping) {
    return resolve(cli::mapping_facts(facts), environment_override, mapping);
}

} // namespace sbdeploy::policy
