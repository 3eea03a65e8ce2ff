#include "db/sequences.hpp"

#include <map>

#include "db/api_sql.hpp"

namespace sbdeploy::db {

namespace {

constexpr std::string_view kSnapshot = R"sql(SELECT format('%I.%I', schemaname, sequencename), last_value::text,
       start_value::text
  FROM pg_sequences
 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
   AND has_sequence_privilege(format('%I.%I', schemaname, sequencename), 'SELECT')
 ORDER BY 1)sql";

} // namespace

Result<std::vector<SequenceState>> snapshot_sequences(Session& session) {
    auto r = session.exec(kSnapshot);
    if (!r) return fail(std::move(r.error()));
    std::vector<SequenceState> out;
    out.reserve(r->rows.size());
    for (auto& row : r->rows) {
        if (row.size() != 3 || !row[0] || !row[2])
            return fail(ErrorKind::operation, "reading the sequences returned an unexpected row",
                        "report this as a bug in sbdeploy");
        out.push_back(SequenceState{std::move(*row[0]), std::move(row[1]), std::move(*row[2])});
    }
    return out;
}

Result<std::vector<std::string>> restore_sequences(Session& session, const std::vector<SequenceState>& before) {
    auto now = snapshot_sequences(session);
    if (!now) return fail(std::move(now.error()));
    std::map<std::string, const SequenceState*> current;
    for (const auto& s : *now) current.emplace(s.name, &s);
    std::vector<std::string> moved;
    std::string sql;
    for (const auto& b : before) {
        auto it = current.find(b.name);
        if (it == current.end() || it->second->last_value == b.last_value) continue;
        const std::string name = quote_literal(b.name);
        const std::string seen = it->second->last_value ? quote_literal(*it->second->last_value) + "::bigint" : "NULL";
        const std::string value = b.last_value ? *b.last_value : b.start_value;
        sql += "SELECT setval(" + name + ", " + value + ", " + (b.last_value ? "true" : "false") +
               ") WHERE pg_sequence_last_value(" + name + "::regclass) IS NOT DISTINCT FROM " + seen + ";\n";
        moved.push_back(b.name);
    }
    if (sql.empty()) return moved;
    auto r = session.exec(sql);
    if (!r) return fail(std::move(r.error()));
    return moved;
}

} // namespace sbdeploy::db
