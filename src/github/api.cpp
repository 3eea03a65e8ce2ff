#include "github/api.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <ctime>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "net/http.hpp"
#include "util/strings.hpp"

namespace sbdeploy::github {

namespace {

// GitHub's error JSON carries {"message": "..."}.
std::string github_message(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return {};
    auto it = doc.FindMember("message");
    if (it == doc.MemberEnd() || !it->value.IsString()) return {};
    // As GitHub wrote it ("Bad credentials", "API rate limit exceeded for ...").
    return {it->value.GetString(), it->value.GetStringLength()};
}

std::optional<long long> number_header(const ApiResponse& r, std::string_view name) {
    auto v = r.header(name);
    if (v.empty()) return std::nullopt;
    try {
        std::size_t used = 0;
        long long n = std::stoll(v, &used);
        if (used != v.size()) return std::nullopt;
        return n;
    } catch (...) {
        return std::nullopt;
    }
}

std::string duration_text(long long seconds) {
    if (seconds < 120) return std::to_string(seconds) + " s";
    if (seconds < 7200) return std::to_string((seconds + 59) / 60) + " min";
    return std::to_string((seconds + 3599) / 3600) + " h";
}

} // namespace

std::string next_link(std::string_view link) {
    // <https://api.github.com/...&page=2>; rel="next", <...>; rel="last"
    std::size_t pos = 0;
    while (pos < link.size()) {
        auto open = link.find('<', pos);
        if (open == std::string_view::npos) break;
        auto close = link.find('>', open);
        if (close == std::string_view::npos) break;
        std::string_view url = link.substr(open + 1, close - open - 1);
        auto next = link.find('<', close);
        std::string_view params =
            link.substr(close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
        auto rel = params.find("rel=");
        if (rel != std::string_view::npos) {
            std::string_view value = params.substr(rel + 4);
            value = value.substr(0, value.find_first_of(";,"));
            value = util::trim(value);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            for (const auto& word : util::split(value, ' '))
                if (word == "next") return std::string(url);
        }
        if (next == std::string_view::npos) break;
        pos = next;
    }
    return {};
}

std::string utc_time(std::int64_t epoch_seconds) {
    std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

Api::Api(ApiSettings settings) : settings_(std::move(settings)) {
    while (settings_.base_url.ends_with('/')) settings_.base_url.pop_back();
    if (!settings_.now)
        settings_.now = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    if (!settings_.sleep) settings_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

net::Outcome Api::get_once(const std::string& url) const {
    net::Request request;
    request.url = url;
    request.headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
    if (!settings_.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + settings_.token);
    request.user_agent = settings_.user_agent;
    request.timeout = settings_.timeout;
    request.connect_timeout = std::min(settings_.timeout, std::chrono::milliseconds(10'000));
    request.max_body_bytes = settings_.max_body_bytes;
    // net::perform follows no redirect: the token never travels to another host.
    return net::perform(request);
}

Result<ApiResponse> Api::get(std::string_view path_or_url) const {
    std::string url;
    if (path_or_url.starts_with("http://") || path_or_url.starts_with("https://")) {
        if (!path_or_url.starts_with(settings_.base_url + "/"))
            return fail(ErrorKind::connection, "github api: refusing to follow " + util::quoted(path_or_url) +
                                                   " off the API host " + util::quoted(settings_.base_url));
        url = std::string(path_or_url);
    } else {
        url = settings_.base_url + std::string(path_or_url);
    }
    std::string what = "github api: GET " + url.substr(settings_.base_url.size());
    auto backoff = [&](int attempt, std::optional<std::chrono::seconds> server_wait) {
        static thread_local std::mt19937_64 engine{std::random_device{}()};
        net::RetryPolicy policy;
        policy.base_delay = std::chrono::milliseconds(1000);
        settings_.sleep(net::backoff_delay(policy, attempt, server_wait,
                                           [] { return std::uniform_real_distribution<double>(0.0, 1.0)(engine); }));
    };
    for (int attempt = 1;; ++attempt) {
        net::Outcome outcome = get_once(url);
        bool last = attempt >= settings_.max_attempts;
        if (!outcome.response) {
            bool transient = outcome.failure == net::Failure::dns || outcome.failure == net::Failure::connect ||
                             outcome.failure == net::Failure::timeout || outcome.failure == net::Failure::dropped;
            if (last || !transient) {
                Error e = outcome.response.error();
                // "GET http://host/path: cause" -> "github api: GET /path: cause"
                auto colon = e.message.find(": ");
                e.message = what + ": " + (colon == std::string::npos ? e.message : e.message.substr(colon + 2));
                if (e.hint.empty() || outcome.failure == net::Failure::dns || outcome.failure == net::Failure::connect)
                    e.hint = "check GITHUB_API_URL (" + settings_.base_url + ") and the network";
                return fail(std::move(e));
            }
            backoff(attempt, std::nullopt);
            continue;
        }
        ApiResponse& r = *outcome.response;
        long status = r.status;
        if (status >= 200 && status < 300) return std::move(r);
        std::string message = github_message(r.body);
        std::string said = message.empty() ? std::string() : " (" + message + ")";
        if (status == 403 || status == 429) {
            auto server_wait = net::retry_after(r, settings_.now());
            auto remaining = number_header(r, "x-ratelimit-remaining");
            auto reset = number_header(r, "x-ratelimit-reset");
            std::optional<long long> wait;
            std::string when;
            if (server_wait) {
                wait = server_wait->count();
                when = "retry after " + duration_text(*wait);
            } else if (remaining && *remaining == 0 && reset) {
                wait = std::max(0LL, *reset - static_cast<long long>(settings_.now()));
                when = "it resets at " + utc_time(*reset) + ", in " + duration_text(*wait);
            } else if (status == 429) {
                wait = 60;  // GitHub: wait at least a minute when it does not say
                when = "retry after 60 s";
            }
            if (wait) {
                if (*wait <= settings_.max_wait.count() && !last) {
                    settings_.sleep(std::chrono::seconds(*wait));
                    continue;
                }
                return fail(
                    ErrorKind::connection,
                    what + ": rate limit exceeded (HTTP " + std::to_string(status) + "); " + when + said,
                    settings_.token.empty()
                        ? "set GITHUB_TOKEN: anonymous requests get 60 an hour"
                        : "wait for the reset, or check out the repository with fetch-depth: 0 so git needs no API");
            }
        }
        if (status >= 500 && !last) {
            backoff(attempt, net::retry_after(r, settings_.now()));
            continue;
        }
        std::string hint;
        switch (status) {
        case 401: hint = "GITHUB_TOKEN is not accepted: pass a valid token (github.token in a workflow)"; break;
        case 403:
        case 404:
            hint = "the token needs read access to the repository (permissions: contents: read, pull-requests: read)";
            break;
        default: hint = status >= 500 ? "GitHub is failing; try again later" : ""; break;
        }
        return fail(ErrorKind::connection, what + ": HTTP " + std::to_string(status) + said, hint);
    }
}

Result<int> Api::get_pages(std::string_view path, int max_pages,
                           const std::function<Result<void>(const ApiResponse&)>& on_page, bool* more) const {
    std::string url(path);
    if (more) *more = false;
    for (int pages = 1;; ++pages) {
        auto r = get(url);
        if (!r) return fail(r.error());
        if (auto ok = on_page(*r); !ok) return fail(ok.error());
        url = next_link(r->header("link"));
        if (url.empty()) return pages;
        if (pages >= max_pages) {
            if (more) *more = true;
            return pages;
        }
    }
}

} // namespace sbdeploy::github
