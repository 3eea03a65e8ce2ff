// Thresholds on the report's figures, and its three renderings (the chart: report_chart.cpp).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "github/summary.hpp"
#include "metrics/report.hpp"
#include "metrics/report_chart.hpp"
#include "metrics/time.hpp"

namespace sbdeploy::metrics {

namespace md = github::md;

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    auto n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string pct(const std::optional<double>& v) { return v ? fixed(*v, 1) + "%" : "-"; }
std::string dur(const std::optional<double>& v) { return v ? format_duration(*v) : "-"; }
std::string per_day(double v) { return fixed(v, 2) + "/day"; }
std::string plural(long n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}
// "12" for whole numbers, else "12.5": limits as the user wrote them.
std::string limit_number(double v) {
    return std::fabs(v - std::round(v)) < 1e-9 ? std::to_string(static_cast<long long>(std::llround(v))) : fixed(v, 2);
}

struct Row {
    std::string metric, value, basis;
};

// "median of 4 deployments", or "median over 1 of 16 deployments" when only some have a value.
std::string median_basis(long with_value, long all, const char* one, const char* many) {
    if (with_value == all) return "median of " + plural(all, one, many);
    return "median over " + std::to_string(with_value) + " of " + plural(all, one, many);
}

std::vector<Row> rows(const Figures& f) {
    long all = f.deployments + f.failed_deployments;
    return {
        {"deployment frequency", per_day(f.deployment_frequency),
         plural(f.deployments, "successful deployment", "successful deployments") + " in " +
             plural(f.window.days, "day", "days")},
        {"lead time for changes", dur(f.lead_time_median),
         f.lead_time_median ? median_basis(f.lead_times, f.deployments, "deployment", "deployments")
                            : "no deployment with commit times"},
        {"change failure rate", pct(f.change_failure_rate),
         std::to_string(f.failed_deployments) + " of " + plural(all, "deployment", "deployments") + " failed"},
        {"time to restore", dur(f.time_to_restore_median),
         f.outages == 0 ? "no failed deployment"
                        : "median of " + plural(f.restored_outages, "restored outage", "restored outages") + " (" +
                              plural(f.outages, "outage", "outages") + ")"},
        {"PR cycle time", dur(f.cycle_time_median),
         f.prs_merged == 0 ? "no merged pull request"
         : !f.cycle_time_median
             ? "no cycle time among " + plural(f.prs_merged, "merged PR", "merged PRs")
             : median_basis(f.cycle_times, f.prs_merged, "merged PR", "merged PRs") + ", p90 " + dur(f.cycle_time_p90)},
        {"test pass rate", pct(f.test_pass_rate),
         std::to_string(f.tests_passed) + " of " + plural(f.tests_passed + f.tests_failed, "test", "tests") +
             " passed" +
             (f.tests_total > f.tests_passed + f.tests_failed
                  ? " (" + std::to_string(f.tests_total - f.tests_passed - f.tests_failed) + " skipped)"
                  : "")},
        {"rule compliance", pct(f.rule_compliance),
         std::to_string(f.rule_compliant) + " of " + plural(f.rule_checks, "check", "checks") + " compliant"},
    };
}

std::string window_text(const Figures& f) {
    std::string repo = f.window.repository.empty() ? "all repositories" : f.window.repository;
    return repo + ", " + f.window.environment + ", last " + plural(f.window.days, "day", "days") + " (" +
           format_date(f.window.from) + " to " + format_date(f.window.until - 1) + ")";
}

void number(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::optional<double>& v, int decimals = 2) {
    if (!v) {
        w.Null();
        return;
    }
    double scale = std::pow(10.0, decimals);
    w.Double(std::round(*v * scale) / scale);
}

} // namespace

Limits with_defaults(Limits limits) {
    // Seed 001: "alert on metric thresholds ... for critical metrics like test pass rate < 80%".
    if (!limits.min_test_pass_rate) limits.min_test_pass_rate = 80.0;
    return limits;
}

