// What the libpq session (pg_session.cpp) and its connecting (pg_connect.cpp) share: libpq's
// key/value connection arrays, and the session made from an open connection.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/session.hpp"
#include "util/signals.hpp"

namespace sbdeploy::db {

// Connection parameters as libpq's *Params functions take them: two null-terminated arrays
// pointing into `params`, which must outlive them.
struct ParamArrays {
    std::vector<const char*> keys, values;
    explicit ParamArrays(const std::vector<std::pair<std::string, std::string>>& params) {
        for (const auto& [k, v] : params) {
            keys.push_back(k.c_str());
            values.push_back(v.c_str());
        }
        keys.push_back(nullptr);
        values.push_back(nullptr);
    }
};

// The session over `conn`, which it owns from now on; `params` open its side connections.
std::unique_ptr<Session> make_pg_session(PGconn* conn, std::string description, util::InterruptRegistry* interrupts,
                                         std::chrono::milliseconds silence_limit,
                                         std::vector<std::pair<std::string, std::string>> params);

} // namespace sbdeploy::db
