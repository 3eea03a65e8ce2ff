#include "github/api.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <cctype>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "util/strings.hpp"

namespace sbdeploy::github {

namespace {

struct Sink {
    ApiResponse* response;
    std::size_t max;
    bool overflow = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    std::size_t n = size * count;
    if (sink->response->body.size() + n > sink->max) {
        sink->overflow = true;
        return 0;
    }
    sink->response->body.append(data, n);
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    std::size_t n = size * count;
    std::string_view line(data, n);
    // A new status line (after a 100 Continue or a redirect) starts a new set of headers.
    if (line.starts_with("HTTP/")) {
        sink->response->headers.clear();
        return n;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    sink->response->headers[util::to_lower(util::trim(line.substr(0, colon)))] =
        std::string(util::trim(line.substr(colon + 1)));
    return n;
}

struct CurlHandle {
    CURL* h = curl_easy_init();
    curl_slist* headers = nullptr;
    ~CurlHandle() {
        curl_slist_free_all(headers);
        if (h) curl_easy_cleanup(h);
    }
    CurlHandle() = default;
    CurlHandle(const CurlHandle&) = delete;
    CurlHandle& operator=(const CurlHandle&) = delete;
};

// GitHub's error JSON carries {"message": "..."}.
std::string github_message(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return {};
    auto it = doc.FindMember("message");
    if (it == doc.MemberEnd() || !it->value.IsString()) return {};
    std::string m(it->value.GetString(), it->value.GetStringLength());
    if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
    return m;
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

std::string ApiResponse::header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

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
        std::string_view params = link.substr(close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
        auto rel = params.find("rel=");
        if (rel != std::string_view::npos) {
            std::string_view value = params.substr(rel + 4);
            value = value.substr(0, value.find_first_of(";,"));
            value = util::trim(value);
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
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

Result<ApiResponse> Api::get_once(const std::string& url) const {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CurlHandle c;
    if (!c.h) return fail(ErrorKind::io, "github api: cannot start libcurl");
    ApiResponse response;
    Sink sink{&response, settings_.max_body_bytes};
    for (std::string h : {std::string("Accept: application/vnd.github+json"), std::string("X-GitHub-Api-Version: 2022-11-28"),
                          "User-Agent: " + settings_.user_agent})
        c.headers = curl_slist_append(c.headers, h.c_str());
    if (!settings_.token.empty())
        c.headers = curl_slist_append(c.headers, ("Authorization: Bearer " + settings_.token).c_str());
    char error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
    curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c.h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c.h, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<long long>(settings_.timeout.count(), 10'000)));
    curl_easy_setopt(c.h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects are not followed: the token must not travel to another host.
    curl_easy_setopt(c.h, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(c.h);
    if (sink.overflow)
        return fail(ErrorKind::connection, "github api: the response is larger than " +
                                               std::to_string(settings_.max_body_bytes / (1024 * 1024)) + " MiB");
    if (rc != CURLE_OK) {
        std::string cause = error[0] ? std::string(error) : std::string(curl_easy_strerror(rc));
        return fail(ErrorKind::connection, "github api: " + cause,
                    "check GITHUB_API_URL (" + settings_.base_url + ") and the network");
    }
    curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
}

Result<ApiResponse> Api::get(std::string_view path_or_url) const {
    std::string url;
    if (path_or_url.starts_with("http://") || path_or_url.starts_with("https://")) {
        if (!path_or_url.starts_with(settings_.base_url + "/"))
            return fail(ErrorKind::connection,
                        "github api: refusing to follow " + util::quoted(path_or_url) + " off the API host " +
                            util::quoted(settings_.base_url));
        url = std::string(path_or_url);
    } else {
        url = settings_.base_url + std::string(path_or_url);
    }
    std::string what = "github api: GET " + url.substr(settings_.base_url.size());
    for (int attempt = 1;; ++attempt) {
        auto r = get_once(url);
        bool last = attempt >= settings_.max_attempts;
        if (!r) {
            if (last || r.error().kind != ErrorKind::connection) {
                Error e = r.error();
                e.message = what + ": " + e.message.substr(std::string_view("github api: ").size());
                return fail(std::move(e));
            }
            settings_.sleep(std::chrono::milliseconds(1000L << (attempt - 1)));
            continue;
        }
        long status = r->status;
        if (status >= 200 && status < 300) return r;
        std::string message = github_message(r->body);
        std::string said = message.empty() ? std::string() : " (" + message + ")";
        if (status == 403 || status == 429) {
            auto retry_after = number_header(*r, "retry-after");
            auto remaining = number_header(*r, "x-ratelimit-remaining");
            auto reset = number_header(*r, "x-ratelimit-reset");
            std::optional<long long> wait;
            std::string when;
            if (retry_after) {
                wait = std::max(0LL, *retry_after);
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
                return fail(ErrorKind::connection,
                            what + ": rate limit exceeded (" + std::to_string(status) + "); " + when + said,
                            settings_.token.empty()
                                ? "set GITHUB_TOKEN: anonymous requests get 60 an hour"
                                : "wait for the reset, or check out the repository with fetch-depth: 0 so git needs no API");
            }
        }
        if (status >= 500 && !last) {
            settings_.sleep(std::chrono::milliseconds(1000L << (attempt - 1)));
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