std::vector<ThresholdResult> check_thresholds(const Figures& f, const Limits& l) {
    std::vector<ThresholdResult> out;
    enum class Kind { min, max };
    enum class Unit { percent, duration, rate };
    auto add = [&](const char* option, const char* label, const std::optional<double>& limit, Kind kind, Unit unit,
                   std::optional<double> value) {
        if (!limit) return;
        ThresholdResult t;
        t.option = option;
        t.label = label;
        t.limit = *limit;
        t.value = value;
        t.ok = !value || (kind == Kind::min ? *value >= *limit : *value <= *limit);
        auto show = [&](double v) {
            return unit == Unit::percent ? fixed(v, 1) + "%" : unit == Unit::duration ? format_duration(v) : per_day(v);
        };
        std::string limit_shown = unit == Unit::percent    ? limit_number(*limit) + "%"
                                  : unit == Unit::duration ? format_duration(*limit)
                                                           : limit_number(*limit) + "/day";
        t.limit_text = std::string(kind == Kind::min ? "at least " : "at most ") + limit_shown;
        t.value_text = value ? show(*value) : "no data";
        out.push_back(std::move(t));
    };
    add("min-deployment-frequency", "deployment frequency", l.min_deployment_frequency, Kind::min, Unit::rate,
        f.deployment_frequency);
    add("max-lead-time", "lead time for changes", l.max_lead_time, Kind::max, Unit::duration, f.lead_time_median);
    add("max-change-failure-rate", "change failure rate", l.max_change_failure_rate, Kind::max, Unit::percent,
        f.change_failure_rate);
    add("max-time-to-restore", "time to restore", l.max_time_to_restore, Kind::max, Unit::duration,
        f.time_to_restore_median);
    add("max-pr-cycle-time", "PR cycle time", l.max_pr_cycle_time, Kind::max, Unit::duration, f.cycle_time_median);
    add("min-test-pass-rate", "test pass rate", l.min_test_pass_rate, Kind::min, Unit::percent, f.test_pass_rate);
    add("min-rule-compliance", "rule compliance", l.min_rule_compliance, Kind::min, Unit::percent, f.rule_compliance);
    return out;
}

std::string render_table(const Figures& f, const std::vector<ThresholdResult>& thresholds) {
    std::string out = "development metrics: " + window_text(f) + "\n";
    for (const auto& r : rows(f)) {
        std::string metric = r.metric;
        metric.resize(std::max<std::size_t>(metric.size(), 23), ' ');
        std::string value = r.value;
        value.resize(std::max<std::size_t>(value.size(), 11), ' ');
        out += "  " + metric + " " + value + " " + r.basis + "\n";
    }
    if (!f.rules.empty()) {
        out += "rules:\n";
        for (const auto& r : f.rules) {
            std::string name = r.rule;
            name.resize(std::max<std::size_t>(name.size(), 23), ' ');
            std::string value = pct(100.0 * static_cast<double>(r.compliant) / static_cast<double>(r.checks));
            value.resize(std::max<std::size_t>(value.size(), 11), ' ');
            out += "  " + name + " " + value + " " + std::to_string(r.compliant) + " of " +
                   plural(r.checks, "check", "checks") + "\n";
        }
    }
    if (!thresholds.empty()) {
        out += "thresholds:\n";
        for (const auto& t : thresholds)
            out += std::string("  ") + (t.ok ? "ok    " : "FAIL  ") + t.label + " " + t.value_text + " (" +
                   t.limit_text + ", --" + t.option + ")\n";
    }
    return out;
}

