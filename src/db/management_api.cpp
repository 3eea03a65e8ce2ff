#include "db/management_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <random>

#include "db/api_sql.hpp"
#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds_text(Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
    return buf;
}

std::string duration_text(std::chrono::milliseconds d) {
    if (d.count() % 60'000 == 0) return std::to_string(d.count() / 60'000) + "m";
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

// Why a call did not get rows: an SQL error (with where the API's caret points), or
// anything else (credentials, rate limits, the network), already explained.
struct CallFailure {
    Error error;
    bool sql = false;
    int line = 0;
    int offset = 0;
    int attempts = 1;
};

// Retry what may succeed later: rate limits, server errors, and requests that got no
// answer. Every request this transport sends is safe to repeat: reads, IF NOT EXISTS DDL,
// batches that re-check the history under a lock, and dry runs that roll back.
net::Verdict classify(const net::Outcome& o) {
    if (o.response) {
        long s = o.response->status;
        return s == 429 || (s >= 500 && s <= 599) ? net::Verdict::retry : net::Verdict::done;
    }
    switch (o.failure) {
    case net::Failure::dns:
    case net::Failure::connect:
    case net::Failure::timeout:
    case net::Failure::dropped: return net::Verdict::retry;
    default: return net::Verdict::done;
    }
}

class ApiSession final : public Session {
public:
    explicit ApiSession(ApiOptions options) : o_(std::move(options)) {
        std::string base = o_.api_url;
        while (base.ends_with('/')) base.pop_back();
        endpoint_ = base + "/v1/projects/" + o_.project_ref + "/database/query";
        auto scheme = base.find("://");
        auto host_end = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
        origin_ = base.substr(0, host_end);
        std::random_device rd;
        char tag[16];
        std::snprintf(tag, sizeof tag, "%08x", rd());
        prepared_prefix_ = std::string("sbdeploy_") + tag;
    }

    [[nodiscard]] std::string describe() const override {
        return "project " + o_.project_ref + " (Management API at " + origin_ + ")";
    }

    Result<QueryResult> exec(std::string_view sql) override {
        auto body = call(sql);
        if (!body) return fail(std::move(body.error().error));
        return read_answer(*body);
    }

    Result<QueryResult> exec_params(std::string_view sql, std::span<const Value> params) override {
        return exec(inline_params(sql, params, next_name()));
    }

    // A 2xx answer that is not rows is a failure of the batch whose item is unknown: the
    // server may or may not have run it (callers that must know use exec_batch_answer).
    std::expected<std::size_t, BatchFailure> exec_batch(std::span<const BatchItem> items, BatchMode mode) override {
        if (items.empty()) return 0;
        auto answer = exec_batch_answer(items, mode);
        if (!answer) return std::unexpected(std::move(answer.error()));
        if (!*answer) return std::unexpected(BatchFailure{BatchFailure::unknown_index, std::move(answer->error())});
        return items.size();
    }

    std::expected<Result<QueryResult>, BatchFailure> exec_batch_answer(std::span<const BatchItem> items,
                                                                       BatchMode mode) override {
        if (items.empty()) return Result<QueryResult>(QueryResult{});
        if (mode == BatchMode::in_caller)
            return std::unexpected(BatchFailure{
                0, make_error(ErrorKind::operation,
                              "management api: a batch inside an open transaction needs a database session, and "
                              "each request of the Management API is its own session",
                              "this is a bug in sbdeploy: the caller must send the whole transaction as one batch")});
        const auto query = compose_batch(items, mode, next_name());
        auto body = call(query.text);
        if (body) return read_answer(*body);
        CallFailure f = std::move(body.error());
        // Not an SQL error (credentials, rate limits, the network): no item is at fault.
        if (!f.sql) return std::unexpected(BatchFailure{BatchFailure::unknown_index, std::move(f.error), f.attempts});
        if (f.line > 0) {
            if (auto at = locate_position(query, position_of(query.text, f.line, f.offset))) {
                f.error.column = at->position;
                return std::unexpected(BatchFailure{at->index, std::move(f.error), f.attempts});
            }
        }
        // sbdeploy's own guards (SQLSTATE SB...) are recognised by their code, not their place.
        if (f.error.sqlstate.starts_with("SB"))
            return std::unexpected(BatchFailure{BatchFailure::unknown_index, std::move(f.error), f.attempts});
        const int attempts = f.attempts;
        return std::unexpected(BatchFailure{find_failing_item(items, mode), std::move(f.error), attempts});
    }

    // `items` as one query exactly as given, nothing added around them: for callers that write
    // their own transaction blocks. A failure's index is the item the API's caret points into,
    // else unknown: no probes, which would run the script's COMMITs for real.
    std::expected<Result<QueryResult>, BatchFailure> exec_script(std::span<const BatchItem> items) {
        const auto query = compose_batch(items, BatchMode::in_caller, next_name());
        auto body = call(query.text);
        if (body) return read_answer(*body);
        CallFailure f = std::move(body.error());
        std::size_t index = BatchFailure::unknown_index;
        if (f.sql && f.line > 0) {
            if (auto at = locate_position(query, position_of(query.text, f.line, f.offset))) {
                f.error.column = at->position;
                index = at->index;
            }
        }
        return std::unexpected(BatchFailure{index, std::move(f.error), f.attempts});
    }

    std::vector<std::string> take_notices() override { return {}; }
    [[nodiscard]] int backend_pid() const override { return 0; }
    [[nodiscard]] Scope scope() const override { return Scope::call; }

private:
    // The rows of a 2xx answer, or what else it was: no answer is trusted by its status alone.
    static Result<QueryResult> read_answer(const std::string& body) {
        auto rows = parse_rows(body);
        if (rows) return rows;
        rapidjson::Document doc;
        doc.Parse(body.data(), body.size());
        if (!doc.HasParseError() && doc.IsObject())  // {"message": ...}: an error sent with a success status
            return fail(ErrorKind::connection,
                        "the management api answered a success status with an error instead of rows: " +
                            body_message(body),
                        "check --api-url: it must be the Management API (https://api.supabase.com)");
        return rows;
    }

    std::string next_name() { return prepared_prefix_ + "_" + std::to_string(++counter_); }

    // The API names neither the statement that failed nor, for errors found while
    // executing (a unique violation, a deferred constraint), any position. Find the item
    // by running prefixes of the batch, each rolled back: the shortest prefix that fails
    // ends with it. A whole batch that passes when rolled back failed at its COMMIT.
    std::size_t find_failing_item(std::span<const BatchItem> items, BatchMode mode) {
        auto fails = [&](std::size_t count) -> std::optional<bool> {
            auto probe = compose_batch(items.first(count), BatchMode::rolled_back, next_name());
            auto r = call(probe.text);
            if (r) return false;
            if (!r.error().sql) return std::nullopt;
            return true;
        };
        const std::size_t n = items.size();
        if (mode == BatchMode::atomic) {
            auto all = fails(n);
            if (!all) return BatchFailure::unknown_index;
            if (!*all) return n;
        }
        std::size_t lo = 1, hi = n;  // fails(hi); not fails(lo - 1)
        while (lo < hi) {
            std::size_t mid = lo + (hi - lo) / 2;
            auto f = fails(mid);
            if (!f) return BatchFailure::unknown_index;
            if (*f)
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo - 1;
    }

    // One query through the API, retried as `classify` says; the body of a 2xx answer.
    std::expected<std::string, CallFailure> call(std::string_view sql) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.StartObject();
        w.Key("query");
        w.String(sql.data(), static_cast<rapidjson::SizeType>(sql.size()));
        w.Key("read_only");
        w.Bool(false);
        w.EndObject();

        net::Request request;
        request.method = "POST";
        request.url = endpoint_;
        request.headers = {{"Authorization", "Bearer " + o_.token},
                           {"Content-Type", "application/json"},
                           {"Accept", "application/json"}};
        request.body.assign(buf.GetString(), buf.GetSize());
        request.connect_timeout = o_.connect_timeout;
        request.timeout = o_.request_timeout;

        net::RetryPolicy policy;
        policy.max_attempts = 1000;  // the budget bounds the attempts
        policy.total_budget = o_.retry_budget;
        int attempts = 1;
        net::RetryHooks hooks = o_.hooks;
        hooks.on_retry = [&](int attempt, std::chrono::milliseconds delay, const std::string& why) {
            attempts = attempt + 1;
            if (o_.on_retry) {
                char wait[32];
                std::snprintf(wait, sizeof wait, "%.1fs", static_cast<double>(delay.count()) / 1000.0);
                o_.on_retry("management api: " + why + "; retrying in " + wait + " (attempt " +
                            std::to_string(attempt + 1) + ")");
            }
        };
        const auto started = Clock::now();
        net::Outcome outcome = net::perform_with_retry(request, policy, classify, hooks);
        const std::string tried = attempts > 1 ? " after " + std::to_string(attempts) + " attempts in " +
                                                     seconds_text(Clock::now() - started)
                                               : "";
        if (!outcome.response) {
            Error e = outcome.response.error();
            e.message = "management api: " + e.message + tried;
            if (outcome.failure == net::Failure::timeout)
                e.hint = "no answer within --api-timeout (" + duration_text(o_.request_timeout) +
                         ") or --connect-timeout; a long migration needs a larger --api-timeout";
            return std::unexpected(CallFailure{std::move(e), false, 0, 0, attempts});
        }
        const net::Response& r = *outcome.response;
        if (r.status >= 200 && r.status <= 299) return std::move(outcome.response->body);
        CallFailure f = answer_failure(r, tried);
        f.attempts = attempts;
        return std::unexpected(std::move(f));
    }

    CallFailure answer_failure(const net::Response& r, const std::string& tried) const {
        std::string message = body_message(r.body);
        std::string status = "HTTP " + std::to_string(r.status);
        const std::string project = util::quoted(o_.project_ref);
        if (r.status == 400) {
            QueryError q = parse_query_error(message);
            if (!q.error.sqlstate.empty()) return CallFailure{std::move(q.error), true, q.line, q.offset};
        }
        CallFailure f;
        f.error.kind = ErrorKind::connection;
        switch (r.status) {
        case 401:
            f.error.message = "management api: the access token was refused (" + status + ": " + message + ")";
            f.error.hint = "set SUPABASE_ACCESS_TOKEN to a valid personal access token (sbp_..., created under "
                           "Account > Access Tokens in the Supabase dashboard)";
            break;
        case 403:
            f.error.message = "management api: the access token may not run queries on project " + project + " (" +
                              status + ": " + message + ")";
            f.error.hint = "use a token of an account that is a member of the project's organization, and check "
                           "--project-ref";
            break;
        case 404:
            f.error.message = "management api: no project " + project + " (" + status + ": " + message + ")";
            f.error.hint = "check --project-ref (or SBDEPLOY_<ENVIRONMENT>_PROJECT_REF) and --api-url";
            break;
        case 413:
            f.error.message = "management api: the query is too large for the API (" + status + ")";
            f.error.hint = "split the migration into smaller files, or use a database URL (--transport postgres)";
            break;
        case 429:
            f.error.message = "management api: rate limited (" + status + ")" + tried;
            f.error.hint = "the Management API allows about 60-120 requests a minute; wait a minute and run again, "
                           "or raise --api-retry-budget (now " +
                           duration_text(o_.retry_budget) + ")";
            break;
        default:
            f.error.message = "management api: " + status + tried + ": " + message;
            if (r.status >= 500)
                f.error.hint = "the Management API kept failing; run again later: each migration is recorded with "
                               "its history row, so a new run resumes where this one stopped";
            break;
        }
        return f;
    }

    ApiOptions o_;
    std::string endpoint_;
    std::string origin_;
    std::string prepared_prefix_;
    unsigned long counter_ = 0;
};

// The host of an http(s) URL, as libcurl reads it: after the last '@' of the authority, without
// the port; an IPv6 literal without its brackets. Empty when there is none.
std::string url_host(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view authority = url.substr(scheme + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        return close == std::string_view::npos ? std::string() : std::string(authority.substr(1, close - 1));
    }
    return std::string(authority.substr(0, authority.find(':')));
}

// 127.0.0.0/8 written as four decimal numbers (no leading zeros: some resolvers read them as
// octal), ::1, or localhost. Anything else, however it would resolve, is not loopback.
bool is_loopback_host(std::string_view host) {
    if (util::to_lower(host) == "localhost" || host == "::1") return true;
    int parts = 0;
    std::size_t i = 0;
    while (i <= host.size()) {
        auto dot = host.find('.', i);
        std::string_view part = host.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
        if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos ||
            (part.size() > 1 && part[0] == '0'))
            return false;
        int value = std::stoi(std::string(part));
        if (value > 255 || (parts == 0 && value != 127)) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        i = dot + 1;
    }
    return parts == 4;
}

} // namespace

