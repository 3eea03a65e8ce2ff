// Timestamps of metrics: ISO 8601 / RFC 3339 text (GitHub's "2024-05-01T10:00:00Z", git's
// "2024-05-01T12:00:00+02:00") to seconds since the epoch and back, always UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbdeploy::metrics {

// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", "+HH:MM", "+HHMM" or nothing (UTC);
// a space may stand for the "T" and before the offset. Nothing for other text.
std::optional<std::int64_t> parse_time(std::string_view text);

// "2024-05-01T10:00:00Z".
std::string format_time(std::int64_t epoch_seconds);
// "2024-05-01" (the UTC day).
std::string format_date(std::int64_t epoch_seconds);
// Start of the UTC day holding `epoch_seconds`.
std::int64_t day_start(std::int64_t epoch_seconds);

// "45s", "12m", "3h 20m", "2d 4h": two units at most, for people.
std::string format_duration(double seconds);

// A retention or window length: "730d", "12w", "36h", "90" (days). Nothing when malformed.
std::optional<std::int64_t> parse_age_seconds(std::string_view text);

} // namespace sbdeploy::metrics