std::string render_json(const Figures& f, const std::vector<ThresholdResult>& thresholds) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("repository");
    w.String(f.window.repository);
    w.Key("environment");
    w.String(f.window.environment);
    w.Key("days");
    w.Int(f.window.days);
    w.Key("from");
    w.String(format_time(f.window.from));
    w.Key("until");
    w.String(format_time(f.window.until));
    w.Key("deployments");
    w.Int64(f.deployments);
    w.Key("failed_deployments");
    w.Int64(f.failed_deployments);
    w.Key("deployment_frequency_per_day");
    number(w, f.deployment_frequency, 4);
    w.Key("lead_time_seconds_median");
    number(w, f.lead_time_median, 1);
    w.Key("change_failure_rate_percent");
    number(w, f.change_failure_rate);
    w.Key("outages");
    w.Int64(f.outages);
    w.Key("restored_outages");
    w.Int64(f.restored_outages);
    w.Key("time_to_restore_seconds_median");
    number(w, f.time_to_restore_median, 1);
    w.Key("prs_merged");
    w.Int64(f.prs_merged);
    w.Key("pr_cycle_time_seconds_median");
    number(w, f.cycle_time_median, 1);
    w.Key("pr_cycle_time_seconds_p90");
    number(w, f.cycle_time_p90, 1);
    w.Key("tests_total");
    w.Int64(f.tests_total);
    w.Key("tests_passed");
    w.Int64(f.tests_passed);
    w.Key("tests_failed");
    w.Int64(f.tests_failed);
    w.Key("test_pass_rate_percent");
    number(w, f.test_pass_rate);
    w.Key("rule_checks");
    w.Int64(f.rule_checks);
    w.Key("rule_compliance_percent");
    number(w, f.rule_compliance);
    w.Key("rules");
    w.StartArray();
    for (const auto& r : f.rules) {
        w.StartObject();
        w.Key("rule");
        w.String(r.rule);
        w.Key("checks");
        w.Int64(r.checks);
        w.Key("compliant");
        w.Int64(r.compliant);
        w.EndObject();
    }
    w.EndArray();
    w.Key("thresholds");
    w.StartArray();
    for (const auto& t : thresholds) {
        w.StartObject();
        w.Key("option");
        w.String(t.option);
        w.Key("limit");
        w.Double(t.limit);
        w.Key("value");
        number(w, t.value);
        w.Key("ok");
        w.Bool(t.ok);
        w.EndObject();
    }
    w.EndArray();
    w.Key("daily");
    w.StartArray();
    for (const auto& d : f.daily) {
        w.StartObject();
        w.Key("date");
        w.String(d.date);
        w.Key("deployments");
        w.Int64(d.deployments);
        w.Key("failed_deployments");
        w.Int64(d.failed_deployments);
        w.Key("prs_merged");
        w.Int64(d.prs_merged);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

namespace {

// Failed thresholds first, each group in the order of check_thresholds.
md::Table threshold_table(const std::vector<ThresholdResult>& thresholds) {
    md::Table t({"threshold", "limit", "value", "result"});
    for (bool ok : {false, true})
        for (const auto& r : thresholds)
            if (r.ok == ok)
                t.row({md::Cell::text(r.label), md::Cell::text(r.limit_text), md::Cell::text(r.value_text),
                       md::Cell::raw(!ok       ? "❌ not met"
                                     : r.value ? "✅ met"
                                               : "⏭️ no data")});
    return t;
}

} // namespace

std::string render_markdown(const Figures& f, const std::vector<ThresholdResult>& thresholds) {
    const bool any_failed = std::ranges::any_of(thresholds, [](const ThresholdResult& t) { return !t.ok; });
    md::Summary out;
    out.block(md::text(window_text(f)));
    if (any_failed) out.block(threshold_table(thresholds).render());
    md::Table figures({"metric", "value", "based on"});
    for (const auto& r : rows(f))
        figures.row({md::Cell::text(r.metric), md::Cell::text(r.value), md::Cell::text(r.basis)});
    out.block(figures.render());
    if (!f.rules.empty()) {
        md::Table rules({"rule", "compliance", "checks"});
        for (const auto& r : f.rules)
            rules.row({md::Cell::text(r.rule),
                       md::Cell::text(pct(100.0 * static_cast<double>(r.compliant) / static_cast<double>(r.checks))),
                       md::Cell::text(std::to_string(r.compliant) + " of " + std::to_string(r.checks))});
        out.block(rules.render());
    }
    if (!thresholds.empty() && !any_failed) out.block(threshold_table(thresholds).render());
    out.block(render_chart(f));
    return out.str();
}

std::string report_headline(const Figures& f, const std::vector<ThresholdResult>& thresholds, Strict strict) {
    const std::string title = "metrics report for " + f.window.environment;
    const long all = f.deployments + f.failed_deployments;
    const std::string period = "in the last " + md::count(static_cast<std::size_t>(f.window.days), "day");
    if (all == 0 && f.prs_merged == 0 && f.tests_total == 0 && f.rule_checks == 0)
        return md::headline(md::Outcome::skipped, title, md::text("nothing recorded " + period));
    std::string deployments = md::count(static_cast<std::size_t>(all), "deployment") +
                              (f.failed_deployments ? " (" + std::to_string(f.failed_deployments) + " failed)" : "") +
                              " " + period;
    std::vector<std::string> failed;
    for (const auto& t : thresholds)
        if (!t.ok) failed.push_back(t.label + " " + t.value_text + ", " + t.limit_text + " wanted");
    if (failed.empty()) {
        const auto no_data = std::ranges::count_if(thresholds, [](const ThresholdResult& t) { return !t.value; });
        const std::size_t met = thresholds.size() - static_cast<std::size_t>(no_data);
        std::string checked = met ? ", " + md::count(met, "threshold") + " met" : "";
        if (no_data) checked += ", " + md::count(static_cast<std::size_t>(no_data), "threshold") + " without data";
        return md::headline(md::Outcome::passed, title, md::text(deployments + checked));
    }
    std::string list;
    for (std::size_t i = 0; i < failed.size(); ++i) list += (i ? "; " : "") + failed[i];
    return md::headline(strict == Strict::yes ? md::Outcome::failed : md::Outcome::warned, title,
                        md::text(md::count(failed.size(), "threshold") + " not met (" + list + "); " + deployments));
}

} // namespace sbdeploy::metrics
