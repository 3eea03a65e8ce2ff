#include "verify/expect.hpp"

#include <array>
#include <utility>

#include "util/strings.hpp"

namespace sbdeploy::verify {

namespace {

using util::quoted;

constexpr std::array<std::pair<std::string_view, Kind>, 9> kKinds{{
    {"schema", Kind::schema},
    {"extension", Kind::extension},
    {"table", Kind::table},
    {"view", Kind::view},
    {"index", Kind::index},
    {"column", Kind::column},
    {"function", Kind::function},
    {"policy", Kind::policy},
    {"rls", Kind::rls},
}};

const std::string kHint =
    "write KIND:OBJECT with KIND one of schema, extension, table, view, index, column, function, policy, rls, "
    "such as table:public.moods or policy:public.moods:Owners can read";

// Reads one identifier at `pos`: "Quoted" (with "" for a quote) as written, else up to a
// delimiter, folded to lower case. Empty when there is none.
Result<std::string> identifier(std::string_view s, std::size_t& pos, std::string_view stops) {
    std::string out;
    if (pos < s.size() && s[pos] == '"') {
        for (++pos; pos < s.size(); ++pos) {
            if (s[pos] == '"') {
                if (pos + 1 < s.size() && s[pos + 1] == '"') {
                    out += '"';
                    ++pos;
                    continue;
                }
                ++pos;
                if (out.empty()) return fail(ErrorKind::config, "an empty quoted name");
                return out;
            }
            out += s[pos];
        }
        return fail(ErrorKind::config, "a quoted name without its closing quote");
    }
    while (pos < s.size() && stops.find(s[pos]) == std::string_view::npos && s[pos] != ' ' && s[pos] != '\t') {
        char c = s[pos++];
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

// "schema.name" / "name" (schema public): up to `max_parts` dot-separated identifiers.
Result<std::vector<std::string>> qualified(std::string_view s, std::size_t& pos, std::size_t max_parts,
                                           std::string_view stops) {
    std::vector<std::string> parts;
    std::string all_stops = std::string(".") + std::string(stops);
    while (true) {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
        auto id = identifier(s, pos, all_stops);
        if (!id) return fail(std::move(id.error()));
        if (id->empty()) return fail(ErrorKind::config, "a name is missing");
        parts.push_back(std::move(*id));
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            if (parts.size() == max_parts) return fail(ErrorKind::config, "too many dotted parts");
            continue;
        }
        return parts;
    }
}

// "INT4 , varchar(10)[]" -> "integer, character varying[]": the argument types as
// oidvectortypes prints them, for the common aliases.
std::string normalize_arguments(std::string_view args) {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"int", "integer"},
        {"int4", "integer"},
        {"int2", "smallint"},
        {"int8", "bigint"},
        {"bool", "boolean"},
        {"float", "double precision"},
        {"float8", "double precision"},
        {"float4", "real"},
        {"decimal", "numeric"},
        {"varchar", "character varying"},
        {"char", "character"},
        {"bpchar", "character"},
        {"timestamp", "timestamp without time zone"},
        {"timestamptz", "timestamp with time zone"},
        {"time", "time without time zone"},
        {"timetz", "time with time zone"},
    };
    std::vector<std::string> out;
    std::string current;
    int depth = 0;
    auto flush = [&] {
        std::string t;
        for (char c : current) {  // lower case, one space between words, no type modifiers
            if (c == '(') ++depth;
            if (depth == 0 && c != ')') {
                if (c == ' ' || c == '\t') {
                    if (!t.empty() && t.back() != ' ') t += ' ';
                } else {
                    t += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
                }
            }
            if (c == ')' && depth > 0) --depth;
        }
        t = std::string(util::trim(t));
        t = util::replace_all(t, " [", "[");
        std::string suffix;
        while (t.ends_with("[]")) {
            suffix += "[]";
            t.resize(t.size() - 2);
        }
        for (const auto& [alias, name] : kAliases)
            if (t == alias) t = name;
        out.push_back(t + suffix);
        current.clear();
        depth = 0;
    };
    int parens = 0;
    for (char c : args) {
        if (c == '(') ++parens;
        if (c == ')' && parens > 0) --parens;
        if (c == ',' && parens == 0) {
            flush();
            continue;
        }
        current += c;
    }
    if (!util::trim(current).empty() || !out.empty()) flush();
    std::string joined;
    for (std::size_t i = 0; i < out.size(); ++i) joined += (i ? ", " : "") + out[i];
    return joined;
}

bool needs_quotes(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9') || name[0] == '$') return true;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$')) return true;
    return false;
}

} // namespace

std::string_view kind_name(Kind k) {
    for (const auto& [name, kind] : kKinds)
        if (kind == k) return name;
    return "table";
}

std::string quote_ident(std::string_view name) {
    if (!needs_quotes(name)) return std::string(name);
    return "\"" + util::replace_all(name, "\"", "\"\"") + "\"";
}

