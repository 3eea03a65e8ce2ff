#include "db/conninfo.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

constexpr std::string_view kUrlHint =
    "use postgresql://USER:PASSWORD@HOST:PORT/DBNAME, with special characters in the password percent-encoded";

// The scheme of "scheme://...", or "" when the text does not start with one.
std::string_view url_scheme(std::string_view text) {
    auto end = text.find("://");
    if (end == std::string_view::npos || end == 0) return {};
    auto scheme = text.substr(0, end);
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        char c = scheme[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
        if (!ok) return {};
    }
    return scheme;
}

// The authority of a URL (between "://" and the path or query); "" for keyword=value text.
std::string_view url_authority(std::string_view text) {
    if (url_scheme(text).empty()) return {};
    auto rest = text.substr(text.find("://") + 3);
    return rest.substr(0, rest.find_first_of("/?"));
}

// The "@" that ends USER:PASSWORD when a "/" or "?" in the password was not percent-encoded:
// the authority then ends inside the password and the "@" follows in the path or query
// (unless it is in a query value: "?user=me@corp"). Relative to the text after "://".
std::size_t misplaced_at(std::string_view text) {
    if (url_scheme(text).empty()) return std::string_view::npos;
    auto rest = text.substr(text.find("://") + 3);
    auto authority = url_authority(text);
    if (authority.find('@') != std::string_view::npos) return std::string_view::npos;
    auto at = rest.find('@', authority.size());
    if (at == std::string_view::npos) return std::string_view::npos;
    auto query = rest.find('?');
    if (query < at && rest.substr(query, at - query).find('=') != std::string_view::npos) return std::string_view::npos;
    return at;
}

// USER:PASSWORD of a URL, up to the last "@" of the authority (a password may hold an
// unencoded "@", which libpq would take for the end of it), or up to a misplaced "@".
std::string_view url_userinfo(std::string_view text) {
    if (auto at = misplaced_at(text); at != std::string_view::npos) return text.substr(text.find("://") + 3, at);
    auto authority = url_authority(text);
    auto at = authority.rfind('@');
    return at == std::string_view::npos ? std::string_view() : authority.substr(0, at);
}

// libpq's parse error without anything from the user name or password it may quote.
std::string safe_parse_message(std::string msg, std::string_view text) {
    if (msg.starts_with("invalid percent-encoded token"))
        return "a \"%\" is not followed by two hexadecimal digits (write a literal % as %25)";
    if (url_scheme(text).empty() && text.find('=') == std::string_view::npos)
        return "it is neither a postgresql:// URL nor keyword=value settings";
    // The whole text quoted (libpq's URI messages end with it): left out.
    msg = util::replace_all(msg, ": \"" + std::string(text) + "\"", "");
    auto userinfo = url_userinfo(text);
    std::string out;
    std::size_t i = 0;
    while (i < msg.size()) {
        auto open = msg.find('"', i);
        auto close = open == std::string::npos ? std::string::npos : msg.find('"', open + 1);
        if (close == std::string::npos) {
            out += msg.substr(i);
            break;
        }
        std::string_view inner(msg.data() + open + 1, close - open - 1);
        out += msg.substr(i, open - i);
        if (inner == text)
            out += "the URL";
        else if (!inner.empty() && !userinfo.empty() &&
                 (userinfo.find(inner) != std::string_view::npos || inner.find(userinfo) != std::string_view::npos))
            out += "\"***\"";
        else
            out += msg.substr(open, close - open + 1);
        i = close + 1;
    }
    return out;
}

} // namespace

Result<ConnInfo> parse_conninfo(std::string_view conninfo) {
    std::string text(conninfo);
    if (util::trim(text).empty())
        return fail(ErrorKind::config, "invalid database URL: it is empty", std::string(kUrlHint));
    if (auto scheme = url_scheme(text); !scheme.empty() && scheme != "postgresql" && scheme != "postgres")
        return fail(ErrorKind::config,
                    "invalid database URL: the scheme " + util::quoted(scheme) + " is not postgresql:// or postgres://",
                    std::string(kUrlHint));
    if (auto authority = url_authority(text); authority.find('@') != authority.rfind('@'))
        return fail(ErrorKind::config, "invalid database URL: it has more than one \"@\" before the host",
                    "percent-encode \"@\" in the user name or password as %40");
    // Else libpq reads the password's tail as the database name or a query, and messages show it.
    if (misplaced_at(text) != std::string_view::npos)
        return fail(ErrorKind::config,
                    "invalid database URL: it has an \"@\" after the host, as when a \"/\" or \"?\" in the password "
                    "is not percent-encoded",
                    "percent-encode \"/\" as %2F, \"?\" as %3F and \"@\" as %40 in the user name, password or database "
                    "name");
    char* errmsg = nullptr;
    PQconninfoOption* opts = PQconninfoParse(text.c_str(), &errmsg);
    if (opts == nullptr) {
        std::string msg(errmsg ? util::trim(errmsg) : std::string_view("out of memory"));
        if (errmsg) PQfreemem(errmsg);
        // libpq's message may quote the string, password included: never pass it on.
        return fail(ErrorKind::config, "invalid database URL: " + safe_parse_message(std::move(msg), text),
                    std::string(kUrlHint));
    }
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> guard(opts, &PQconninfoFree);
    ConnInfo info;
    for (auto* o = opts; o->keyword != nullptr; ++o)
        if (o->val != nullptr) info.params[o->keyword] = o->val;
    // libpq checks ports only when it connects, and fails then as if the server were away.
    for (const auto& port : util::split(info.get("port"), ',')) {
        auto p = util::trim(port);
        bool digits = !p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string_view::npos;
        long n = digits ? std::stol(std::string(p)) : 0;
        if (!p.empty() && (n < 1 || n > 65535))
            return fail(ErrorKind::config,
                        "invalid database URL: port " + util::quoted(p) + " is not a number from 1 to 65535",
                        std::string(kUrlHint));
    }
    return info;
}

