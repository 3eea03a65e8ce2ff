// HTTP smoke checks after a deploy: a URL must answer with an expected status. Attempts are
// retried with exponential backoff and full jitter (net::perform_with_retry) within a time
// budget; no new attempt starts once the budget is spent.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http.hpp"
#include "util/error.hpp"

namespace sbdeploy::verify {

// Expected statuses: "200", "2xx", "200-299", or a comma list of those ("200,204,3xx").
struct StatusSet {
    std::vector<std::pair<long, long>> ranges;  // inclusive
    std::string text;                           // as given, for messages
    [[nodiscard]] bool contains(long status) const;
};
Result<StatusSet> parse_status_set(std::string_view text);

// "Authorization: Bearer x" -> {"Authorization", "Bearer x"}.
Result<std::pair<std::string, std::string>> parse_header(std::string_view text);

struct HealthCheck {
    std::string url;  // http:// or https:// only
    StatusSet expected;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds budget{30'000};  // all attempts and waits
    int retries = 5;                            // attempts after the first
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_attempt_time{10'000};  // each attempt: at most this, at most the budget
};

// Refuses what cannot be a health check (a scheme other than http/https) as a config error.
Result<void> check_url(std::string_view url);

struct HealthResult {
    std::string url;  // net::printable_url
    bool ok = false;
    long status = 0;   // the last answer's status; 0 when there was none
    int attempts = 0;
    std::chrono::milliseconds elapsed{0};
    std::string problem;  // when not ok: `answered HTTP 503, expected 2xx` or the transport error
};

// Runs one check. `hooks` default to the real clock and sleep (tests may replace them);
// hooks.on_retry sees every retry (the CLI prints it as a debug line).
HealthResult check_health(const HealthCheck& check, const net::RetryHooks& hooks = {});

} // namespace sbdeploy::verify
