// sbdeploy env: resolves the run (event, refs, environment, action, reason) under the
// mapping of --environments and --validate-against, and reports it as step outputs, as
// JSON with --json, or as one line for a person.
#include <string>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "github/outputs.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

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

namespace {

Result<int> env_command(Context& ctx) {
    TRY_ASSIGN(const auto run, resolve_run(ctx));
    const auto& runner = run.runner;
    auto outputs = outputs_of(run.facts, run.resolution);
    std::string what = describe_run(run.facts);
    if (!runner.output_path.empty()) TRY(outputs.flush(runner.output_path, github::system_random()));
    if (!runner.step_summary_path.empty())
        TRY(github::append_step_summary(runner.step_summary_path, decision_line("env", what, run.resolution)));
    if (ctx.json) {
        ctx.out << ctx.console.redact(outputs.to_json()) << '\n';
        ctx.out.flush();
    } else {
        ctx.console.line(human_line(what, run.resolution));
    }
    return 0;
}

} // namespace

int run_env(Context& ctx) {
    auto code = env_command(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