std::vector<std::string> conninfo_secrets(std::string_view conninfo) {
    std::vector<std::string> out;
    auto info = parse_conninfo(conninfo);
    if (!info) {
        // Unparseable: mask the whole value, it may hold a password, and what looks like one.
        out.emplace_back(conninfo);
        auto userinfo = url_userinfo(conninfo);
        if (auto colon = userinfo.find(':'); colon != std::string_view::npos && colon + 1 < userinfo.size())
            out.emplace_back(userinfo.substr(colon + 1));
        return out;
    }
    auto password = info->get("password");
    if (!password.empty()) {
        out.push_back(password);
        // The URL spelling, e.g. p%40ss for p@ss.
        auto userinfo = url_userinfo(conninfo);
        auto colon = userinfo.find(':');
        if (colon != std::string_view::npos) {
            std::string raw(userinfo.substr(colon + 1));
            if (raw != password) out.push_back(raw);
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

bool is_loopback_destination(std::string_view host) {
    std::string v(util::trim(host));
    if (v.empty() || v.starts_with('/') || v.starts_with('@') || v == "localhost") return true;
    if (v.size() > 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
    in_addr v4{};
    if (inet_pton(AF_INET, v.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, v.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
    }
    return false;  // a name: it may resolve anywhere
}

std::vector<std::string> EffectiveSettings::destinations() const {
    auto get = [this](const char* key) {
        auto it = values.find(key);
        return it == values.end() ? std::string() : it->second;
    };
    auto hosts = util::split(get("host"), ',');
    auto addrs = util::split(get("hostaddr"), ',');
    std::vector<std::string> out;
    for (std::size_t i = 0; i < std::max(hosts.size(), addrs.size()); ++i) {
        std::string addr = i < addrs.size() ? std::string(util::trim(addrs[i])) : std::string();
        std::string name = i < hosts.size() ? std::string(util::trim(hosts[i])) : std::string();
        out.push_back(addr.empty() ? name : addr);
    }
    if (out.empty()) out.emplace_back();
    return out;
}

Result<EffectiveSettings> effective_settings(const std::vector<std::pair<std::string, std::string>>& params) {
    // libpq merges the settings of a connection only inside PQconnectStartParams, whose first
    // PQconnectPoll already resolves the host and sends the first packet: too late to refuse a
    // destination. PQconndefaults runs the same merge that follows the given values (service
    // file, PG* variables, built-in defaults) without connecting, so: the given values, in
    // PQconnectdbParams' order, over PQconndefaults. The service named by the given values is
    // read by PQconndefaults through PGSERVICE, set for the call only.
    EffectiveSettings out;
    for (const auto& [key, value] : params) {
        if (value.empty()) continue;  // libpq ignores empty values
        if (key == "dbname" && (value.find('=') != std::string::npos || !url_scheme(value).empty())) {
            auto info = parse_conninfo(value);
            if (!info) return fail(info.error());
            for (auto& [k, v] : info->params) out.values[k] = v;
        } else {
            out.values[key] = value;
        }
    }
    static std::mutex env_mutex;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> defaults(nullptr, &PQconninfoFree);
    {
        std::lock_guard lock(env_mutex);
        auto service = out.values.find("service");
        const char* old = std::getenv("PGSERVICE");
        std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
        if (service != out.values.end()) ::setenv("PGSERVICE", service->second.c_str(), 1);
        defaults.reset(PQconndefaults());
        if (service != out.values.end()) {
            if (saved)
                ::setenv("PGSERVICE", saved->c_str(), 1);
            else
                ::unsetenv("PGSERVICE");
        }
    }
    if (!defaults) return fail(ErrorKind::connection, "cannot read libpq's connection defaults: out of memory");
    for (auto* o = defaults.get(); o->keyword != nullptr; ++o) {
        if (o->val == nullptr || out.values.contains(o->keyword)) continue;
        out.values[o->keyword] = o->val;
        // A value equal to the built-in one that no variable set counts as the default (one a
        // service file sets to the same value too: the caller then only makes it stricter).
        bool from_env = o->envvar != nullptr && std::getenv(o->envvar) != nullptr;
        if (!from_env && o->compiled != nullptr && std::strcmp(o->compiled, o->val) == 0)
            out.defaulted.emplace_back(o->keyword);
    }
    return out;
}

} // namespace sbdeploy::db
