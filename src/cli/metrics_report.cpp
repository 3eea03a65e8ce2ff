// metrics report: the DORA figures of the last --days in the metrics database, checked
// against thresholds; a table on the console (or --json), outputs, and a step summary that
// opens with the outcome (metrics/report.hpp renders it).
#include <algorithm>
#include <cmath>

#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "metrics/report.hpp"
#include "metrics/schema.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

// A percentage option: 0 to 100.
Result<std::optional<double>> percent_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    char* end = nullptr;
    std::string text(util::trim(*v));
    if (!text.empty() && text.back() == '%') text.pop_back();
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d) || d < 0 || d > 100)
        return fail(ErrorKind::usage,
                    "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a percentage",
                    "write a number from 0 to 100, e.g. 80");
    return std::optional<double>(d);
}

Result<std::optional<double>> number_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    char* end = nullptr;
    std::string text(util::trim(*v));
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d) || d < 0)
        return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a number",
                    "write a number such as 0.5 (per day)");
    return std::optional<double>(d);
}

// A duration option in seconds: 90m, 36h, 2d, 1w, or a bare number of seconds.
Result<std::optional<double>> seconds_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    std::string text(util::trim(*v));
    if (auto ms = parse_duration_ms(text)) return std::optional<double>(static_cast<double>(*ms) / 1000.0);
    if (!text.empty() && (text.back() == 'd' || text.back() == 'w'))
        if (auto s = metrics::parse_age_seconds(text)) return std::optional<double>(static_cast<double>(*s));
    return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a duration",
                "write it as 90m, 36h, 2d or 1w");
}

// --days UTC days up to --until (default: now), of --repository in --environment.
Result<metrics::Window> report_window(const Context& ctx) {
    TRY_ASSIGN(auto days, ctx.options.integer("days", 30, 1, 3650));
    std::int64_t until = now_seconds();
    if (auto text = ctx.options.get("until")) {
        auto t = metrics::parse_time(*text);
        if (!t)
            return fail(ErrorKind::usage, "option --until: " + util::quoted(*text) + " is not a date or time",
                        "write it as 2025-01-31 or 2025-01-31T12:00:00Z");
        until = *t;
    }
    metrics::Window w = metrics::window_of_days(until, static_cast<int>(days));
    w.repository = ctx.options.get_or("repository", ctx.env.get_or("GITHUB_REPOSITORY", ""));
    w.environment = ctx.options.get_or("environment", kMetricsEnvironment);
    if (!policy::is_environment_name(w.environment))
        return fail(ErrorKind::usage, "--environment " + util::quoted(w.environment) + " is not an environment name",
                    "use letters, digits, - and _");
    return w;
}

// The threshold options, with seed 001's defaults unless --no-thresholds.
Result<metrics::Limits> report_limits(const Context& ctx) {
    metrics::Limits l;
    TRY_ASSIGN(l.min_test_pass_rate, percent_option(ctx, "min-test-pass-rate"));
    TRY_ASSIGN(l.min_rule_compliance, percent_option(ctx, "min-rule-compliance"));
    TRY_ASSIGN(l.max_change_failure_rate, percent_option(ctx, "max-change-failure-rate"));
    TRY_ASSIGN(l.max_lead_time, seconds_option(ctx, "max-lead-time"));
    TRY_ASSIGN(l.max_pr_cycle_time, seconds_option(ctx, "max-pr-cycle-time"));
    TRY_ASSIGN(l.max_time_to_restore, seconds_option(ctx, "max-time-to-restore"));
    TRY_ASSIGN(l.min_deployment_frequency, number_option(ctx, "min-deployment-frequency"));
    return ctx.options.flag("no-thresholds") ? l : metrics::with_defaults(l);
}

struct Computed {
    metrics::Figures figures;
    std::vector<metrics::ThresholdResult> thresholds;
};