Result<Expectation> parse_expectation(std::string_view raw, std::string_view origin) {
    std::string_view text = util::trim(raw);
    Expectation e;
    e.text = std::string(text);
    e.origin = std::string(origin);
    auto bad = [&](const std::string& why) {
        std::string where = origin.empty() ? std::string() : std::string(origin) + ": ";
        return fail(ErrorKind::config, where + "expectation " + quoted(text) + ": " + why, kHint);
    };
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return bad("expected KIND:OBJECT");
    std::string kind_text = util::to_lower(util::trim(text.substr(0, colon)));
    bool known = false;
    for (const auto& [name, kind] : kKinds)
        if (name == kind_text) {
            e.kind = kind;
            known = true;
        }
    if (!known) return bad("unknown kind " + quoted(kind_text));
    std::string_view rest = util::trim(text.substr(colon + 1));
    if (rest.empty()) return bad("no object after " + quoted(kind_text + ":"));

    std::size_t pos = 0;
    auto parts_or = [&](std::size_t max_parts, std::string_view stops) -> Result<std::vector<std::string>> {
        auto p = qualified(rest, pos, max_parts, stops);
        if (!p) return bad(p.error().message);
        return p;
    };
    auto expect_end = [&]() -> Result<void> {
        while (pos < rest.size() && rest[pos] == ' ') ++pos;
        if (pos != rest.size()) return bad("unexpected " + quoted(rest.substr(pos)));
        return {};
    };
    auto split_relation = [&](std::vector<std::string>& parts) {
        if (parts.size() == 1) parts.insert(parts.begin(), "public");
        e.schema = parts[0];
        e.name = parts[1];
    };

    switch (e.kind) {
    case Kind::schema:
    case Kind::extension: {
        auto parts = parts_or(1, "");
        if (!parts) return fail(std::move(parts.error()));
        if (auto end = expect_end(); !end) return fail(std::move(end.error()));
        e.name = (*parts)[0];
        break;
    }
    case Kind::table:
    case Kind::view:
    case Kind::index:
    case Kind::rls: {
        auto parts = parts_or(2, "");
        if (!parts) return fail(std::move(parts.error()));
        if (auto end = expect_end(); !end) return fail(std::move(end.error()));
        split_relation(*parts);
        break;
    }
    case Kind::column: {
        auto parts = parts_or(3, "");
        if (!parts) return fail(std::move(parts.error()));
        if (auto end = expect_end(); !end) return fail(std::move(end.error()));
        if (parts->size() < 2) return bad("expected TABLE.COLUMN or SCHEMA.TABLE.COLUMN");
        if (parts->size() == 2) parts->insert(parts->begin(), "public");
        e.schema = (*parts)[0];
        e.name = (*parts)[1];
        e.detail = (*parts)[2];
        break;
    }
    case Kind::function: {
        auto parts = parts_or(2, "(");
        if (!parts) return fail(std::move(parts.error()));
        split_relation(*parts);
        if (pos < rest.size() && rest[pos] == '(') {
            auto close = rest.rfind(')');
            if (close == std::string_view::npos || close < pos) return bad("no closing \")\" after the argument types");
            e.detail = normalize_arguments(rest.substr(pos + 1, close - pos - 1));
            pos = close + 1;
        } else {
            e.any_arguments = true;
        }
        if (auto end = expect_end(); !end) return fail(std::move(end.error()));
        break;
    }
    case Kind::policy: {
        auto parts = parts_or(2, ":");
        if (!parts) return fail(std::move(parts.error()));
        split_relation(*parts);
        while (pos < rest.size() && rest[pos] == ' ') ++pos;
        if (pos < rest.size()) {
            if (rest[pos] != ':') return bad("expected \":\" and the policy name after the table");
            std::string_view name = util::trim(rest.substr(pos + 1));
            if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
                e.detail = util::replace_all(name.substr(1, name.size() - 2), "\"\"", "\"");
            else
                e.detail = std::string(name);
            if (e.detail.empty()) return bad("an empty policy name");
        }
        break;
    }
    }
    return e;
}

Result<std::vector<Expectation>> parse_expectation_lines(std::string_view content, const std::string& path) {
    std::vector<Expectation> out;
    int line_no = 0;
    for (const auto& line : util::split(content, '\n')) {
        ++line_no;
        std::string_view t = util::trim(line);
        if (t.empty() || t.front() == '#') continue;
        auto e = parse_expectation(t, "");
        if (!e) return fail(std::move(e.error()).at(path, line_no));
        e->origin = path + ":" + std::to_string(line_no);
        out.push_back(std::move(*e));
    }
    return out;
}

std::string describe(const Expectation& e) {
    std::string relation = quote_ident(e.schema) + "." + quote_ident(e.name);
    switch (e.kind) {
    case Kind::schema: return "schema " + quote_ident(e.name);
    case Kind::extension: return "extension " + quote_ident(e.name);
    case Kind::table: return "table " + relation;
    case Kind::view: return "view " + relation;
    case Kind::index: return "index " + relation;
    case Kind::column: return "column " + relation + "." + quote_ident(e.detail);
    case Kind::function: return "function " + relation + (e.any_arguments ? "" : "(" + e.detail + ")");
    case Kind::policy:
        return e.detail.empty() ? "a policy on " + relation : "policy " + quoted(e.detail) + " on " + relation;
    case Kind::rls: return "row level security on " + relation;
    }
    return relation;
}

} // namespace sbdeploy::verify
