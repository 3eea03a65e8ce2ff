// record-metrics: the current GitHub event (and this run's deployment and test reports) as
// rows of the metrics schema, always in production whatever the branch (seed 000).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>

#include "cli/commands.hpp"
#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "cli/resolve.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "metrics/events.hpp"
#include "metrics/test_reports.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

// --deployment-status and what goes with it: this run's own deployment.
Result<std::optional<metrics::DeploymentRun>> deployment_run(Context& ctx) {
    auto status = ctx.options.get("deployment-status");
    if (!status) {
        for (const char* o : {"applied-count", "deployment-duration"})
            if (ctx.options.source(o) == Source::flag)
                return fail(ErrorKind::usage, "record-metrics: --" + std::string(o) + " needs --deployment-status",
                            "pass --deployment-status success|failure for the deployment this run made");
        return std::optional<metrics::DeploymentRun>();
    }
    metrics::DeploymentRun run;
    run.status = util::to_lower(util::trim(*status));
    if (run.status == "succeeded") run.status = "success";
    if (run.status == "failed" || run.status == "error") run.status = "failure";
    if (run.status != "success" && run.status != "failure")
        return fail(ErrorKind::usage, "--deployment-status " + util::quoted(*status) + " is neither success nor failure",
                    "pass the push step's outcome: success or failure");
    if (ctx.options.get("applied-count")) {
        auto n = ctx.options.integer("applied-count", 0, 0, 1'000'000);
        if (!n) return fail(n.error());
        run.applied = *n;
    }
    if (ctx.options.get("deployment-duration")) {
        auto ms = ctx.options.duration_ms("deployment-duration", 0);
        if (!ms) return fail(ms.error());
        run.duration_seconds = static_cast<double>(*ms) / 1000.0;
    }
    if (auto env = ctx.options.get("environment")) {
        run.environment = *env;
    } else {
        auto resolved = resolve_run(ctx);
        if (!resolved) return fail(resolved.error());
        run.environment = resolved->resolution.environment;
    }
    if (run.environment.empty())
        return fail(ErrorKind::usage, "record-metrics: which environment did this run deploy to?",
                    "pass --environment (the branch mapping gives none for this event)");
    if (!policy::is_environment_name(run.environment))
        return fail(ErrorKind::usage, "--environment " + util::quoted(run.environment) + " is not an environment name",
                    "use letters, digits, - and _");
    return std::optional<metrics::DeploymentRun>(std::move(run));
}

// --junit and --test-results files -> test_runs rows.
Result<std::vector<metrics::TestRun>> test_reports(Context& ctx, const github::RunnerContext& runner,
                                                   const github::RunFacts& facts, std::int64_t now) {
    std::vector<metrics::TestRun> runs;
    const std::string workdir = workdir_of(ctx);
    const std::string repository = ctx.options.get_or("repository", runner.repository);
    long attempt = 1;
    if (auto a = util::trim(runner.run_attempt); !a.empty()) attempt = std::max(1L, std::atol(std::string(a).c_str()));
    std::vector<std::string> unmatched;
    for (const auto& file : find_files(workdir, ctx.options.list("junit"), unmatched)) {
        std::string text, error;
        if (!util::read_file(workdir + "/" + file, text, error))
            return fail(make_error(ErrorKind::input, "JUnit report: " + error).at(file));
        auto counts = metrics::parse_junit(text, file);
        if (!counts) return fail(counts.error());
        metrics::TestRun r;
        r.repository = repository;
        r.run_id = runner.run_id.empty() ? "local" : runner.run_id;
        r.run_attempt = attempt;
        r.test_type = ctx.options.get_or("test-type", "junit");
        r.source = file;
        r.run_timestamp = counts->timestamp.value_or(now);
        r.total = counts->total;
        r.passed = counts->passed;
        r.failed = counts->failed;
        r.skipped = counts->skipped;
        r.execution_time_seconds = counts->seconds;
        r.branch = facts.branch;
        r.commit_sha = facts.sha;
        runs.push_back(std::move(r));
    }
    for (const auto& file : find_files(workdir, ctx.options.list("test-results"), unmatched)) {
        std::string text, error;
        if (!util::read_file(workdir + "/" + file, text, error))
            return fail(make_error(ErrorKind::input, "test results: " + error).at(file));
        auto r = metrics::parse_test_json(text, file, repository);
        if (!r) return fail(r.error());
        r->branch = facts.branch;
        runs.push_back(std::move(*r));
    }
    for (const auto& glob : unmatched) ctx.console.warning("record-metrics: no file matches " + util::quoted(glob));
    return runs;
}

std::string outputs_json(const Report& report) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    for (const auto& [name, value] : report.outputs) {
        w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        w.String(value);
    }
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

} // namespace

