// Connection strings: parsed with libpq's own parser, redacted for messages, and the
// secrets inside them listed for masking.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::db {

struct ConnInfo {
    std::map<std::string, std::string> params;  // only the keywords that were given
    [[nodiscard]] std::string get(const std::string& key) const {
        auto it = params.find(key);
        return it == params.end() ? std::string() : it->second;
    }
};

// A URL (postgres://...) or a keyword=value string.
Result<ConnInfo> parse_conninfo(std::string_view conninfo);
// The password and its percent-encoded spelling in the URL, for masking.
std::vector<std::string> conninfo_secrets(std::string_view conninfo);
// host:port/dbname as user, without the password: safe for messages.
std::string describe_conninfo(std::string_view conninfo);
// True when every host is loopback or a Unix socket.
bool is_local_host(std::string_view host);
// True for one destination that never leaves the machine: a Unix socket path, localhost,
// 127.0.0.0/8 or ::1 (also as an IPv4-mapped address). "" is libpq's default socket.
bool is_loopback_destination(std::string_view host);

// The settings libpq will use for a connection made with PQconnectdbParams(keywords, values,
// expand_dbname = 1), later pairs winning: the given values, then the service file's, then
// the PG* variables, then libpq's defaults. Resolves and connects nothing.
struct EffectiveSettings {
    std::map<std::string, std::string> values;
    std::vector<std::string> defaulted;  // keywords whose value is libpq's built-in default
    // Where libpq will connect, one per host of a multi-host list: hostaddr, else host
    // ("" is the default Unix socket).
    [[nodiscard]] std::vector<std::string> destinations() const;
};
Result<EffectiveSettings> effective_settings(const std::vector<std::pair<std::string, std::string>>& params);

} // namespace sbdeploy::db
