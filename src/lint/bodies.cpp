#include "lint/bodies.hpp"

#include <pg_query.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "lint/tree.hpp"
#include "migrations/parse_tree.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

namespace {

using tree::Value;

constexpr std::size_t kMaxPlpgsqlBytes = 16 * 1024;

// Every RangeVar without a schema, and every CTE name, anywhere in a JSON tree.
void walk(const Value& v, std::vector<std::string>& relations, std::set<std::string>& ctes) {
    if (v.IsArray()) {
        for (const auto& item : v.GetArray()) walk(item, relations, ctes);
        return;
    }
    if (!v.IsObject()) return;
    for (const auto& m : v.GetObject()) {
        std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (name == "RangeVar" && tree::text(&m.value, "schemaname").empty()) {
            std::string rel(tree::text(&m.value, "relname"));
            if (!rel.empty() && std::find(relations.begin(), relations.end(), rel) == relations.end())
                relations.push_back(rel);
        } else if (name == "CommonTableExpr") {
            ctes.emplace(tree::text(&m.value, "ctename"));
        }
        walk(m.value, relations, ctes);
    }
}

// Walks the parse tree of `sql`; false when it does not parse.
bool walk_sql(const std::string& sql, std::vector<std::string>& relations, std::set<std::string>& ctes) {
    auto failure = migrations::parse_sql(sql, [&](const char* json) {
        rapidjson::Document doc;
        doc.Parse<rapidjson::kParseIterativeFlag>(json);
        if (!doc.HasParseError()) walk(doc, relations, ctes);
    });
    return !failure;
}

// The "query" texts of a PL/pgSQL function's expressions and statements.
void plpgsql_queries(const Value& v, std::vector<std::string>& out) {
    if (v.IsArray()) {
        for (const auto& item : v.GetArray()) plpgsql_queries(item, out);
        return;
    }
    if (!v.IsObject()) return;
    for (const auto& m : v.GetObject()) {
        std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (name == "PLpgSQL_expr") {
            if (auto q = tree::text(&m.value, "query"); !q.empty()) out.emplace_back(q);
        } else {
            plpgsql_queries(m.value, out);
        }
    }
}

// A PL/pgSQL expression as SQL: a statement, an expression ("n > 1"), or an assignment
// ("n := (select ...)").
void walk_expression(const std::string& query, std::vector<std::string>& relations, std::set<std::string>& ctes) {
    if (walk_sql(query, relations, ctes) || walk_sql("select " + query, relations, ctes)) return;
    if (auto assign = query.find(":="); assign != std::string::npos)
        walk_sql("select " + query.substr(assign + 2), relations, ctes);
}

}  // namespace

std::optional<std::vector<std::string>> unqualified_relations(const RoutineBody& routine) {
    std::vector<std::string> relations;
    std::set<std::string> ctes;
    if (routine.atomic) return relations;
    if (routine.language == "sql") {
        if (!walk_sql(routine.body, relations, ctes)) return std::nullopt;
    } else if (routine.language == "plpgsql") {
        // The PL/pgSQL parser runs on this thread's stack: bodies past this size are not read.
        if (routine.statement.size() > kMaxPlpgsqlBytes) return std::nullopt;
        PgQueryPlpgsqlParseResult result = pg_query_parse_plpgsql(routine.statement.c_str());
        bool ok = result.error == nullptr && result.plpgsql_funcs != nullptr;
        std::vector<std::string> queries;
        if (ok) {
            rapidjson::Document doc;
            doc.Parse<rapidjson::kParseIterativeFlag>(result.plpgsql_funcs);
            ok = !doc.HasParseError();
            if (ok) plpgsql_queries(doc, queries);
        }
        pg_query_free_plpgsql_parse_result(result);
        if (!ok) return std::nullopt;
        for (const auto& q : queries) walk_expression(q, relations, ctes);
    } else {
        return std::nullopt;
    }
    std::erase_if(relations, [&](const std::string& r) { return ctes.contains(r); });
    return relations;
}

std::optional<DynamicRls> dynamic_rls(std::string_view do_body) {
    // String literals of the body ('' is a quote inside one).
    std::vector<std::string> literals;
    for (std::size_t i = 0; i < do_body.size(); ++i) {
        if (do_body[i] != '\'') continue;
        std::string lit;
        std::size_t j = i + 1;
        for (; j < do_body.size(); ++j) {
            if (do_body[j] == '\'') {
                if (j + 1 < do_body.size() && do_body[j + 1] == '\'') {
                    lit += '\'';
                    ++j;
                    continue;
                }
                break;
            }
            lit += do_body[j];
        }
        literals.push_back(std::move(lit));
        i = j;
    }
    static const std::regex kTemplate(
        R"(^\s*alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?:("?)([a-z_][a-z0-9_$]*)\1\s*\.\s*)?(%[is]\s*\.\s*%[is]|%[is]|"%[is]")\s+enable\s+row\s+level\s+security\s*;?\s*$)",
        std::regex::icase);
    std::optional<DynamicRls> found;
    std::vector<std::string> others;
    for (const auto& lit : literals) {
        std::smatch m;
        if (!found && std::regex_match(lit, m, kTemplate)) {
            found = DynamicRls{util::to_lower(m[2].str()), m[3].str().find('.') != std::string::npos, {}};
            continue;
        }
        others.push_back(lit);
    }
    if (found) found->literals = std::move(others);
    return found;
}

int block_depth(std::string_view sql) {
    std::vector<std::string> words;
    std::size_t i = 0;
    auto skip_to = [&](std::string_view end) {
        auto at = sql.find(end, i);
        i = at == std::string_view::npos ? sql.size() : at + end.size();
    };
    while (i < sql.size()) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            ++i;
            skip_to(std::string_view(&c, 1));
        } else if (sql.substr(i, 2) == "--") {
            skip_to("\n");
        } else if (sql.substr(i, 2) == "/*") {
            skip_to("*/");
        } else if (c == '$') {
            auto close = sql.find('$', i + 1);
            std::string_view tag = close == std::string_view::npos ? "" : sql.substr(i, close - i + 1);
            bool is_tag = !tag.empty() && std::all_of(tag.begin() + 1, tag.end() - 1, [](char t) {
                return std::isalnum(static_cast<unsigned char>(t)) || t == '_';
            }) && !std::isdigit(static_cast<unsigned char>(tag.size() > 2 ? tag[1] : 'a'));
            i = is_tag ? close + 1 : i + 1;
            if (is_tag) skip_to(tag);
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t start = i;
            while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) ++i;
            words.push_back(util::to_lower(sql.substr(start, i - start)));
        } else {
            ++i;
        }
    }
    int depth = 0;
    // CASE ... END opens and closes too; END IF and END LOOP close what never counted.
    for (std::size_t w = 0; w < words.size(); ++w) {
        if (words[w] == "begin" || words[w] == "case") ++depth;
        if (words[w] != "end") continue;
        std::string_view next = w + 1 < words.size() ? std::string_view(words[w + 1]) : "";
        if (next == "if" || next == "loop" || next == "case") ++w;
        if (next != "if" && next != "loop") --depth;
    }
    return depth;
}

}  // namespace sbdeploy::lint::detail
