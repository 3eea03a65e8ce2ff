// Reading the catalog for the adoption plan: the tables sbdeploy's metrics schema names, in
// `metrics` and `public`, with their columns, single-column checks and indexes.
#include "metrics/adopt.hpp"

namespace sbdeploy::metrics {

namespace {

constexpr std::string_view kTables =
    "n.nspname in ('metrics', 'public') and c.relkind in ('r', 'p') and c.relname in ('pr_events', "
    "'deployment_events', 'test_runs', 'rule_compliance_events', 'development_metrics')";

std::string text(const db::Value& v) { return v.value_or(""); }
bool yes(const db::Value& v) { return v && *v == "t"; }

// Every column is named (the Management API answers rows as objects by column name).
Result<db::QueryResult> query(db::Session& session, const std::string& sql, std::size_t width) {
    auto r = session.exec(sql);
    if (!r) {
        Error e = std::move(r.error());
        e.message = "metrics schema: reading the catalog: " + e.message;
        return fail(std::move(e));
    }
    for (const auto& row : r->rows)
        if (row.size() != width)
            return fail(ErrorKind::database,
                        "metrics schema: reading the catalog: unexpected answer from the server (" +
                            std::to_string(row.size()) + " columns, " + std::to_string(width) + " expected)");
    return r;
}

} // namespace

Result<Catalog> read_catalog(db::Session& session) {
    Catalog cat;
    const std::string from = " from pg_class c join pg_namespace n on n.oid = c.relnamespace where " +
                             std::string(kTables);
    auto tables = query(session, "select n.nspname || '.' || c.relname as name" + from, 1);
    if (!tables) return fail(tables.error());
    for (const auto& row : tables->rows) cat.tables.push_back(text(row[0]));

    auto relations = query(session,
                           "select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                           "where n.nspname = 'metrics'",
                           1);
    if (!relations) return fail(relations.error());
    for (const auto& row : relations->rows) cat.relations.push_back(text(row[0]));

    auto columns =
        query(session,
              "select n.nspname as s, c.relname as t, a.attname as c, format_type(a.atttypid, a.atttypmod) as type, "
              "t.typcategory as category, a.attnotnull as not_null, a.atthasdef or a.attidentity <> '' as has_default, "
              "a.attgenerated <> '' as generated"
              " from pg_attribute a join pg_class c on c.oid = a.attrelid"
              " join pg_namespace n on n.oid = c.relnamespace join pg_type t on t.oid = a.atttypid"
              " where a.attnum > 0 and not a.attisdropped and " +
                  std::string(kTables) + " order by 1, 2, a.attnum",
              8);
    if (!columns) return fail(columns.error());
    for (const auto& row : columns->rows) {
        CatalogColumn c{text(row[0]), text(row[1]), text(row[2]), text(row[3])};
        c.category = text(row[4]).empty() ? 'X' : text(row[4])[0];
        c.not_null = yes(row[5]);
        c.has_default = yes(row[6]);
        c.generated = yes(row[7]);
        cat.columns.push_back(std::move(c));
    }

    auto checks = query(
        session,
        "select n.nspname as s, c.relname as t, co.conname as name, a.attname as c, pg_get_constraintdef(co.oid) as def"
        " from pg_constraint co join pg_class c on c.oid = co.conrelid"
        " join pg_namespace n on n.oid = c.relnamespace"
        " join pg_attribute a on a.attrelid = c.oid and a.attnum = co.conkey[1]"
        " where co.contype = 'c' and array_length(co.conkey, 1) = 1 and " +
            std::string(kTables) + " order by 1, 2, 3",
        5);
    if (!checks) return fail(checks.error());
    for (const auto& row : checks->rows)
        cat.checks.push_back({text(row[0]), text(row[1]), text(row[2]), text(row[3]), text(row[4])});

    auto indexes =
        query(session,
              "select n.nspname as s, c.relname as t, i.relname as name,"
              " x.indisunique and x.indpred is null and x.indexprs is null as is_unique,"
              " (select string_agg(a.attname, ',' order by k.ord)"
              "  from unnest(x.indkey::int2[]) with ordinality k(attnum, ord)"
              "  join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum) as cols"
              " from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid"
              " join pg_namespace n on n.oid = c.relnamespace where " +
                  std::string(kTables) + " order by 1, 2, 3",
              5);
    if (!indexes) return fail(indexes.error());
    for (const auto& row : indexes->rows) {
        CatalogIndex i{text(row[0]), text(row[1]), text(row[2]), yes(row[3]), {}};
        std::string cols = text(row[4]);
        for (std::size_t at = 0; !cols.empty() && at <= cols.size();) {
            auto comma = cols.find(',', at);
            if (comma == std::string::npos) comma = cols.size();
            i.columns.push_back(cols.substr(at, comma - at));
            at = comma + 1;
        }
        cat.indexes.push_back(std::move(i));
    }
    return cat;
}

} // namespace sbdeploy::metrics
