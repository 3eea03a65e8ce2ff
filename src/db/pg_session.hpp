// The libpq transport: one connection, pipelined batches, unnamed statements only
// (safe behind transaction poolers), server notices collected.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "db/session.hpp"
#include "util/signals.hpp"

namespace sbdeploy::db {

// Whether a password may travel without TLS to a destination that is not loopback.
enum class InsecureTransport { refuse, allow };

struct ConnectOptions {
    std::string url;                  // libpq URL or keyword=value string
    long connect_timeout_ms = 10'000; // the Supabase CLI's default
    std::string sslmode{};            // empty: require for remote hosts, libpq default for loopback
    std::string sslrootcert{};        // empty: the URL's, else libpq's default (~/.postgresql/root.crt)
    // refuse: an sslmode weaker than require (from the URL, --sslmode, a service file or PG*
    // variables) to any destination that is not loopback is a config error, before connecting.
    InsecureTransport insecure_transport = InsecureTransport::refuse;
    // Longest wait for any byte from the server while a statement runs: past it the statement
    // is cancelled and the connection closed (a stalled peer). 0: no limit (a statement may
    // legitimately run for hours when no statement_timeout bounds it).
    std::chrono::milliseconds silence_limit{0};
    std::string application_name = "sbdeploy";
    // Where the session registers its cancel request and socket cut while it lives, so a
    // SIGINT or SIGTERM rolls back the transaction in flight; null: not registered.
    util::InterruptRegistry* interrupts = nullptr;
    // Refused connections, failed name lookups and servers starting up are retried with
    // backoff within connect_timeout_ms; a debug line for each retry.
    std::function<void(const std::string&)> on_retry{};
};

Result<std::unique_ptr<Session>> connect_postgres(const ConnectOptions& options);

} // namespace sbdeploy::db