Result<Computed> compute_report(Context& ctx) {
    TRY_ASSIGN(auto window, report_window(ctx));
    TRY_ASSIGN(auto limits, report_limits(ctx));
    TRY_ASSIGN(auto session, open_metrics_session(ctx));
    TRY_ASSIGN(auto history, metrics::load_history(*session, window));
    Computed c{metrics::compute_figures(history, window), {}};
    c.thresholds = metrics::check_thresholds(c.figures, limits);
    return c;
}

// The console's report, and a warning per threshold not met (without --fail-on-threshold).
void print_report(Context& ctx, const Computed& c) {
    if (ctx.json)
        ctx.out << metrics::render_json(c.figures, c.thresholds) << '\n';
    else
        for (const auto& line : util::split(metrics::render_table(c.figures, c.thresholds), '\n'))
            if (!line.empty()) ctx.console.line(line);
    if (ctx.options.flag("fail-on-threshold")) return;
    for (const auto& t : c.thresholds)
        if (!t.ok)
            ctx.console.warning("metrics: " + t.label + " is " + t.value_text + ", " + t.limit_text + " wanted (" +
                                (ctx.options.get(t.option)
                                     ? "--" + t.option
                                     : "seed 001's default; change it with --" + t.option + ", or --no-thresholds") +
                                ")");
}

Report report_of(const Computed& c, metrics::Strict strict) {
    auto opt = [](const std::optional<double>& v, int decimals) {
        if (!v) return std::string();
        double scale = std::pow(10.0, decimals);
        return metrics::decimal_text(std::round(*v * scale) / scale);
    };
    const auto& f = c.figures;
    const bool met = std::ranges::all_of(c.thresholds, [](const metrics::ThresholdResult& t) { return t.ok; });
    Report rep;
    rep.set("deployments", std::to_string(f.deployments));
    rep.set("deployment_frequency", opt(f.deployment_frequency, 4));
    rep.set("lead_time_seconds", opt(f.lead_time_median, 1));
    rep.set("change_failure_rate", opt(f.change_failure_rate, 2));
    rep.set("time_to_restore_seconds", opt(f.time_to_restore_median, 1));
    rep.set("pr_cycle_time_seconds", opt(f.cycle_time_median, 1));
    rep.set("pr_cycle_time_p90_seconds", opt(f.cycle_time_p90, 1));
    rep.set("test_pass_rate", opt(f.test_pass_rate, 2));
    rep.set("rule_compliance", opt(f.rule_compliance, 2));
    rep.set("thresholds_met", met ? "true" : "false");
    rep.headline = metrics::report_headline(f, c.thresholds, strict);
    rep.summary = metrics::render_markdown(f, c.thresholds);
    return rep;
}

// With --fail-on-threshold, the thresholds not met as one error; nothing otherwise.
std::optional<Error> threshold_failure(const Context& ctx, const Computed& c) {
    std::vector<std::string> failed;
    for (const auto& t : c.thresholds)
        if (!t.ok) failed.push_back(t.label + " " + t.value_text + " (" + t.limit_text + ")");
    if (failed.empty() || !ctx.options.flag("fail-on-threshold")) return std::nullopt;
    std::string list;
    for (std::size_t i = 0; i < failed.size(); ++i) list += (i ? "; " : "") + failed[i];
    return make_error(ErrorKind::operation,
                      "metrics report: " + util::plural(failed.size(), "threshold") + " not met: " + list,
                      "see the step summary for every figure; without --fail-on-threshold these are warnings");
}

} // namespace

int run_metrics_report(Context& ctx) {
    auto computed = compute_report(ctx);
    if (!computed) return report(ctx, computed.error());
    print_report(ctx, *computed);
    const auto failure = threshold_failure(ctx, *computed);
    const Report rep = report_of(*computed, failure ? metrics::Strict::yes : metrics::Strict::no);
    if (!failure) return finish(ctx, rep, 0);
    ctx.console.error(*failure);
    return finish(ctx, rep, 1);
}

} // namespace sbdeploy::cli
