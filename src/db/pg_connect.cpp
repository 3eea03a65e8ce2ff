// Connecting over libpq: the parameters (defaults, the URL, explicit options), TLS required for
// every destination that is not loopback, transient failures retried within the connect
// timeout, and each failure explained with its fix.
#include "db/pg_session.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "db/conninfo.hpp"
#include "db/pg_session_internal.hpp"
#include "net/http.hpp"
#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

// A connection failure explained, with the fix where we know it (COMPAT.md).
Error connect_error(std::string_view libpq_message, const std::string& target) {
    // libpq prefixes "connection to server at ... failed: " and adds tab-indented advice
    // lines of its own; keep the causes, one line, without the server's "FATAL:  ".
    std::string msg;
    for (const auto& line : util::split(util::trim(libpq_message), '\n')) {
        if (line.starts_with("\t") || util::trim(line).empty()) continue;
        msg += (msg.empty() ? "" : "; ") + util::replace_all(util::trim(line), "FATAL:  ", "");
    }
    Error e = make_error(ErrorKind::connection, "cannot connect to " + target + ": " + msg);
    auto lower = util::to_lower(msg);
    if (lower.find("password authentication failed") != std::string::npos || lower.find("sasl") != std::string::npos ||
        lower.find("scram") != std::string::npos)
        e.hint = "check the password; special characters in a URL password must be percent-encoded (@ as %40)";
    else if (lower.find("network is unreachable") != std::string::npos ||
             (target.find(".supabase.co") != std::string::npos &&
              lower.find("could not translate") == std::string::npos))
        e.hint = "db.<ref>.supabase.co is IPv6-only and GitHub runners often cannot reach it; use the session pooler "
                 "aws-0-<region>.pooler.supabase.com:5432 with user postgres.<ref>, or --transport api";
    else if (lower.find("timeout expired") != std::string::npos)
        e.hint = "the server did not answer in time; check the host and port, or raise --connect-timeout";
    else if (lower.find("could not translate host name") != std::string::npos)
        e.hint = "check the host name in the database URL";
    else if (lower.find("connection refused") != std::string::npos)
        e.hint = "is the server running and listening on that port?";
    else if (lower.find("database \"") != std::string::npos && lower.find("does not exist") != std::string::npos)
        e.hint = "check the database name at the end of the URL (on Supabase it is postgres)";
    else if (lower.find("certificate verify failed") != std::string::npos)
        e.hint = "the server's certificate is not signed by a CA in the sslrootcert file; pass the CA that signed it "
                 "with --sslrootcert (on Supabase: the project's SSL certificate from the database settings)";
    else if (lower.find("does not match host name") != std::string::npos)
        e.hint = "the server's certificate names another host; connect with the host name it names, or use --sslmode "
                 "verify-ca to check the CA only";
    else if (lower.find("root certificate file") != std::string::npos)
        e.hint = "sslmode verify-ca and verify-full need the CA certificate: pass it with --sslrootcert FILE";
    else if (lower.find("ssl") != std::string::npos)
        e.hint = "the server and the client disagree on TLS; set sslmode in the URL or --sslmode";
    return e;
}

// Failures worth another attempt: nothing was sent, and the cause may pass (a server
// starting or restarting, a pooler shedding load, a resolver hiccup).
bool transient_connect_failure(std::string_view libpq_message) {
    static constexpr std::string_view kTransient[] = {
        "connection refused",
        "temporary failure in name resolution",
        // A name that does not resolve (yet): a new project's DNS record, a resolver that
        // answers NXDOMAIN while it fails over. Retried within the same bound.
        "could not translate host name",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is not yet accepting connections",
        "sorry, too many clients already",
        "too many connections",
        "remaining connection slots are reserved",
        "server closed the connection unexpectedly",
        "connection reset by peer",
    };
    auto lower = util::to_lower(libpq_message);
    for (auto t : kTransient)
        if (lower.find(t) != std::string::npos) return true;
    return false;
}

std::string format_seconds(std::chrono::steady_clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
    return buf;
}

