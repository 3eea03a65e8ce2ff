#include "verify/health.hpp"

#include <algorithm>
#include <charconv>

#include "util/strings.hpp"

namespace sbdeploy::verify {

namespace {

const std::string kStatusHint = "write --health-status as 200, 2xx, 200-299 or a list such as 200,204";

std::optional<long> number(std::string_view s) {
    long n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return n;
}

} // namespace

bool StatusSet::contains(long status) const {
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const auto& r) { return status >= r.first && status <= r.second; });
}

Result<StatusSet> parse_status_set(std::string_view text) {
    StatusSet set;
    set.text = std::string(util::trim(text));
    for (const auto& part_text : util::split(text, ',')) {
        std::string part = util::to_lower(util::trim(part_text));
        auto bad = [&] {
            return fail(ErrorKind::usage, "option --health-status: " + util::quoted(part) + " is not an HTTP status",
                        kStatusHint);
        };
        if (part.size() == 3 && part[0] >= '1' && part[0] <= '5' && part.substr(1) == "xx") {
            long base = (part[0] - '0') * 100L;
            set.ranges.emplace_back(base, base + 99);
            continue;
        }
        auto dash = part.find('-');
        auto low = number(part.substr(0, dash));
        auto high = dash == std::string::npos ? low : number(part.substr(dash + 1));
        if (!low || !high || *low < 100 || *high > 599 || *low > *high) return bad();
        set.ranges.emplace_back(*low, *high);
    }
    if (set.ranges.empty()) return fail(ErrorKind::usage, "option --health-status: no status given", kStatusHint);
    return set;
}

Result<std::pair<std::string, std::string>> parse_header(std::string_view text) {
    auto colon = text.find(':');
    std::string name(util::trim(text.substr(0, colon)));
    bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (colon == std::string_view::npos || !token)
        // The value may be a secret: the message names only what came before the colon.
        return fail(ErrorKind::usage,
                    "option --health-header: expected NAME: VALUE" +
                        (token ? " after " + util::quoted(name) : std::string()),
                    "such as --health-header 'Authorization: Bearer <key>'");
    std::string value(util::trim(text.substr(colon + 1)));
    if (value.find_first_of("\r\n") != std::string::npos)
        return fail(ErrorKind::usage,
                    "option --health-header " + util::quoted(name) + ": the value holds a line break");
    return std::pair{std::move(name), std::move(value)};
}

Result<void> check_url(std::string_view url) {
    std::string lower = util::to_lower(url.substr(0, 8));
    if (!lower.starts_with("http://") && !lower.starts_with("https://"))
        return fail(ErrorKind::usage,
                    "option --health-url: " + util::quoted(net::printable_url(url)) + " is not an http or https URL",
                    "give the full URL, such as https://<project>.supabase.co/functions/v1/health");
    return {};
}

HealthResult check_health(const HealthCheck& check, const net::RetryHooks& given) {
    HealthResult result;
    result.url = net::printable_url(check.url);

    net::Request request;
    request.url = check.url;
    request.headers = check.headers;
    request.timeout = std::min(check.max_attempt_time, check.budget);
    request.connect_timeout = request.timeout;
    request.max_body_bytes = 1024 * 1024;

    net::RetryPolicy policy;
    policy.max_attempts = check.retries + 1;
    policy.base_delay = check.base_delay;
    policy.max_delay = std::max(check.base_delay, std::chrono::milliseconds(5'000));
    policy.total_budget = check.budget;

    net::RetryHooks hooks = given;
    if (!hooks.monotonic)
        hooks.monotonic = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now().time_since_epoch());
        };
    const auto started = hooks.monotonic();
    int attempts = 0;
    auto classify = [&](const net::Outcome& o) {
        ++attempts;
        return o.response && check.expected.contains(o.response->status) ? net::Verdict::done : net::Verdict::retry;
    };
    net::Outcome outcome = net::perform_with_retry(request, policy, classify, hooks);
    result.attempts = attempts;
    result.elapsed = hooks.monotonic() - started;
    if (outcome.response) {
        result.status = outcome.response->status;
        result.ok = check.expected.contains(result.status);
        if (!result.ok)
            result.problem = "answered HTTP " + std::to_string(result.status) + ", expected " + check.expected.text;
    } else {
        // The transport's message names the request ("GET <url>: cause"), as every caller does.
        std::string_view message = outcome.response.error().message;
        const std::string request_named = request.method + " " + result.url + ": ";
        if (message.starts_with(request_named)) message.remove_prefix(request_named.size());
        result.problem = std::string(message);
    }
    return result;
}

} // namespace sbdeploy::verify
