// One HTTP client for every service sbdeploy talks to (GitHub REST, the Supabase Management
// API, PostgREST, health checks): a request over libcurl with timeouts and a body limit, and
// a retry policy (exponential backoff with full jitter, Retry-After honoured, bounded in
// attempts and in total time). Never logs; headers may carry secrets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::net {

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  // sent in this order
    std::string body;                                          // sent when not empty or method is POST/PUT/PATCH
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};                  // whole request
    std::size_t max_body_bytes = 64u * 1024u * 1024u;           // larger responses are an error
    std::string user_agent;                                     // default: "sbdeploy/<version>"
};

struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string, std::less<>> headers;  // names in lower case; the last value
    [[nodiscard]] std::string header(std::string_view name) const;
};

// Why a request got no HTTP answer (the error kind is connection either way; this says which).
enum class Failure { none, dns, connect, timeout, tls, dropped, too_large, other };

struct Outcome {
    Result<Response> response;  // an HTTP answer of any status, or the transport error
    Failure failure = Failure::none;
};

// The URL for messages: no credentials, no query string or fragment (they may hold keys).
std::string printable_url(std::string_view url);

// Performs one request. Any HTTP status is a Response; only transport problems are errors,
// whose message is "<method> <printable_url>: <cause>".
Outcome perform(const Request& request);

// Seconds to wait from a Retry-After header (delta seconds or an HTTP date), if any.
std::optional<std::chrono::seconds> retry_after(const Response& response, std::int64_t now_epoch_seconds);

struct RetryPolicy {
    int max_attempts = 5;
    std::chrono::milliseconds base_delay{500};
    std::chrono::milliseconds max_delay{20'000};
    std::chrono::milliseconds total_budget{120'000};  // attempts plus waits
};

// Delay before attempt `attempt` (1 = the first retry): full jitter on base * 2^(attempt-1),
// capped at max_delay; a server's Retry-After wins when given. `random01` returns [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::optional<std::chrono::seconds> server_wait,
                                        const std::function<double()>& random01);

// What a caller decides about an outcome.
enum class Verdict { done, retry };

struct RetryHooks {
    std::function<std::int64_t()> now;                         // seconds since the epoch
    std::function<std::chrono::milliseconds()> monotonic;       // for the budget
    std::function<void(std::chrono::milliseconds)> sleep;
    std::function<double()> random01;
    // Called before each wait: attempt number, the delay, and why (for a debug line).
    std::function<void(int, std::chrono::milliseconds, const std::string&)> on_retry;
};

// Runs `request` until `classify` says done, the attempts are used up, or the next wait would
// exceed the total budget; returns the last outcome. Hooks default to the real clock, sleep
// and a random source; tests replace them.
Outcome perform_with_retry(const Request& request, const RetryPolicy& policy,
                           const std::function<Verdict(const Outcome&)>& classify, const RetryHooks& hooks = {});

// Default classification for idempotent requests: retry on 429, 5xx, connect failures,
// DNS failures and timeouts.
Verdict retry_transient(const Outcome& outcome);

} // namespace sbdeploy::net
