#include "db/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>

#include "util/strings.hpp"

namespace sbdeploy::db {

Result<ConnInfo> parse_conninfo(std::string_view conninfo) {
    std::string text(conninfo);
    char* errmsg = nullptr;
    PQconninfoOption* opts = PQconninfoParse(text.c_str(), &errmsg);
    if (opts == nullptr) {
        std::string msg(errmsg ? util::trim(errmsg) : std::string_view("out of memory"));
        if (errmsg) PQfreemem(errmsg);
        // libpq's message may quote the string, password included: never pass it on.
        if (msg.find(text) != std::string::npos) msg = "invalid connection string";
        return fail(ErrorKind::config, "invalid database URL: " + msg,
                    "use postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters in the password "
                    "percent-encoded");
    }
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> guard(opts, &PQconninfoFree);
    ConnInfo info;
    for (auto* o = opts; o->keyword != nullptr; ++o)
        if (o->val != nullptr) info.params[o->keyword] = o->val;
    return info;
}

std::vector<std::string> conninfo_secrets(std::string_view conninfo) {
    std::vector<std::string> out;
    auto info = parse_conninfo(conninfo);
    if (!info) {
        // Unparseable: mask the whole value, it may hold a password.
        out.emplace_back(conninfo);
        return out;
    }
    auto password = info->get("password");
    if (!password.empty()) {
        out.push_back(password);
        // The URL spelling, e.g. p%40ss for p@ss.
        auto at = conninfo.find('@');
        auto scheme = conninfo.find("://");
        if (scheme != std::string_view::npos && at != std::string_view::npos) {
            auto userinfo = conninfo.substr(scheme + 3, at - scheme - 3);
            auto colon = userinfo.find(':');
            if (colon != std::string_view::npos) {
                std::string raw(userinfo.substr(colon + 1));
                if (raw != password) out.push_back(raw);
            }
        }
    }
    return out;
}

std::string describe_conninfo(std::string_view conninfo) {
    auto info = parse_conninfo(conninfo);
    if (!info) return "(invalid database URL)";
    std::string host = info->get("host");
    if (host.empty()) host = info->get("hostaddr");
    if (host.empty()) host = "localhost";
    std::string port = info->get("port");
    std::string db = info->get("dbname");
    std::string user = info->get("user");
    std::string r = host;
    if (!port.empty()) r += ":" + port;
    if (!db.empty()) r += "/" + db;
    if (!user.empty()) r += " as " + user;
    return r;
}

bool is_local_host(std::string_view host) {
    if (host.empty()) return true;
    for (auto& h : util::split(host, ',')) {
        std::string_view v = util::trim(h);
        bool local = v.empty() || v.starts_with("/") || v == "localhost" || v.starts_with("127.") || v == "::1" ||
                     v == "[::1]";
        if (!local) return false;
    }
    return true;
}

} // namespace sbdeploy::db
