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

} // namespace sbdeploy::db
