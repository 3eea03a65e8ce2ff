#include "metrics/time.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace sbdeploy::metrics {

namespace {

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

std::int64_t from_civil(int y, unsigned m, unsigned d) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count() * 86'400LL;
}

} // namespace

std::optional<std::int64_t> parse_time(std::string_view s) {
    auto y = digits(s, 0, 4);
    auto mo = digits(s, 5, 2);
    auto d = digits(s, 8, 2);
    if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
    using namespace std::chrono;
    year_month_day ymd{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) return std::nullopt;
    std::int64_t t = from_civil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
    if (s.size() == 10) return t;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
    auto h = digits(s, 11, 2);
    auto mi = digits(s, 14, 2);
    if (!h || !mi || s.size() < 16 || s[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
    t += *h * 3600LL + *mi * 60LL;
    std::size_t pos = 16;
    if (pos < s.size() && s[pos] == ':') {
        auto sec = digits(s, pos + 1, 2);
        if (!sec || *sec > 60) return std::nullopt;
        t += *sec;
        pos += 3;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            std::size_t start = pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
            if (pos == start) return std::nullopt;
        }
    }
    if (pos < s.size() && s[pos] == ' ') ++pos;
    if (pos == s.size()) return t;
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) return t;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    int sign = s[pos] == '+' ? 1 : -1;
    auto oh = digits(s, pos + 1, 2);
    if (!oh) return std::nullopt;
    std::size_t mpos = pos + 3;
    if (mpos < s.size() && s[mpos] == ':') ++mpos;
    std::optional<int> om = mpos == s.size() ? std::optional<int>(0) : digits(s, mpos, 2);
    if (!om || (mpos != s.size() && mpos + 2 != s.size()) || *oh > 23 || *om > 59) return std::nullopt;
    return t - sign * (*oh * 3600LL + *om * 60LL);
}

std::int64_t day_start(std::int64_t t) {
    std::int64_t days = t / 86'400;
    if (t % 86'400 < 0) --days;
    return days * 86'400;
}

std::string format_date(std::int64_t t) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{days{day_start(t) / 86'400}}};
    char buf[16];
    auto n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string format_time(std::int64_t t) {
    using namespace std::chrono;
    const std::int64_t start = day_start(t);
    const year_month_day ymd{sys_days{days{start / 86'400}}};
    const int y = static_cast<int>(ymd.year());
    const std::int64_t s = t - start;
    if (y < 0 || y > 9999) {
        char buf[16];
        auto n = std::snprintf(buf, sizeof buf, "T%02d:%02d:%02dZ", static_cast<int>(s / 3600),
                               static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
        return format_date(t) + std::string(buf, static_cast<std::size_t>(n));
    }
    // Written digit by digit: a backfill formats hundreds of thousands of these.
    std::string out = "0000-00-00T00:00:00Z";
    auto two = [&](std::size_t at, int v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(0, y / 100);
    two(2, y % 100);
    two(5, static_cast<int>(static_cast<unsigned>(ymd.month())));
    two(8, static_cast<int>(static_cast<unsigned>(ymd.day())));
    two(11, static_cast<int>(s / 3600));
    two(14, static_cast<int>(s / 60 % 60));
    two(17, static_cast<int>(s % 60));
    return out;
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds)) return "-";
    std::string sign = seconds < 0 ? "-" : "";
    auto s = static_cast<std::int64_t>(std::llround(std::fabs(seconds)));
    auto two = [&](std::int64_t big, const char* bu, std::int64_t small, const char* su) {
        std::string r = sign + std::to_string(big) + bu;
        if (small) r += " " + std::to_string(small) + su;
        return r;
    };
    if (s < 60) return sign + std::to_string(s) + "s";
    if (s < 3600) return two(s / 60, "m", s % 60, "s");
    if (s < 86'400) return two(s / 3600, "h", s / 60 % 60, "m");
    return two(s / 86'400, "d", s / 3600 % 24, "h");
}

std::optional<std::int64_t> parse_age_seconds(std::string_view text) {
    std::size_t n = 0;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
    if (n == 0 || n > 7) return std::nullopt;
    std::int64_t v = 0;
    std::from_chars(text.data(), text.data() + n, v);
    auto unit = text.substr(n);
    if (unit.empty() || unit == "d") return v * 86'400;
    if (unit == "w") return v * 7 * 86'400;
    if (unit == "h") return v * 3600;
    return std::nullopt;
}

} // namespace sbdeploy::metrics
