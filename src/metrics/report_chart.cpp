// The report's deployment chart: buckets, labels, the count axis and the Mermaid text.
#include "metrics/report_chart.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "metrics/time.hpp"

namespace sbdeploy::metrics {

namespace {

constexpr std::int64_t kDay = 86'400;
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Two series on one axis: every deployment as bars, the failed ones as a line over them (a
// line, not bars drawn over bars: Mermaid gives a bar of 0 a few pixels of height, which would
// mark every quiet day red). Both colours keep their contrast on GitHub's light and dark
// backgrounds, and neither is green.
constexpr const char* kPalette = "#4493f8, #e5534b";

struct Day {
    int year = 0;
    unsigned month = 0;  // 1..12
    unsigned day = 0;    // 1..31
    int weekday = 0;     // 0 Monday .. 6 Sunday
};

Day civil(std::int64_t epoch) {
    const std::chrono::sys_days d{std::chrono::days{epoch / kDay}};
    const std::chrono::year_month_day ymd{d};
    const unsigned iso = std::chrono::weekday{d}.iso_encoding();  // 1 Monday .. 7 Sunday
    return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
            static_cast<int>(iso) - 1};
}

std::string month_day(const Day& d) { return std::string(kMonths[d.month - 1]) + " " + std::to_string(d.day); }

// The bucket a day falls in, as a key that only changes from one bucket to the next.
std::int64_t bucket_key(BucketUnit unit, std::int64_t day) {
    const Day d = civil(day);
    switch (unit) {
    case BucketUnit::day: return day;
    case BucketUnit::week: return day - d.weekday * kDay;
    case BucketUnit::month: return d.year * 12L + d.month;
    default: return d.year;
    }
}

// The label of a bucket by its first day in the window.
std::string bucket_label(BucketUnit unit, std::int64_t day) {
    const Day d = civil(day);
    switch (unit) {
    case BucketUnit::day: return std::to_string(d.day);
    case BucketUnit::week: return month_day(d);
    case BucketUnit::month: return kMonths[d.month - 1];
    default: return std::to_string(d.year);
    }
}

std::string axis_title(BucketUnit unit, std::int64_t first, std::int64_t last) {
    const Day a = civil(first), b = civil(last);
    switch (unit) {
    case BucketUnit::day: return "day (" + month_day(a) + " to " + month_day(b) + ", UTC)";
    case BucketUnit::week: return "week starting (UTC)";
    case BucketUnit::month:
        return "month (" + std::to_string(a.year) + (a.year == b.year ? "" : " to " + std::to_string(b.year)) +
               ", UTC)";
    default: return "year (UTC)";
    }
}

std::string_view unit_name(BucketUnit unit) {
    switch (unit) {
    case BucketUnit::day: return "day";
    case BucketUnit::week: return "week";
    case BucketUnit::month: return "month";
    default: return "year";
    }
}

// d3's tick step for [0, end] with ten ticks (tickIncrement), for ends of 8 and more.
long tick_step(long end) {
    const double step = static_cast<double>(end) / 10.0;
    const double power = std::floor(std::log10(step));
    const double error = step / std::pow(10.0, power);
    const double factor = error >= std::sqrt(50.0)   ? 10
                          : error >= std::sqrt(10.0) ? 5
                          : error >= std::sqrt(2.0)  ? 2
                                                     : 1;
    return std::max(1L, std::lround(std::pow(10.0, power) * factor));
}

template <typename F>
std::string list(const std::vector<ChartBucket>& buckets, F value) {
    std::string r;
    for (std::size_t i = 0; i < buckets.size(); ++i) r += (i ? ", " : "") + value(buckets[i]);
    return r;
}

} // namespace

BucketUnit bucket_unit(int days) {
    if (days <= 21) return BucketUnit::day;
    if (days <= 105) return BucketUnit::week;
    if (days <= 334) return BucketUnit::month;
    return BucketUnit::year;
}

long chart_y_max(long top) {
    long end = std::max(top, 8L);
    for (;;) {
        const long step = tick_step(end);
        const long rounded = (end + step - 1) / step * step;
        if (rounded == end) return end;
        end = rounded;
    }
}

Chart chart_of(const Figures& f) {
    Chart c;
    c.unit = bucket_unit(static_cast<int>(f.daily.size()));
    std::int64_t key = 0;
    for (const auto& d : f.daily) {
        const std::int64_t day = parse_time(d.date).value_or(0);
        const std::int64_t k = bucket_key(c.unit, day);
        if (c.buckets.empty() || k != key) {
            c.buckets.push_back({bucket_label(c.unit, day), 0, 0});
            key = k;
        }
        c.buckets.back().deployments += d.deployments + d.failed_deployments;
        c.buckets.back().failed_deployments += d.failed_deployments;
    }
    long top = 0;
    for (const auto& b : c.buckets) top = std::max(top, b.deployments);
    c.y_max = chart_y_max(top);
    if (!f.daily.empty())
        c.x_title = axis_title(c.unit, parse_time(f.daily.front().date).value_or(0),
                               parse_time(f.daily.back().date).value_or(0));
    return c;
}

std::string render_chart(const Figures& f) {
    if (f.deployments + f.failed_deployments == 0)
        return "No deployment to " + f.window.environment + " in these " + std::to_string(f.window.days) +
               (f.window.days == 1 ? " day" : " days") + ": nothing to chart.\n";
    const Chart c = chart_of(f);
    const std::string unit(unit_name(c.unit));
    std::string md = "```mermaid\n---\nconfig:\n  themeVariables:\n    xyChart:\n      plotColorPalette: \"";
    md += std::string(kPalette) + "\"\n---\nxychart-beta\n";
    md += "    title \"Deployments per " + unit + " (" + f.window.environment + ")\"\n";
    md += "    x-axis \"" + c.x_title + "\" [" +
          list(c.buckets, [](const ChartBucket& b) { return "\"" + b.label + "\""; }) + "]\n";
    md += "    y-axis \"deployments\" 0 --> " + std::to_string(c.y_max) + "\n";
    md += "    bar [" + list(c.buckets, [](const ChartBucket& b) { return std::to_string(b.deployments); }) + "]\n";
    md += "    line [" + list(c.buckets, [](const ChartBucket& b) { return std::to_string(b.failed_deployments); }) +
          "]\n";
    md += "```\n\nBars: deployments per " + unit + " (UTC), failed ones included; red line: the failed ones.\n";
    return md;
}

} // namespace sbdeploy::metrics