int run_record_metrics(Context& ctx) {
    const std::int64_t now = now_seconds();
    auto runner = github::RunnerContext::from(ctx.env);
    auto event = github::load_event(runner, ctx.options.get_or("event-path", runner.event_path));
    if (!event) return report(ctx, event.error());
    auto facts = github::run_facts(runner, *event);
    auto rules = configured_rules(ctx);
    if (!rules) return report(ctx, rules.error());
    auto environment_of = environment_of_branch(ctx);
    if (!environment_of) return report(ctx, environment_of.error());
    auto deployment = deployment_run(ctx);
    if (!deployment) return report(ctx, deployment.error());

    metrics::EventContext ec;
    ec.repository = ctx.options.get_or("repository", runner.repository);
    ec.run_id = runner.run_id;
    ec.run_attempt = std::max(1L, std::atol(runner.run_attempt.c_str()));
    ec.sha = runner.sha;
    ec.ref = runner.ref;
    ec.now = now;
    ec.deployment = *deployment;
    ec.environment_of = *environment_of;
    const rapidjson::Value* payload = event->document ? event->document.get() : nullptr;
    auto mapped = metrics::records_for_event(event->name, payload, *rules, ec);
    auto tests = test_reports(ctx, runner, facts, now);
    if (!tests) return report(ctx, tests.error());
    for (auto& t : *tests) mapped.records.tests.push_back(std::move(t));
    for (const auto& note : mapped.notes) ctx.console.notice("record-metrics: " + note);
    for (const auto& r : mapped.records.rules)
        if (r.status == metrics::Compliance::violation)
            ctx.console.warning("rule " + r.rule_name + " (" + r.context_type + " " + r.context_id + "): " + r.details);

    Report rep;
    if (mapped.records.empty()) {
        ctx.console.line("record-metrics: nothing to record for this event");
        rep.set("recorded", "0");
        rep.set("skipped", "0");
        if (ctx.json) ctx.out << outputs_json(rep) << '\n';
        return finish(ctx, rep, 0);
    }

    auto sink = open_metrics_sink(ctx);
    // GitHub gives a fork's pull_request run no secrets: recording is impossible by design,
    // not broken, and a red mark on every outside contribution would train people to ignore it.
    if (!sink && sink.error().kind == ErrorKind::config && facts.event == "pull_request" && facts.fork) {
        ctx.console.notice("record-metrics: nothing recorded: GitHub passes no secrets to workflows of fork pull "
                           "requests, and without them there is no metrics database (" +
                           sink.error().message + ")");
        rep.set("recorded", "0");
        rep.set("skipped", "0");
        rep.summary = "**sbdeploy record-metrics**: nothing recorded: a fork pull request runs without secrets\n";
        if (ctx.json) ctx.out << outputs_json(rep) << '\n';
        return finish(ctx, rep, 0);
    }
    if (!sink) return report(ctx, sink.error());
    auto written = metrics::write_records(*sink->writer, mapped.records);
    if (!written) return report(ctx, written.error());

    // The daily aggregates of the days these rows fall on.
    std::int64_t first = INT64_MAX, last = INT64_MIN;
    auto span = [&](std::int64_t t) {
        first = std::min(first, t);
        last = std::max(last, t);
    };
    for (const auto& p : mapped.records.prs) span(p.event_timestamp);
    for (const auto& d : mapped.records.deployments) span(d.deployed_at);
    for (const auto& t : mapped.records.tests) span(t.run_timestamp);
    for (const auto& r : mapped.records.rules) span(r.event_timestamp);
    if (auto refreshed = sink->writer->refresh_daily(metrics::format_date(first), metrics::format_date(last),
                                                     kMetricsEnvironment);
        !refreshed)
        ctx.console.warning(refreshed.error().message + " (the rows are recorded; the daily figures were not updated)");

    const std::size_t skipped = written->offered() - written->inserted();
    ctx.console.line("record-metrics: " + std::to_string(written->inserted()) + " new row" +
                     (written->inserted() == 1 ? "" : "s") +
                     (written->inserted() ? " (" + describe_counts(*written, true) + ")" : "") +
                     (skipped ? ", " + std::to_string(skipped) + " already recorded" : "") + " in " +
                     sink->writer->describe());
    rep.set("recorded", std::to_string(written->inserted()));
    rep.set("skipped", std::to_string(skipped));
    rep.set("pr_events", std::to_string(written->prs.inserted));
    rep.set("deployment_events", std::to_string(written->deployments.inserted));
    rep.set("test_runs", std::to_string(written->tests.inserted));
    rep.set("rule_compliance_events", std::to_string(written->rules.inserted));
    rep.summary = "**sbdeploy record-metrics**: " + std::to_string(written->inserted()) + " new row" +
                  (written->inserted() == 1 ? "" : "s") + " in production" +
                  (written->inserted() ? " (" + describe_counts(*written, true) + ")" : "") +
                  (skipped ? ", " + std::to_string(skipped) + " already recorded" : "") + "\n";
    if (ctx.json) ctx.out << outputs_json(rep) << '\n';
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
