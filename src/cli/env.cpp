// sbdeploy env: resolves the run (event, refs, environment, action, reason) and reports
// it as step outputs, as JSON with --json, or as one line for a person.
#include <string>

#include "cli/commands.hpp"
#include "cli/resolve.hpp"
#include "github/outputs.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::quoted;

// What happened, for the human line: `push to "staging"`, `pull_request #2 from "a" into "b"`.
std::string describe(const github::RunFacts& f) {
    if (f.event.empty()) return "no event";
    std::string ref = !f.tag.empty() ? "tag " + quoted(f.tag) : "branch " + quoted(f.branch);
    if (f.event == "push") {
        if (f.deleted) return "deletion of " + ref;
        if (!f.tag.empty()) return "push of " + ref;
        return "push to " + quoted(f.branch);
    }
    if (f.event == "create" || f.event == "delete") return f.event + " of " + ref;
    if (f.pr_number) {
        std::string s = f.event + " #" + std::to_string(*f.pr_number);
        if (!f.branch.empty()) s += " from " + quoted(f.branch);
        if (!f.base_ref.empty()) s += " into " + quoted(f.base_ref);
        return s;
    }
    if (f.event == "merge_group" && !f.base_ref.empty()) return f.event + " into " + quoted(f.base_ref);
    if (!f.branch.empty()) return f.event + " on " + quoted(f.branch);
    if (!f.tag.empty()) return f.event + " on " + ref;
    return f.event;
}

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

std::string summary_line(const std::string& what, const policy::Resolution& r) {
    using github::escape_markdown;
    std::string target = r.action == policy::Action::none
                             ? std::string("none")
                             : "**" + escape_markdown(r.environment) + "**: " + std::string(policy::action_name(r.action));
    return "**sbdeploy env**: " + escape_markdown(what) + " -> " + target + " (" + escape_markdown(r.reason) + ")\n";
}

} // namespace

int run_env(Context& ctx) {
    auto run = resolve_run(ctx);
    if (!run) return report(ctx, run.error());
    const auto& runner = run->runner;
    const auto& facts = run->facts;
    const auto& resolution = run->resolution;

    auto outputs = outputs_of(facts, resolution);
    std::string what = describe(facts);
    if (!runner.output_path.empty()) {
        if (auto written = outputs.flush(runner.output_path, github::system_random()); !written)
            return report(ctx, written.error());
    }
    if (!runner.step_summary_path.empty()) {
        if (auto written = github::append_step_summary(runner.step_summary_path, summary_line(what, resolution));
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
