// The libpq transport: one connection, pipelined batches, unnamed statements only
// (safe behind transaction poolers), server notices collected.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "db/session.hpp"
#include "util/signals.hpp"

namespace sbdeploy::db {

struct ConnectOptions {
    std::string url;                  // libpq URL or keyword=value string
    long connect_timeout_ms = 10'000; // the Supabase CLI's default
    std::string sslmode{};            // empty: require for remote hosts, libpq default for loopback
    std::string sslrootcert{};        // empty: the URL's, else libpq's default (~/.postgresql/root.crt)
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
