// sbdeploy env: resolves the run (event, refs, environment, action, reason) under the
// mapping of --environments and --validate-against, and reports it as step outputs, as
// JSON with --json, or as one line for a person.
#include <string>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "github/outputs.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

github::Outputs outputs_of(const github::RunFacts& f, const policy::Resolution& r) {
    github::Outputs o;
    o.set("event", f.event);
    o.set("ref", f.ref);
    o.set("branch", f.branch);
    o.set("base_ref", f.base_ref);
    o.set("base_sha", f.base_sha);
    o.set("head_sha", f.head_sha);
    o.set("sha", f.sha);
    o.set("pr_number", f.pr_number ? std::to_string(*f.pr_number) : std::string());
    o.set("fork", f.fork ? "true" : "false");
    o.set("repository", f.repository);
    o.set("environment", r.environment);
    o.set("action", std::string(policy::action_name(r.action)));
    o.set("reason", r.reason);
    return o;
}

std::string human_line(const std::string& what, const policy::Resolution& r) {
    if (r.action == policy::Action::none) return what + " -> none (" + r.reason + ")";
    return what + " -> " + r.environment + ": " + std::string(policy::action_name(r.action)) + " (" + r.reason + ")";
}

} // namespace

int run_env(Context& ctx) {
    auto run = resolve_run(ctx);
    if (!run) return report(ctx, run.error());
    const auto& runner = run->runner;
    const auto& facts = run->facts;
    const auto& resolution = run->resolution;

    auto outputs = outputs_of(facts, resolution);
    std::string what = describe_run(facts);
    if (!runner.output_path.empty()) {
        if (auto written = outputs.flush(runner.output_path, github::system_random()); !written)
            return report(ctx, written.error());
    }
    if (!runner.step_summary_path.empty()) {
        if (auto written = github::append_step_summary(runner.step_summary_path, decision_line("env", what, resolution));
            !written)
            return report(ctx, written.error());
    }
    if (ctx.json) {
        ctx.out << ctx.console.redact(outputs.to_json()) << '\n';
        ctx.out.flush();
    } else {
        ctx.console.line(human_line(what, resolution));
    }
    return 0;
}

} // namespace sbdeploy::cli
