#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace sbdeploy::util {

std::string_view trim(std::string_view s) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        parts.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    }
    return true;
}

std::string to_upper(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return r;
}

std::string to_lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return r;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
    std::string r;
    if (from.empty()) return std::string(s);
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(from, start);
        if (pos == std::string_view::npos) break;
        r.append(s.substr(start, pos - start));
        r.append(to);
        start = pos + from.size();
    }
    r.append(s.substr(start));
    return r;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string quoted(std::string_view s) {
    // Control characters escaped: a newline in a value (a forged ref, a file name) would
    // start a line of its own, and under Actions "::error::..." is a workflow command.
    std::string r = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\n')
            r += "\\n";
        else if (c == '\r')
            r += "\\r";
        else if (c == '\t')
            r += "\\t";
        else if (u < 0x20 || u == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            r += "\\x";
            r.push_back(kHex[u >> 4]);
            r.push_back(kHex[u & 15]);
        } else
            r.push_back(c);
    }
    r.push_back('"');
    return r;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    std::string r = std::to_string(n) + " ";
    if (n == 1) return r.append(one);
    if (!many.empty()) return r.append(many);
    return r.append(one).append("s");
}

std::string format_ms(double ms) {
    char buf[32];
    if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%.0f ms", ms);
    else
        std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
    return buf;
}

std::string grouped(std::size_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

} // namespace sbdeploy::util
