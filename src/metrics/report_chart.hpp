// The report's deployment chart (Mermaid xychart, as GitHub renders it): buckets chosen for
// the period so the x-axis holds at most ~21 short labels (days, then weeks, then months,
// then years), a count axis whose ticks are whole numbers, colours that read in light and
// dark themes, and no chart at all when there is nothing to draw. Pure: figures in, text out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/report.hpp"

namespace sbdeploy::metrics {

enum class BucketUnit { day, week, month, year };

// The bucket for a window of `days` days: days up to 21, weeks up to 105 days (at most 16
// labels like "Nov 3"), months up to 334 days (12 at most, so no month name repeats),
// then years.
BucketUnit bucket_unit(int days);

struct ChartBucket {
    std::string label;  // "17" (day of month), "Nov 3" (first day of the week in the window), "Nov", "2026"
    long deployments = 0;         // all finished deployments: successful and failed
    long failed_deployments = 0;
};

struct Chart {
    BucketUnit unit = BucketUnit::day;
    std::vector<ChartBucket> buckets;  // oldest first; one per day/week/month/year of the window
    std::string x_title;               // "day (Nov 17 to Nov 30, UTC)"
    long y_max = 0;                    // the count axis' end (chart_y_max)
};

// The figures' days grouped into buckets.
Chart chart_of(const Figures& figures);

// The end of a count axis from 0 that holds `top` and whose ticks are whole numbers:
// Mermaid draws a linear axis with d3's ten ticks, whose step is a whole number only from
// an end of 8 up; the end is then a multiple of the step, so the highest tick is labelled.
long chart_y_max(long top);

// The chart as a ```mermaid block (bars: every deployment; a line: the failed ones) and its
// caption, or a sentence when the window has no deployment to draw.
std::string render_chart(const Figures& figures);

} // namespace sbdeploy::metrics