// TLS for every destination that is not loopback, judged on what libpq is about to use
// (host, hostaddr, every host of a list, service file, PG* variables), before anything is
// resolved or sent: no sslmode anywhere becomes require; a weaker one is refused unless allowed.
Result<void> require_tls(std::vector<std::pair<std::string, std::string>>& params, InsecureTransport insecure) {
    auto settings = effective_settings(params);
    if (!settings) return fail(settings.error());
    std::string remote;
    for (const auto& d : settings->destinations())
        if (!is_loopback_destination(d)) {
            remote = d;
            break;
        }
    if (remote.empty()) return {};
    const bool defaulted = std::find(settings->defaulted.begin(), settings->defaulted.end(), "sslmode") !=
                           settings->defaulted.end();
    const std::string mode = defaulted ? std::string() : settings->values["sslmode"];
    if (mode.empty()) {
        params.emplace_back("sslmode", "require");
        return {};
    }
    if (mode != "disable" && mode != "allow" && mode != "prefer") return {};
    if (insecure == InsecureTransport::allow) return {};
    return fail(ErrorKind::config,
                "sslmode " + util::quoted(mode) + " to " + util::quoted(remote) +
                    ", which is not loopback, may send the password and the migrations in clear",
                "use sslmode require, verify-ca or verify-full (the URL's sslmode, --sslmode, PGSSLMODE or the service "
                "file); --allow-insecure-transport accepts the risk");
}

} // namespace

Result<std::unique_ptr<Session>> connect_postgres(const ConnectOptions& options) {
    auto info = parse_conninfo(options.url);
    if (!info) return fail(info.error());
    // libpq checks sslmode only when it connects, and the failure then reads like a TLS problem.
    for (const auto& [mode, where] :
         {std::pair{info->get("sslmode"), "the database URL's sslmode"}, std::pair{options.sslmode, "--sslmode"}}) {
        static constexpr std::string_view kModes[] = {"disable", "allow",     "prefer",
                                                      "require", "verify-ca", "verify-full"};
        if (!mode.empty() && std::find(std::begin(kModes), std::end(kModes), mode) == std::end(kModes))
            return fail(ErrorKind::config, std::string(where) + " " + util::quoted(mode) + " is not an sslmode",
                        "use disable, allow, prefer, require, verify-ca or verify-full");
    }
    std::string target = describe_conninfo(options.url);

    // Defaults come before dbname, so the URL's own settings override them; explicit
    // options come after, so they override the URL.
    std::vector<std::pair<std::string, std::string>> params;
    params.emplace_back("connect_timeout", "");  // per attempt, below
    params.emplace_back("application_name", options.application_name);
    params.emplace_back("client_encoding", "UTF8");
    params.emplace_back("keepalives", "1");
    params.emplace_back("keepalives_idle", "30");
    params.emplace_back("keepalives_interval", "10");
    params.emplace_back("keepalives_count", "3");
    params.emplace_back("dbname", options.url);
    if (!options.sslmode.empty()) params.emplace_back("sslmode", options.sslmode);
    if (!options.sslrootcert.empty()) params.emplace_back("sslrootcert", options.sslrootcert);
    if (auto tls = require_tls(params, options.insecure_transport); !tls) return fail(tls.error());

    // Transient failures are retried with full-jitter backoff until connect_timeout_ms is
    // spent (an attempt's own timeout is what remains of it). Only connecting is retried:
    // nothing has been sent yet, so no retry can run a statement twice.
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    const auto budget = std::chrono::milliseconds(std::max(0L, options.connect_timeout_ms));
    net::RetryPolicy policy;
    policy.base_delay = std::chrono::milliseconds(250);
    policy.max_delay = std::chrono::milliseconds(2'000);
    std::minstd_rand rng(std::random_device{}());
    auto random01 = [&rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); };
    for (int attempt = 1;; ++attempt) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(budget - (Clock::now() - started));
        params.front().second = std::to_string(std::max(2L, (static_cast<long>(left.count()) + 999) / 1000));
        const ParamArrays arrays(params);
        PGconn* conn = PQconnectdbParams(arrays.keys.data(), arrays.values.data(), 1);
        if (conn == nullptr) return fail(ErrorKind::connection, "cannot connect to " + target + ": out of memory");
        if (PQstatus(conn) == CONNECTION_OK)
            return make_pg_session(conn, target, options.interrupts, options.silence_limit, params);
        std::string cause = PQerrorMessage(conn);
        PQfinish(conn);
        Error e = connect_error(cause, target);
        auto delay = net::backoff_delay(policy, attempt, std::nullopt, random01);
        if (!transient_connect_failure(cause) || Clock::now() - started + delay >= budget) {
            if (attempt > 1)
                e.message += " (" + std::to_string(attempt) + " attempts in " + format_seconds(Clock::now() - started) +
                             ")";
            return fail(std::move(e));
        }
        if (options.on_retry)
            options.on_retry(e.message + "; attempt " + std::to_string(attempt + 1) + " in " +
                             std::to_string(delay.count()) + " ms");
        std::this_thread::sleep_for(delay);
    }
}

} // namespace sbdeploy::db
