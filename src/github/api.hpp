// A small GitHub REST client over net::perform: GET with a token, pages followed through
// the Link header, and rate limits (403/429 with x-ratelimit-reset or retry-after) either
// waited out within a bound or reported with the time they reset. The token is sent to
// the configured API host only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "util/error.hpp"

namespace sbdeploy::github {

// An answer: status, body, headers (names in lower case).
using ApiResponse = net::Response;

struct ApiSettings {
    std::string base_url = "https://api.github.com";  // GITHUB_API_URL
    std::string token;                                // GITHUB_TOKEN; empty: anonymous
    std::string user_agent = "sbdeploy";
    std::chrono::milliseconds timeout{30'000};        // per request
    std::chrono::seconds max_wait{60};                // longest rate-limit wait before giving up
    int max_attempts = 4;                             // per request, rate limits and 5xx included
    std::size_t max_body_bytes = 64u * 1024u * 1024u;
    // Seconds since the epoch, and a sleep; tests replace them.
    std::function<std::int64_t()> now;
    std::function<void(std::chrono::milliseconds)> sleep;
};

class Api {
public:
    explicit Api(ApiSettings settings);

    // GET `path` ("/repos/o/r/pulls/1/files?per_page=100") or an absolute URL on the API
    // host. Retries 5xx and rate limits within the bounds; any other non-2xx is an error
    // naming the request, GitHub's message and the likely fix.
    [[nodiscard]] Result<ApiResponse> get(std::string_view path_or_url) const;

    // GETs `path` and every next page (Link: rel="next"), at most `max_pages`, handing
    // each to `on_page`; returns the number of pages read. `more` is set when a next
    // page remained after max_pages.
    [[nodiscard]] Result<int> get_pages(std::string_view path, int max_pages,
                                        const std::function<Result<void>(const ApiResponse&)>& on_page,
                                        bool* more = nullptr) const;

    [[nodiscard]] const ApiSettings& settings() const { return settings_; }

private:
    [[nodiscard]] net::Outcome get_once(const std::string& url) const;

    ApiSettings settings_;
};

// The URL of rel="next" in a Link header, or "".
std::string next_link(std::string_view link_header);

// "2025-01-02 03:04:05 UTC" for seconds since the epoch.
std::string utc_time(std::int64_t epoch_seconds);

} // namespace sbdeploy::github
