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
#include "github/summary.hpp"
#include "metrics/events.hpp"
#include "metrics/test_reports.hpp"
#include "metrics/time.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

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
        return fail(ErrorKind::usage,
                    "--deployment-status " + util::quoted(*status) + " is neither success nor failure",
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
    auto junit = find_files(workdir, "junit", ctx.options.list("junit"), unmatched);
    if (!junit) return fail(std::move(junit.error()));
    auto results = find_files(workdir, "test-results", ctx.options.list("test-results"), unmatched);
    if (!results) return fail(std::move(results.error()));
    for (const auto& file : *junit) {
        auto loaded = util::read_file(workdir + "/" + file);
        if (!loaded) return fail(make_error(ErrorKind::input, "JUnit report: " + loaded.error().message).at(file));
        std::string text = std::move(*loaded);
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
    for (const auto& file : *results) {
        auto loaded = util::read_file(workdir + "/" + file);
        if (!loaded) return fail(make_error(ErrorKind::input, "test results: " + loaded.error().message).at(file));
        std::string text = std::move(*loaded);
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

// The event's rows and this run's test reports, with what the run was.
struct Recording {
    github::RunFacts facts;
    metrics::EventRecords mapped;
};

Result<Recording> map_event(Context& ctx, std::int64_t now) {
    auto runner = github::RunnerContext::from(ctx.env);
    TRY_ASSIGN(auto event, github::load_event(runner, ctx.options.get_or("event-path", runner.event_path)));
    Recording rec{github::run_facts(runner, event), {}};
    TRY_ASSIGN(auto rules, configured_rules(ctx));
    TRY_ASSIGN(auto environment_of, environment_of_branch(ctx));
    TRY_ASSIGN(auto deployment, deployment_run(ctx));
    metrics::EventContext ec;
    ec.repository = ctx.options.get_or("repository", runner.repository);
    ec.run_id = runner.run_id;
    ec.run_attempt = std::max(1L, std::atol(runner.run_attempt.c_str()));
    ec.sha = runner.sha;
    ec.ref = runner.ref;
    ec.now = now;
    ec.deployment = std::move(deployment);
    ec.environment_of = std::move(environment_of);
    const rapidjson::Value* payload = event.document ? event.document.get() : nullptr;
    rec.mapped = metrics::records_for_event(event.name, payload, rules, ec);
    TRY_ASSIGN(auto tests, test_reports(ctx, runner, rec.facts, now));
    for (auto& t : tests) rec.mapped.records.tests.push_back(std::move(t));
    return rec;
}

void print_notes(Context& ctx, const metrics::EventRecords& mapped) {
    for (const auto& note : mapped.notes) ctx.console.notice("record-metrics: " + note);
    for (const auto& r : mapped.records.rules)
        if (r.status == metrics::Compliance::violation)
            ctx.console.warning("rule " + r.rule_name + " (" + r.context_type + " " + r.context_id + "): " + r.details);
}

// The daily aggregates of the days these rows fall on; a failure is a warning (the rows are in).
void refresh_days(Context& ctx, metrics::Writer& writer, const metrics::Records& records) {
    std::int64_t first = INT64_MAX, last = INT64_MIN;
    auto span = [&](std::int64_t t) {
        first = std::min(first, t);
        last = std::max(last, t);
    };
    for (const auto& p : records.prs) span(p.event_timestamp);
    for (const auto& d : records.deployments) span(d.deployed_at);
    for (const auto& t : records.tests) span(t.run_timestamp);
    for (const auto& r : records.rules) span(r.event_timestamp);
    if (auto refreshed =
            writer.refresh_daily(metrics::format_date(first), metrics::format_date(last), kMetricsEnvironment);
        !refreshed)
        ctx.console.warning(refreshed.error().message + " (the rows are recorded; the daily figures were not updated)");
}

struct Written {
    metrics::WriteSummary rows;
    std::string target;  // the writer, as it describes itself
};

// Writes the rows; nothing (no error) on a fork's pull request, which GitHub gives no secrets.
Result<std::optional<Written>> write_recording(Context& ctx, const Recording& rec) {
    auto sink = open_metrics_sink(ctx);
    // Recording is impossible there by design, not broken, and a red mark on every outside
    // contribution would train people to ignore it.
    if (!sink && sink.error().kind == ErrorKind::config && rec.facts.event == "pull_request" && rec.facts.fork) {
        ctx.console.notice("record-metrics: nothing recorded: GitHub passes no secrets to workflows of fork pull "
                           "requests, and without them there is no metrics database (" +
                           sink.error().message + ")");
        return std::optional<Written>();
    }
    if (!sink) return fail(sink.error());
    TRY_ASSIGN(auto rows, metrics::write_records(*sink->writer, rec.mapped.records));
    refresh_days(ctx, *sink->writer, rec.mapped.records);
    return std::optional<Written>(Written{rows, sink->writer->describe()});
}

// Nothing written: the outputs say 0, the summary says why.
int finish_nothing(Context& ctx, const std::string& why) {
    Report rep;
    rep.set("recorded", "0");
    rep.set("skipped", "0");
    rep.headline = md::headline(md::Outcome::skipped, "record-metrics", md::text(why));
    if (ctx.json) ctx.out << outputs_json(rep) << '\n';
    return finish(ctx, rep, 0);
}

Report recorded_report(const metrics::WriteSummary& w) {
    const std::size_t skipped = w.offered() - w.inserted();
    Report rep;
    rep.set("recorded", std::to_string(w.inserted()));
    rep.set("skipped", std::to_string(skipped));
    rep.set("pr_events", std::to_string(w.prs.inserted));
    rep.set("deployment_events", std::to_string(w.deployments.inserted));
    rep.set("test_runs", std::to_string(w.tests.inserted));
    rep.set("rule_compliance_events", std::to_string(w.rules.inserted));
    rep.headline = md::headline(md::Outcome::passed, "record-metrics in production",
                                md::text(md::count(w.inserted(), "new row") +
                                         (skipped ? ", " + std::to_string(skipped) + " already recorded" : "")));
    md::Table t({"table", "new rows", "already recorded"}, {md::Align::left, md::Align::right, md::Align::right});
    for (auto [name, c] : {std::pair{"pr_events", w.prs}, std::pair{"deployment_events", w.deployments},
                           std::pair{"test_runs", w.tests}, std::pair{"rule_compliance_events", w.rules}})
        if (c.offered)
            t.row({md::Cell::code("metrics." + std::string(name)), md::Cell::text(std::to_string(c.inserted)),
                   md::Cell::text(std::to_string(c.offered - c.inserted))});
    rep.summary = t.render();
    return rep;
}

// The steps, ending with the report written (its exit code); an error on the way is returned.
Result<int> record(Context& ctx) {
    TRY_ASSIGN(auto rec, map_event(ctx, now_seconds()));
    print_notes(ctx, rec.mapped);
    if (rec.mapped.records.empty()) {
        ctx.console.line("record-metrics: nothing to record for this event");
        return finish_nothing(ctx, rec.facts.event.empty()
                                       ? std::string("nothing to record for this event")
                                       : "nothing to record for this " + rec.facts.event + " event");
    }
    TRY_ASSIGN(auto written, write_recording(ctx, rec));
    if (!written) return finish_nothing(ctx, "nothing recorded: a fork pull request runs without secrets");
    const auto& w = written->rows;
    const std::size_t skipped = w.offered() - w.inserted();
    ctx.console.line("record-metrics: " + util::plural(w.inserted(), "new row") +
                     (w.inserted() ? " (" + describe_counts(w, true) + ")" : "") +
                     (skipped ? ", " + std::to_string(skipped) + " already recorded" : "") + " in " + written->target);
    const Report rep = recorded_report(w);
    if (ctx.json) ctx.out << outputs_json(rep) << '\n';
    return finish(ctx, rep, 0);
}

} // namespace

int run_record_metrics(Context& ctx) {
    auto code = record(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
