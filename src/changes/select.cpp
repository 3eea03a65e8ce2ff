#include "changes/select.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sbdeploy::changes {

bool selects(const util::GlobList& filter, const Change& c) {
    return filter.matches(c.path) || (!c.old_path.empty() && filter.matches(c.old_path));
}

Selection select(const std::vector<Change>& changes, const util::GlobList& filter) {
    return select(changes, [&](const Change& c) { return selects(filter, c); });
}

Selection select(const std::vector<Change>& changes, const std::function<bool(const Change&)>& keep) {
    Selection s;
    for (const auto& c : changes) {
        if (!keep(c)) continue;
        s.matched.push_back(c);
        s.files.push_back(c.path);
        switch (c.status) {
        case Status::added:
        case Status::copied: s.added.push_back(c.path); break;
        case Status::modified:
        case Status::type_changed:
        case Status::mode_changed: s.modified.push_back(c.path); break;
        case Status::deleted: s.deleted.push_back(c.path); break;
        case Status::renamed: s.renamed.emplace_back(c.old_path, c.path); break;
        }
        // A mode change leaves the SQL as it was: nothing a database would run differently.
        if (existed_on_base(c) && c.status != Status::mode_changed) s.edited_existing.push_back(c);
    }
    return s;
}

std::optional<ListFormat> parse_list_format(std::string_view text) {
    struct Name {
        std::string_view name;
        ListFormat format;
    };
    static constexpr Name kNames[] = {{"none", ListFormat::none},
                                      {"csv", ListFormat::csv},
                                      {"json", ListFormat::json},
                                      {"shell", ListFormat::shell},
                                      {"escape", ListFormat::escape}};
    for (const auto& n : kNames)
        if (n.name == text) return n.format;
    return std::nullopt;
}

namespace {

bool safe_char(char c, bool comma_safe) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '+' || c == ':' || c == '@' || c == '%' || c == '/' || c == '-' || (comma_safe && c == ',');
}

bool all_safe(std::string_view s, bool comma_safe) {
    for (char c : s)
        if (!safe_char(c, comma_safe)) return false;
    return true;
}

std::string csv_field(std::string_view v) {
    if (v.empty() || all_safe(v, false)) return std::string(v);
    std::string r = "\"";
    for (char c : v) {
        if (c == '"') r.push_back('"');
        r.push_back(c);
    }
    r.push_back('"');
    return r;
}

// dorny/paths-filter's shellEscape (src/list-format/shell-escape.ts): as is when safe;
// with a single quote, double quotes when the rest is safe or white space, else each
// quote-free part escaped and joined by \'; else single quotes. dorny tests its regular
// expressions line by line (the m flag), which passes "a\nb c" unquoted; here a name with
// a newline is always quoted.
std::string shell_word(std::string_view v) {
    if (v.empty() || all_safe(v, true)) return std::string(v);
    if (v.find('\'') != std::string_view::npos) {
        bool simple = true;
        for (char c : v)
            simple = simple && (safe_char(c, true) || c == '\'' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                                c == '\v' || c == '\f');
        if (simple) return "\"" + std::string(v) + "\"";
        std::string r;
        std::size_t start = 0;
        for (;;) {
            auto quote = v.find('\'', start);
            r += shell_word(v.substr(start, quote == std::string_view::npos ? quote : quote - start));
            if (quote == std::string_view::npos) break;
            r += "\\'";
            start = quote + 1;
        }
        return r;
    }
    return "'" + std::string(v) + "'";
}

// dorny's backslashEscape: a backslash before every character outside the safe set,
// non-ASCII ones included (once per UTF-8 character). A newline is written as '<newline>'
// instead: dorny's backslash-newline is a line continuation, which drops it.
std::string escaped_word(std::string_view v) {
    std::string r;
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            r += "'\n'";
        } else if (safe_char(c, true) || (u & 0xC0) == 0x80) {
            r.push_back(c);
        } else {
            r.push_back('\\');
            r.push_back(c);
        }
    }
    return r;
}

template <class Item>
std::string join(const std::vector<std::string>& files, Item item, std::string_view sep) {
    std::string r;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (i) r.append(sep);
        r += item(files[i]);
    }
    return r;
}

} // namespace

std::string format_list(const std::vector<std::string>& files, ListFormat format) {
    switch (format) {
    case ListFormat::none: return {};
    case ListFormat::csv: return join(files, csv_field, ",");
    case ListFormat::json: return json_strings(files);
    case ListFormat::shell: return join(files, shell_word, " ");
    case ListFormat::escape: return join(files, escaped_word, " ");
    }
    return {};
}

std::string json_strings(const std::vector<std::string>& values) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

std::string json_renames(const std::vector<std::pair<std::string, std::string>>& renames) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& [from, to] : renames) {
        w.StartObject();
        w.Key("from");
        w.String(from.c_str(), static_cast<rapidjson::SizeType>(from.size()));
        w.Key("to");
        w.String(to.c_str(), static_cast<rapidjson::SizeType>(to.size()));
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

std::string printable_path(std::string_view path) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string r;
    bool escaped = false;
    for (char ch : path) {
        auto c = static_cast<unsigned char>(ch);
        switch (ch) {
        case '\n':
            r += "\\n";
            escaped = true;
            continue;
        case '\t':
            r += "\\t";
            escaped = true;
            continue;
        case '\r':
            r += "\\r";
            escaped = true;
            continue;
        case '\\':
            r += "\\\\";
            escaped = true;
            continue;
        case '"': r += "\\\""; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            r += "\\x";
            r.push_back(hex[c >> 4]);
            r.push_back(hex[c & 15]);
            escaped = true;
            continue;
        }
        r.push_back(ch);
    }
    bool padded = !path.empty() && (path.front() == ' ' || path.back() == ' ');
    if (escaped || padded || path.find('"') != std::string_view::npos) return "\"" + r + "\"";
    // Unquoted, a quote needs no backslash.
    return std::string(path);
}

std::string glob_escape(std::string_view path) {
    std::string r;
    for (std::size_t i = 0; i < path.size(); ++i) {
        char c = path[i];
        bool special = c == '*' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\\' || c == '|' ||
                       c == '(' || c == ')' || (i == 0 && (c == '!' || c == '#'));
        if (special) r.push_back('\\');
        r.push_back(c);
    }
    return r;
}

} // namespace sbdeploy::changes
