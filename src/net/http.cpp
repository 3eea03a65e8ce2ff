#include "net/http.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::net {

namespace {

struct Sink {
    Response* response;
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

struct Handle {
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    Handle() = default;
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() {
        curl_slist_free_all(headers);
        if (curl) curl_easy_cleanup(curl);
    }
};

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Failure failure_of(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return Failure::dns;
    case CURLE_COULDNT_CONNECT: return Failure::connect;
    case CURLE_OPERATION_TIMEDOUT: return Failure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: return Failure::tls;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return Failure::dropped;
    default: return Failure::other;
    }
}

std::string failure_hint(Failure f) {
    switch (f) {
    case Failure::dns: return "check the host name in the URL";
    case Failure::connect: return "check that the service is up and the URL's host and port are right";
    case Failure::timeout: return "the service did not answer in time; retry later or raise the timeout";
    case Failure::tls:
        return "the TLS handshake failed; check the URL's scheme and the server's certificate (CA bundle: "
               "SSL_CERT_FILE, "
               "else the system's)";
    case Failure::dropped: return "the connection was closed before a full answer; retry later";
    default: return {};
    }
}

// The CA bundle HTTPS is checked against. Debian's libcurl has its path compiled in, but the
// static release binary runs on every distribution, so its libcurl has none: the bundle is
// found as OpenSSL's tools find it, SSL_CERT_FILE first, then each distribution's usual path.
// Empty: none found, libcurl's own default (if any) applies.
const std::string& ca_bundle() {
    static const std::string path = [] {
        if (const char* file = std::getenv("SSL_CERT_FILE"); file && *file) return std::string(file);
        for (const char* candidate :
             {"/etc/ssl/certs/ca-certificates.crt",     // Debian, Ubuntu, Alpine, Arch
              "/etc/pki/tls/certs/ca-bundle.crt",       // Fedora, RHEL, Amazon Linux
              "/etc/ssl/ca-bundle.pem",                 // openSUSE
              "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"}) // Alpine, macOS
            if (::access(candidate, R_OK) == 0) return std::string(candidate);
        return std::string();
    }();
    return path;
}

long as_millis(std::chrono::milliseconds d) { return static_cast<long>(std::max<std::int64_t>(1, d.count())); }

} // namespace

std::string printable_url(std::string_view url) {
    std::string_view u = url.substr(0, url.find_first_of("?#"));
    auto scheme = u.find("://");
    std::size_t host = scheme == std::string_view::npos ? 0 : scheme + 3;
    auto at = u.find('@', host);
    auto slash = u.find('/', host);
    if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash))
        return std::string(u.substr(0, host)) + std::string(u.substr(at + 1));
    return std::string(u);
}

std::string Response::header(std::string_view name) const {
    auto it = headers.find(util::to_lower(name));
    return it == headers.end() ? std::string() : it->second;
}

