// libFuzzer target: database URLs and keyword=value strings. Parsing must not crash, and
// neither the description used in messages nor a parse error may contain the password.
// The input is used as it is, and as the password of a URL and of a keyword=value string
// around the text after its first newline (the password is what comes before it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/conninfo.hpp"

namespace {

std::string percent_decode(std::string_view s) {
    std::string out;
    auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// A secret that is long enough not to occur by chance, and not inside the rest of the text.
bool checkable(std::string_view secret, std::string_view text_without_it) {
    return secret.size() >= 8 && text_without_it.find(secret) == std::string_view::npos &&
           std::string_view("postgresql://postgres:5432/postgres as postgres: ").find(secret) == std::string_view::npos;
}

std::size_t count(std::string_view haystack, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

std::string drop_backslashes(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
    }
    return out;
}

std::string toggle_case(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) c = static_cast<char>(c ^ 0x20);
    return out;
}

// `text` holds `password` once, at `at`: neither a parse error nor the description may show
// it. The same text with the password's letters in the other case parses the same way, so a
// secret that also shows up there is the messages' own words ("characters in"), not an echo.
void check_secret(const std::string& text, std::string_view password, std::size_t at) {
    const std::string other = text.substr(0, at) + toggle_case(password) + text.substr(at + password.size());
    std::string without = text.substr(0, at) + text.substr(at + password.size());
    auto shown = [](const std::string& t) {
        auto info = sbdeploy::db::parse_conninfo(t);
        std::string all = sbdeploy::db::describe_conninfo(t) + "\n";
        if (!info) all += info.error().message + "\n" + info.error().hint;
        return all;
    };
    const std::string mine = shown(text), theirs = shown(other);
    for (const std::string& secret : {std::string(password), percent_decode(password)}) {
        if (!checkable(secret, without)) continue;
        if (count(mine, secret) > count(theirs, secret)) __builtin_trap();
    }
}

void parse_all(std::string_view text) {
    auto info = sbdeploy::db::parse_conninfo(text);
    (void)sbdeploy::db::conninfo_secrets(text);
    (void)sbdeploy::db::describe_conninfo(text);
    (void)sbdeploy::db::is_local_host(text);
    if (info) {
        (void)sbdeploy::db::is_local_host(info->get("host"));
        const std::string password = info->get("password");
        // Only a password written once, literally, and nowhere else in the text: not also in
        // the host, and not percent-encoded or backslash-escaped in its own field while the
        // host holds it literally (then the description rightly shows the host).
        if (password.size() >= 8 && count(text, password) == 1 && count(percent_decode(text), password) == 1 &&
            count(drop_backslashes(text), password) == 1)
            check_secret(std::string(text), password, text.find(password));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (text.find('\0') != std::string_view::npos) return 0;  // not representable in argv or env
    parse_all(text);

    auto newline = text.find('\n');
    if (newline == std::string_view::npos) return 0;
    std::string_view password = text.substr(0, newline), rest = text.substr(newline + 1);
    const std::string url_head = "postgresql://postgres:";
    check_secret(url_head + std::string(password) + "@" + std::string(rest), password, url_head.size());
    std::string quoted;
    for (char c : password) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
    }
    const std::string kv_head = "password='";
    check_secret(kv_head + quoted + "' " + std::string(rest), quoted, kv_head.size());
    return 0;
}
