#include "migrations/invalid_indexes.hpp"

#include <rapidjson/document.h>

#include "db/api_sql.hpp"
#include "migrations/parse_tree.hpp"

namespace sbdeploy::migrations {

namespace {

std::string text_of(const rapidjson::Value& node, const char* name) {
    auto it = node.FindMember(name);
    return it != node.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

// The index of `sql` if it is a CREATE INDEX CONCURRENTLY that names its index.
std::optional<ConcurrentIndex> parse_concurrent_index(std::string_view sql) {
    std::optional<ConcurrentIndex> found;
    (void)parse_sql(sql, [&found](const char* json) {
        rapidjson::Document doc;
        doc.Parse(json);
        const rapidjson::Value* stmts = doc.IsObject() && doc.HasMember("stmts") ? &doc["stmts"] : nullptr;
        if (!stmts || !stmts->IsArray() || stmts->Size() != 1 || !(*stmts)[0].IsObject() ||
            !(*stmts)[0].HasMember("stmt"))
            return;
        const auto& stmt = (*stmts)[0]["stmt"];
        auto index = stmt.IsObject() ? stmt.FindMember("IndexStmt") : stmt.MemberEnd();
        if (index == stmt.MemberEnd() || !index->value.IsObject()) return;
        const auto& node = index->value;
        auto concurrent = node.FindMember("concurrent");
        auto relation = node.FindMember("relation");
        if (concurrent != node.MemberEnd() && concurrent->value.IsBool() && concurrent->value.GetBool() &&
            relation != node.MemberEnd() && relation->value.IsObject() && !text_of(node, "idxname").empty())
            found = ConcurrentIndex{text_of(relation->value, "schemaname"), text_of(relation->value, "relname"),
                                    text_of(node, "idxname")};
    });
    return found;
}

// One query for all of them: the invalid indexes among those named, on the tables named.
std::string invalid_query(const std::vector<ConcurrentIndex>& indexes) {
    std::string values;
    for (const auto& i : indexes)
        values += std::string(values.empty() ? "" : ", ") + "(" + db::quote_literal(i.schema) + ", " +
                  db::quote_literal(i.table) + ", " + db::quote_literal(i.name) + ")";
    return "SELECT format('%I.%I', n.nspname, c.relname) FROM (VALUES " + values +
           ") AS v(schema_name, table_name, index_name)\n"
           "  JOIN pg_index i ON i.indrelid = to_regclass(CASE WHEN v.schema_name = '' THEN quote_ident(v.table_name)\n"
           "       ELSE format('%I.%I', v.schema_name, v.table_name) END)\n"
           "  JOIN pg_class c ON c.oid = i.indexrelid AND c.relname = v.index_name\n"
           "  JOIN pg_namespace n ON n.oid = c.relnamespace\n"
           " WHERE NOT i.indisvalid ORDER BY 1";
}

} // namespace

std::vector<ConcurrentIndex> concurrent_indexes(const Migration& m) {
    std::vector<ConcurrentIndex> out;
    if (m.plan.mode != FileMode::non_transactional) return out;
    for (const auto& st : m.statements)
        if (auto index = parse_concurrent_index(st.text)) out.push_back(std::move(*index));
    return out;
}

Result<std::vector<std::string>> find_invalid_indexes(db::Session& session, const Migration& m) {
    auto indexes = concurrent_indexes(m);
    if (indexes.empty()) return std::vector<std::string>{};
    auto r = session.exec(invalid_query(indexes));
    if (!r) return fail(std::move(r.error()));
    std::vector<std::string> names;
    for (auto& row : r->rows)
        if (!row.empty() && row[0]) names.push_back(std::move(*row[0]));
    return names;
}

Result<std::vector<std::string>> drop_invalid_indexes(db::Session& session, const Migration& m) {
    auto invalid = find_invalid_indexes(session, m);
    if (!invalid) return invalid;
    for (const auto& name : *invalid) {
        auto r = session.exec("DROP INDEX CONCURRENTLY IF EXISTS " + name);
        if (!r) {
            Error e = std::move(r.error());
            e.message = "dropping the invalid index " + name +
                        " that an interrupted run of this file left failed: " + e.message;
            e.file = m.file.display;
            return fail(std::move(e));
        }
    }
    return invalid;
}

} // namespace sbdeploy::migrations
