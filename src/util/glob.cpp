#include "util/glob.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace sbdeploy::util {

namespace {

using Token = Glob::Token;
using Segment = Glob::Segment;
using Alternative = Glob::Alternative;
constexpr auto npos = std::string_view::npos;

// Length of the UTF-8 sequence starting at s[i]; a stray byte counts as one character.
std::size_t char_len(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    if (i + n > s.size()) return 1;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 1;
    return n;
}

char32_t decode(std::string_view s, std::size_t i, std::size_t n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (n == 1) return c;
    char32_t cp = c & (0xff >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    return cp;
}

// The end (one past "]") of the bracket expression opening at p[i] == '[', or npos.
std::size_t class_end(std::string_view p, std::size_t i) {
    std::size_t j = i + 1;
    if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
    if (j < p.size() && p[j] == ']') ++j;  // "[]...]": a leading "]" is a member
    while (j < p.size()) {
        if (p[j] == '\\') {
            j += 2;
            continue;
        }
        if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {
            auto close = p.find(":]", j + 2);
            if (close != npos) {
                j = close + 2;
                continue;
            }
        }
        if (p[j] == ']') return j + 1;
        ++j;
    }
    return npos;
}

// Bash's POSIX classes (ASCII), as picomatch translates them.
bool posix_class(std::string_view name, std::vector<std::pair<char32_t, char32_t>>& out) {
    struct Entry {
        std::string_view name;
        std::string_view ranges;  // pairs of bytes
    };
    static constexpr Entry kClasses[] = {
        {"alnum", "azAZ09"},
        {"alpha", "azAZ"},
        {"ascii", std::string_view("\x00\x7f", 2)},
        {"blank", "  \t\t"},
        {"cntrl", std::string_view("\x00\x1f\x7f\x7f", 4)},
        {"digit", "09"},
        {"graph", "!~"},
        {"lower", "az"},
        {"print", " ~"},
        {"punct", "!/:@[`{~"},
        {"space", "  \t\r"},
        {"upper", "AZ"},
        {"word", "azAZ09__"},
        {"xdigit", "09afAF"},
    };
    for (const auto& c : kClasses) {
        if (c.name != name) continue;
        for (std::size_t i = 0; i + 1 < c.ranges.size(); i += 2)
            out.emplace_back(static_cast<unsigned char>(c.ranges[i]), static_cast<unsigned char>(c.ranges[i + 1]));
        return true;
    }
    return false;
}

// The bracket expression p[begin, end) ("[...]") as a set token.
Token parse_class(std::string_view p, std::size_t begin, std::size_t end) {
    Token t;
    t.kind = Token::Kind::set;
    std::size_t j = begin + 1;
    std::size_t close = end - 1;
    if (p[j] == '!' || p[j] == '^') {
        t.negated = true;
        ++j;
    }
    bool first = true;
    auto read_char = [&](char32_t& cp) {
        if (p[j] == '\\' && j + 1 < close) ++j;
        std::size_t n = char_len(p, j);
        cp = decode(p, j, n);
        j += n;
    };
    while (j < close) {
        if (p[j] == '[' && j + 1 < close && p[j + 1] == ':') {
            auto name_end = p.find(":]", j + 2);
            if (name_end != npos && name_end < close && posix_class(p.substr(j + 2, name_end - j - 2), t.ranges)) {
                j = name_end + 2;
                first = false;
                continue;
            }
        }
        if (p[j] == ']' && !first) break;
        first = false;
        char32_t lo = 0;
        read_char(lo);
        if (j + 1 < close && p[j] == '-') {
            ++j;
            char32_t hi = 0;
            read_char(hi);
            if (lo <= hi) t.ranges.emplace_back(lo, hi);  // a reversed range matches nothing
        } else {
            t.ranges.emplace_back(lo, lo);
        }
    }
    return t;
}

// The end (one past "}") of the brace group opening at p[i] == '{', and its top-level
// comma positions; npos when it is not closed.
std::size_t brace_end(std::string_view p, std::size_t i, std::vector<std::size_t>& commas) {
    int depth = 0;
    for (std::size_t j = i; j < p.size(); ++j) {
        char c = p[j];
        if (c == '\\') {
            ++j;
            continue;
        }
        if (c == '[') {
            auto e = class_end(p, j);
            if (e != npos) j = e - 1;
            continue;
        }
        if (c == '{') ++depth;
        if (c == '}' && --depth == 0) return j + 1;
        if (c == ',' && depth == 1) commas.push_back(j);
    }
    return npos;
}

// "a..c" -> the single characters from a to c (either direction); empty when not a range.
std::vector<std::string> char_range(std::string_view body) {
    std::vector<std::string> out;
    if (body.size() != 4 || body.substr(1, 2) != "..") return out;
    auto lo = static_cast<unsigned char>(body[0]);
    auto hi = static_cast<unsigned char>(body[3]);
    if (lo >= 0x80 || hi >= 0x80) return out;
    int step = lo <= hi ? 1 : -1;
    for (int c = lo;; c += step) {
        // Characters the tokenizer would read as syntax are escaped.
        std::string s;
        if (std::string_view("\\*?[]{},/!").find(static_cast<char>(c)) != npos) s.push_back('\\');
        s.push_back(static_cast<char>(c));
        out.push_back(std::move(s));
        if (c == hi) break;
    }
    return out;
}

// Expands the first brace group in `p` (from `from` on) and recurses: {a,b} is matched as
// alternatives, so expanding it matches the same paths.
Result<void> expand(const std::string& p, std::size_t from, std::vector<std::string>& out) {
    for (std::size_t i = from; i < p.size(); ++i) {
        if (p[i] == '\\') {
            ++i;
            continue;
        }
        if (p[i] == '[') {
            auto e = class_end(p, i);
            if (e != npos) i = e - 1;
            continue;
        }
        if (p[i] != '{') continue;
        std::vector<std::size_t> commas;
        auto end = brace_end(p, i, commas);
        if (end == npos) continue;  // unclosed: a literal "{"
        std::vector<std::string> alternatives;
        std::string_view body(p.data() + i + 1, end - i - 2);
        if (commas.empty()) {
            alternatives = char_range(body);
            if (alternatives.empty()) continue;  // "{a}", "{}": literal
        } else {
            std::size_t start = i + 1;
            for (auto c : commas) {
                alternatives.emplace_back(p.substr(start, c - start));
                start = c + 1;
            }
            alternatives.emplace_back(p.substr(start, end - 1 - start));
        }
        std::string prefix = p.substr(0, i);
        std::string suffix = p.substr(end);
        for (const auto& alt : alternatives) {
            if (auto r = expand(prefix + alt + suffix, i, out); !r) return r;
        }
        return {};
    }
    if (out.size() >= Glob::kMaxAlternatives)
        return fail(ErrorKind::config,
                    "it expands to more than " + std::to_string(Glob::kMaxAlternatives) + " alternatives",
                    "split it into several lines");
    out.push_back(p);
    return {};
}

Result<Segment> tokenize(std::string_view s) {
    Segment seg;
    if (s == "**") {
        seg.globstar = true;
        return seg;
    }
    auto literal = [&](std::string_view text) {
        if (seg.tokens.empty() || seg.tokens.back().kind != Token::Kind::literal) seg.tokens.push_back({});
        seg.tokens.back().text.append(text);
    };
    auto extglob = [&](std::size_t i) -> Result<Segment> {
        return fail(ErrorKind::config, "extglob " + quoted(s.substr(i, 2)) + "...) is not supported",
                    "use {a,b} for alternatives, or escape the parenthesis as \\(");
    };
    for (std::size_t i = 0; i < s.size();) {
        char c = s[i];
        bool paren_next = i + 1 < s.size() && s[i + 1] == '(';
        switch (c) {
        case '\\':
            if (i + 1 < s.size()) {
                std::size_t n = char_len(s, i + 1);
                literal(s.substr(i + 1, n));
                i += 1 + n;
            } else {
                literal("\\");
                ++i;
            }
            continue;
        case '*':
            if (paren_next) return extglob(i);
            while (i < s.size() && s[i] == '*') ++i;
            if (i < s.size() && s[i] == '(') return extglob(i - 1);
            seg.tokens.push_back({Token::Kind::star, {}, {}, false});
            continue;
        case '?':
            if (paren_next) return extglob(i);
            seg.tokens.push_back({Token::Kind::any, {}, {}, false});
            ++i;
            continue;
        case '+':
        case '@':
        case '!':
            if (paren_next) return extglob(i);
            break;
        case '|':
            return fail(ErrorKind::config, "\"|\" is not supported (picomatch would read a regular expression group)",
                        "use {a,b} for alternatives, or escape it as \\|");
        case '[': {
            auto end = class_end(s, i);
            if (end == npos) break;
            seg.tokens.push_back(parse_class(s, i, end));
            i = end;
            continue;
        }
        default: break;
        }
        std::size_t n = char_len(s, i);
        literal(s.substr(i, n));
        i += n;
    }
    return seg;
}

Result<Alternative> compile_alternative(std::string_view p) {
    Alternative alt;
    std::size_t start = 0;
    // Split on "/" (an escaped "\/" is a separator too: a segment cannot hold one).
    for (std::size_t i = 0; i <= p.size(); ++i) {
        if (i < p.size() && p[i] == '\\' && i + 1 < p.size() && p[i + 1] != '/') {
            ++i;
            continue;
        }
        bool escaped_slash = i < p.size() && p[i] == '\\';
        if (i < p.size() && p[i] != '/' && !escaped_slash) continue;
        auto seg = tokenize(p.substr(start, i - start));
        if (!seg) return fail(seg.error());
        alt.segments.push_back(std::move(*seg));
        if (escaped_slash) ++i;
        start = i + 1;
    }
    // Literal leading segments: a path must start with them. A literal segment followed
    // only by globstars may be the whole path ("a/**" matches "a"), so it adds no "/".
    for (std::size_t k = 0; k < alt.segments.size(); ++k) {
        const auto& s = alt.segments[k];
        if (s.globstar || s.tokens.size() != 1 || s.tokens[0].kind != Token::Kind::literal) break;
        bool more = false;
        for (std::size_t m = k + 1; m < alt.segments.size(); ++m) more = more || !alt.segments[m].globstar;
        alt.prefix += s.tokens[0].text;
        if (!more) break;
        alt.prefix += '/';
    }
    return alt;
}

bool is_dot_segment(std::string_view s) { return s == "." || s == ".."; }

bool step(const Token& t, std::string_view s, std::size_t si, std::size_t& next) {
    switch (t.kind) {
    case Token::Kind::literal:
        if (s.substr(si).starts_with(t.text)) {
            next = si + t.text.size();
            return true;
        }
        return false;
    case Token::Kind::any:
        if (si >= s.size()) return false;
        next = si + char_len(s, si);
        return true;
    case Token::Kind::set: {
        if (si >= s.size()) return false;
        std::size_t n = char_len(s, si);
        char32_t cp = decode(s, si, n);
        bool in = std::any_of(t.ranges.begin(), t.ranges.end(),
                              [cp](const auto& r) { return cp >= r.first && cp <= r.second; });
        if (in == t.negated) return false;
        next = si + n;
        return true;
    }
    case Token::Kind::star: return false;
    }
    return false;
}

// One segment: the classic greedy match with backtracking to the last "*", linear for
// patterns whose only variable-length token is "*".
bool match_segment(const Segment& seg, std::string_view s) {
    const auto& t = seg.tokens;
    if (!t.empty() && t[0].kind == Token::Kind::star && (is_dot_segment(s) || (t.size() == 1 && s.empty())))
        return false;
    std::size_t ti = 0, si = 0;
    std::size_t star_ti = npos, star_si = 0;
    for (;;) {
        if (ti < t.size()) {
            if (t[ti].kind == Token::Kind::star) {
                star_ti = ti++;
                star_si = si;
                continue;
            }
            std::size_t next = 0;
            if (step(t[ti], s, si, next)) {
                si = next;
                ++ti;
                continue;
            }
        } else if (si == s.size()) {
            return true;
        }
        if (star_ti == npos || star_si >= s.size()) return false;
        star_si += char_len(s, star_si);
        si = star_si;
        ti = star_ti + 1;
    }
}

bool match_alternative(const Alternative& alt, const std::vector<std::string_view>& segs) {
    std::size_t n = segs.size();
    std::vector<char> reach(n + 1, 0), next(n + 1, 0);
    reach[0] = 1;
    for (const auto& seg : alt.segments) {
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        if (seg.globstar) {
            bool run = false;
            for (std::size_t k = 0; k <= n; ++k) {
                run = run || reach[k];
                next[k] = run;
                any = any || run;
                if (k < n && is_dot_segment(segs[k])) run = false;
            }
        } else {
            for (std::size_t j = 0; j < n; ++j) {
                if (reach[j] && match_segment(seg, segs[j])) {
                    next[j + 1] = 1;
                    any = true;
                }
            }
        }
        if (!any) return false;
        reach.swap(next);
    }
    return reach[n] != 0;
}

} // namespace

Result<Glob> Glob::compile(std::string_view pattern) {
    if (pattern.size() > kMaxPatternBytes)
        return fail(ErrorKind::config, "the pattern is longer than " + std::to_string(kMaxPatternBytes) + " bytes");
    std::string_view p = pattern;
    while (p.starts_with("./")) p.remove_prefix(2);
    if (p.empty()) return fail(ErrorKind::config, "the pattern is empty");
    if (p.starts_with("/"))
        return fail(ErrorKind::config, "the pattern starts with \"/\"",
                    "patterns are relative to the repository root: drop the leading \"/\"");
    std::vector<std::string> expanded;
    if (auto r = expand(std::string(p), 0, expanded); !r) return fail(r.error());
    Glob g;
    g.pattern_ = std::string(pattern);
    g.alternatives_.reserve(expanded.size());
    for (const auto& e : expanded) {
        auto alt = compile_alternative(e);
        if (!alt) return fail(alt.error());
        g.alternatives_.push_back(std::move(*alt));
    }
    return g;
}

bool Glob::matches(std::string_view path) const {
    if (path.empty()) return false;
    if (path == pattern_) return true;
    std::vector<std::string_view> segs;
    bool split = false;
    for (const auto& alt : alternatives_) {
        if (!path.starts_with(alt.prefix)) continue;
        if (!split) {
            std::size_t start = 0;
            for (std::size_t i = 0; i <= path.size(); ++i) {
                if (i == path.size() || path[i] == '/') {
                    segs.push_back(path.substr(start, i - start));
                    start = i + 1;
                }
            }
            split = true;
        }
        if (match_alternative(alt, segs)) return true;
    }
    return false;
}

Result<GlobList> GlobList::parse(const std::vector<std::string>& lines) {
    GlobList list;
    bool any_include = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string_view line = trim(lines[i]);
        if (line.empty() || line.starts_with('#')) continue;
        bool exclude = line.starts_with('!');
        std::string_view pattern = exclude ? trim(line.substr(1)) : line;
        auto glob = Glob::compile(pattern);
        if (!glob) {
            Error e = glob.error();
            e.message = "filter line " + std::to_string(i + 1) + " " + quoted(lines[i]) + ": " + e.message;
            if (e.hint.empty()) e.hint = "write one glob a line; \"!pattern\" excludes";
            return fail(std::move(e));
        }
        any_include = any_include || !exclude;
        list.lines_.push_back({exclude, std::move(*glob)});
    }
    if (list.lines_.empty())
        return fail(ErrorKind::config, "the filter has no patterns",
                    "give one glob a line, such as supabase/migrations/*.sql");
    list.only_exclusions_ = !any_include;
    return list;
}

bool GlobList::matches(std::string_view path) const {
    for (auto it = lines_.rbegin(); it != lines_.rend(); ++it)
        if (it->glob.matches(path)) return !it->exclude;
    return only_exclusions_;
}

} // namespace sbdeploy::util