bool is_project_ref(std::string_view ref) {
    if (ref.size() != 20) return false;
    for (char c : ref)
        if (c < 'a' || c > 'z') return false;
    return true;
}

std::expected<Result<QueryResult>, BatchFailure> exec_script(Session& session, std::span<const BatchItem> items) {
    if (auto* api = dynamic_cast<ApiSession*>(&session)) return api->exec_script(items);
    return std::unexpected(BatchFailure{
        0, make_error(ErrorKind::operation, "a script of transaction blocks needs the Management API transport",
                      "this is a bug in sbdeploy: only Scope::call sessions of the Management API take scripts")});
}

Result<std::unique_ptr<Session>> connect_management_api(const ApiOptions& options) {
    if (!options.api_url.starts_with("https://") && !options.api_url.starts_with("http://"))
        return fail(ErrorKind::config, "--api-url " + util::quoted(options.api_url) + " is not an http(s) URL",
                    "use https://api.supabase.com (the default) or leave --api-url unset");
    // Checked on the URL's text, before libcurl resolves or connects anything: the token goes
    // in the Authorization header of every request.
    if (!options.api_url.starts_with("https://") && !is_loopback_host(url_host(options.api_url)))
        return fail(
            ErrorKind::config,
            "--api-url " + util::quoted(options.api_url) + " is not https: the access token would travel in clear",
            "use an https:// URL (the default, https://api.supabase.com); plain http is only for a loopback host "
            "(127.0.0.0/8, ::1, localhost)");
    if (!is_project_ref(options.project_ref))
        return fail(ErrorKind::config,
                    "project ref " + util::quoted(options.project_ref) + " is not a Supabase project ref",
                    "a project ref is the 20 lowercase letters in the project's URL, https://<ref>.supabase.co");
    if (options.token.empty())
        return fail(ErrorKind::config, "the Management API transport needs SUPABASE_ACCESS_TOKEN",
                    "set SUPABASE_ACCESS_TOKEN (a secret of the job's GitHub environment, mapped into env:) to a "
                    "personal access token");
    return std::unique_ptr<Session>(std::make_unique<ApiSession>(options));
}

} // namespace sbdeploy::db
