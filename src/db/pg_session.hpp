// The libpq transport: one connection, pipelined batches, unnamed statements only
// (safe behind transaction poolers), server notices collected.
#pragma once

#include <memory>
#include <string>

#include "db/session.hpp"

namespace sbdeploy::db {

struct ConnectOptions {
    std::string url;                  // libpq URL or keyword=value string
    long connect_timeout_ms = 10'000; // the Supabase CLI's default
    std::string sslmode;              // empty: require for remote hosts, libpq default for loopback
    std::string application_name = "sbdeploy";
};

Result<std::unique_ptr<Session>> connect_postgres(const ConnectOptions& options);

} // namespace sbdeploy::db