Outcome perform(const Request& request) {
    global_init();
    Handle h;
    const std::string where = request.method + " " + printable_url(request.url);
    if (!h.curl) return {fail(ErrorKind::connection, where + ": could not initialise libcurl"), Failure::other};

    Response response;
    Sink sink{&response, request.max_body_bytes};
    for (const auto& [name, value] : request.headers)
        h.headers = curl_slist_append(h.headers, (name + ": " + value).c_str());
    // libcurl adds "Expect: 100-continue" to large POSTs; services answer faster without it.
    h.headers = curl_slist_append(h.headers, "Expect:");
    const std::string agent = request.user_agent.empty() ? std::string("sbdeploy/") + SBDEPLOY_VERSION
                                                         : request.user_agent;

    curl_easy_setopt(h.curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h.curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
    curl_easy_setopt(h.curl, CURLOPT_USERAGENT, agent.c_str());
    curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT_MS, as_millis(request.connect_timeout));
    curl_easy_setopt(h.curl, CURLOPT_TIMEOUT_MS, as_millis(request.timeout));
    curl_easy_setopt(h.curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h.curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (const auto& bundle = ca_bundle(); !bundle.empty()) curl_easy_setopt(h.curl, CURLOPT_CAINFO, bundle.c_str());
    if (const char* dir = std::getenv("SSL_CERT_DIR"); dir && *dir) curl_easy_setopt(h.curl, CURLOPT_CAPATH, dir);
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &sink);
    const bool has_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                          request.method == "PATCH";
    if (has_body) {
        curl_easy_setopt(h.curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(h.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "HEAD") {
        curl_easy_setopt(h.curl, CURLOPT_NOBODY, 1L);
    }

    char message[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h.curl, CURLOPT_ERRORBUFFER, message);
    CURLcode code = curl_easy_perform(h.curl);
    if (sink.overflow)
        return {fail(ErrorKind::connection,
                     where + ": the answer is larger than " + std::to_string(request.max_body_bytes) + " bytes"),
                Failure::too_large};
    if (code != CURLE_OK) {
        Failure f = failure_of(code);
        std::string cause = message[0] ? std::string(util::trim(message)) : curl_easy_strerror(code);
        return {fail(ErrorKind::connection, where + ": " + cause, failure_hint(f)), f};
    }
    curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &response.status);
    return {std::move(response), Failure::none};
}

std::optional<std::chrono::seconds> retry_after(const Response& response, std::int64_t now_epoch_seconds) {
    std::string value(util::trim(response.header("retry-after")));
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) return std::chrono::seconds(999'999'999);
        return std::chrono::seconds(std::stoll(value));
    }
    // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
    std::time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return std::nullopt;
    return std::chrono::seconds(std::max<std::int64_t>(0, static_cast<std::int64_t>(when) - now_epoch_seconds));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::optional<std::chrono::seconds> server_wait,
                                        const std::function<double()>& random01) {
    if (server_wait) return std::chrono::duration_cast<std::chrono::milliseconds>(*server_wait);
    double cap = static_cast<double>(policy.base_delay.count()) * std::pow(2.0, std::max(0, attempt - 1));
    cap = std::min(cap, static_cast<double>(policy.max_delay.count()));
    double r = random01 ? random01() : 0.5;
    return std::chrono::milliseconds(static_cast<std::int64_t>(cap * std::clamp(r, 0.0, 1.0)));
}

Verdict retry_transient(const Outcome& outcome) {
    if (outcome.response) {
        long s = outcome.response->status;
        return s == 429 || (s >= 500 && s <= 599) ? Verdict::retry : Verdict::done;
    }
    switch (outcome.failure) {
    case Failure::dns:
    case Failure::connect:
    case Failure::timeout: return Verdict::retry;
    default: return Verdict::done;
    }
}

Outcome perform_with_retry(const Request& request, const RetryPolicy& policy,
                           const std::function<Verdict(const Outcome&)>& classify, const RetryHooks& given) {
    RetryHooks hooks = given;
    if (!hooks.now) hooks.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
    if (!hooks.monotonic)
        hooks.monotonic = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now().time_since_epoch());
        };
    if (!hooks.sleep) hooks.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (!hooks.random01) {
        auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
        hooks.random01 = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
    }

    const auto started = hooks.monotonic();
    for (int attempt = 1;; ++attempt) {
        Outcome outcome = perform(request);
        if (classify(outcome) == Verdict::done || attempt >= policy.max_attempts) return outcome;
        std::optional<std::chrono::seconds> server_wait;
        std::string why;
        if (outcome.response) {
            server_wait = retry_after(*outcome.response, hooks.now());
            why = "HTTP " + std::to_string(outcome.response->status);
        } else {
            why = outcome.response.error().message;
        }
        auto delay = backoff_delay(policy, attempt, server_wait, hooks.random01);
        if (hooks.monotonic() - started + delay > policy.total_budget) return outcome;
        if (hooks.on_retry) hooks.on_retry(attempt, delay, why);
        hooks.sleep(delay);
    }
}

} // namespace sbdeploy::net
