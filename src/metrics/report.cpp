#include "metrics/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "metrics/time.hpp"

namespace sbdeploy::metrics {

std::optional<double> percentile(std::vector<double> values, double fraction) {
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    double pos = fraction * static_cast<double>(values.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

namespace {

std::optional<double> percent(long part, long whole) {
    if (whole <= 0) return std::nullopt;
    return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

bool inside(std::int64_t t, const Window& w) { return t >= w.from && t < w.until; }

} // namespace

Window window_of_days(std::int64_t until, int days) {
    Window w;
    w.until = until;
    w.days = days;
    w.from = day_start(until - 1) - static_cast<std::int64_t>(days - 1) * 86'400;
    return w;
}

Figures compute_figures(const History& h, const Window& w) {
    Figures f;
    f.window = w;
    const std::int64_t first_day = day_start(w.from);
    const std::int64_t last_day = day_start(w.until - 1);
    std::map<std::int64_t, DayFigure> days;
    for (std::int64_t d = first_day; d <= last_day; d += 86'400) days[d].date = format_date(d);

    // Deployments, lead time, change failure rate, outages.
    std::vector<double> lead_times;
    std::vector<double> restores;
    std::int64_t outage_start = 0;  // an outage that began inside the window, when counted
    bool counted_outage = false;
    bool in_outage = false;
    for (const auto& d : h.deployments) {
        const bool in_window = inside(d.at, w);
        if (d.at >= w.until) break;
        if (in_window) {
            auto& day = days[day_start(d.at)];
            if (d.success) {
                ++f.deployments;
                ++day.deployments;
                if (d.lead_time_seconds) lead_times.push_back(static_cast<double>(*d.lead_time_seconds));
            } else {
                ++f.failed_deployments;
                ++day.failed_deployments;
            }
        }
        if (!d.success && !in_outage) {
            in_outage = true;
            if (in_window) {
                ++f.outages;
                outage_start = d.at;
                counted_outage = true;
            }
        } else if (d.success && in_outage) {
            in_outage = false;
            if (counted_outage) {
                ++f.restored_outages;
                restores.push_back(static_cast<double>(d.at - outage_start));
            }
            counted_outage = false;
        }
    }
    f.deployment_frequency = w.days > 0 ? static_cast<double>(f.deployments) / w.days : 0.0;
    f.lead_time_median = percentile(lead_times, 0.5);
    f.lead_times = static_cast<long>(lead_times.size());
    f.change_failure_rate = percent(f.failed_deployments, f.deployments + f.failed_deployments);
    f.time_to_restore_median = percentile(restores, 0.5);

    // Pull requests.
    std::vector<double> cycles;
    for (const auto& m : h.merged) {
        if (!inside(m.at, w)) continue;
        ++f.prs_merged;
        ++days[day_start(m.at)].prs_merged;
        if (m.cycle_time_seconds) cycles.push_back(static_cast<double>(*m.cycle_time_seconds));
    }
    f.cycle_time_median = percentile(cycles, 0.5);
    f.cycle_times = static_cast<long>(cycles.size());
    f.cycle_time_p90 = percentile(cycles, 0.9);

    // Tests.
    for (const auto& t : h.tests) {
        if (!inside(t.at, w)) continue;
        f.tests_total += t.total;
        f.tests_passed += t.passed;
        f.tests_failed += t.failed;
    }
    f.test_pass_rate = percent(f.tests_passed, f.tests_passed + f.tests_failed);

    // Rules.
    std::map<std::string, RuleFigure> by_rule;
    for (const auto& r : h.rules) {
        if (!inside(r.at, w)) continue;
        ++f.rule_checks;
        auto& rf = by_rule[r.rule];
        rf.rule = r.rule;
        ++rf.checks;
        if (r.compliant) {
            ++f.rule_compliant;
            ++rf.compliant;
        }
    }
    f.rule_compliance = percent(f.rule_compliant, f.rule_checks);
    for (auto& [_, rf] : by_rule) f.rules.push_back(rf);
    for (auto& [_, d] : days) f.daily.push_back(d);
    return f;
}

} // namespace sbdeploy::metrics
