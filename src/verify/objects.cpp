#include "verify/objects.hpp"

#include <string_view>

#include "db/history.hpp"

namespace sbdeploy::verify {

namespace {

// One row per expectation: its ordinal and a state: ok, missing, disabled (row level
// security off), no_relation (the table of a column or policy is missing), kind:<relkind>.
constexpr std::string_view kCheckSql = R"sql(
SELECT e.ord::text,
  CASE e.kind
    WHEN 'schema' THEN CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = e.obj)
      THEN 'ok' ELSE 'missing' END
    WHEN 'extension' THEN CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_extension x WHERE x.extname = e.obj)
      THEN 'ok' ELSE 'missing' END
    WHEN 'function' THEN CASE WHEN EXISTS (
        SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = e.nsp AND p.proname = e.obj
          AND (e.any_args = 't' OR pg_catalog.oidvectortypes(p.proargtypes) = e.detail))
      THEN 'ok' ELSE 'missing' END
    WHEN 'column' THEN CASE WHEN r.oid IS NULL THEN 'no_relation'
      WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = r.oid AND a.attname = e.detail AND a.attnum > 0 AND NOT a.attisdropped)
      THEN 'ok' ELSE 'missing' END
    WHEN 'policy' THEN CASE WHEN r.oid IS NULL THEN 'no_relation'
      WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_policy pol
                   WHERE pol.polrelid = r.oid AND (e.detail = '' OR pol.polname = e.detail))
      THEN 'ok' ELSE 'missing' END
    WHEN 'rls' THEN CASE WHEN r.oid IS NULL THEN 'no_relation'
      WHEN r.relkind NOT IN ('r', 'p') THEN 'kind:' || r.relkind::text
      WHEN r.relrowsecurity THEN 'ok' ELSE 'disabled' END
    ELSE CASE WHEN r.oid IS NULL THEN 'missing'
      WHEN r.relkind::text = ANY (CASE e.kind WHEN 'table' THEN ARRAY['r', 'p']
                                              WHEN 'view' THEN ARRAY['v', 'm']
                                              ELSE ARRAY['i', 'I'] END)
      THEN 'ok' ELSE 'kind:' || r.relkind::text END
  END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     WITH ORDINALITY AS e(kind, nsp, obj, detail, any_args, ord)
LEFT JOIN LATERAL (
  SELECT c.oid, c.relkind, c.relrowsecurity
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = e.nsp AND c.relname = e.obj
) r ON true
ORDER BY e.ord
)sql";

std::string relkind_name(std::string_view k) {
    if (k == "r") return "a table";
    if (k == "p") return "a partitioned table";
    if (k == "v") return "a view";
    if (k == "m") return "a materialized view";
    if (k == "i") return "an index";
    if (k == "I") return "a partitioned index";
    if (k == "S") return "a sequence";
    if (k == "f") return "a foreign table";
    if (k == "c") return "a composite type";
    return "a relation of kind " + std::string(k);
}

std::string problem_of(const Expectation& e, std::string_view state) {
    std::string relation = quote_ident(e.schema) + "." + quote_ident(e.name);
    if (state == "missing") return describe(e) + " is missing";
    if (state == "disabled") return "row level security is not enabled on " + relation;
    if (state == "no_relation") return describe(e) + " is missing: there is no table " + relation;
    if (state.starts_with("kind:")) return describe(e) + ": " + relation + " is " + relkind_name(state.substr(5));
    return describe(e) + ": unexpected state " + std::string(state);
}

} // namespace

Result<std::vector<Finding>> check_objects(db::Session& session, std::span<const Expectation> expectations) {
    std::vector<Finding> findings;
    if (expectations.empty()) return findings;
    std::vector<std::string> kinds, schemas, names, details, any;
    for (const auto& e : expectations) {
        kinds.emplace_back(kind_name(e.kind));
        schemas.push_back(e.schema);
        names.push_back(e.name);
        details.push_back(e.detail);
        any.emplace_back(e.any_arguments ? "t" : "f");
    }
    std::vector<db::Value> params{db::text_array_literal(kinds), db::text_array_literal(schemas),
                                  db::text_array_literal(names), db::text_array_literal(details),
                                  db::text_array_literal(any)};
    auto result = session.exec_params(kCheckSql, params);
    if (!result) {
        Error e = std::move(result.error());
        e.message = "verify: cannot read the catalogs: " + e.message;
        e.column = 0;  // a position in sbdeploy's own query, not in anything the user wrote
        return fail(std::move(e));
    }
    if (result->rows.size() != expectations.size() || result->columns.size() != 2)
        return fail(ErrorKind::operation, "verify: the catalog query returned " + std::to_string(result->rows.size()) +
                                              " rows for " + std::to_string(expectations.size()) + " expectations");
    for (std::size_t i = 0; i < expectations.size(); ++i) {
        const auto& state = result->rows[i][1];
        Finding f;
        f.expectation = &expectations[i];
        f.ok = state && *state == "ok";
        if (!f.ok) f.problem = problem_of(expectations[i], state ? *state : std::string("missing"));
        findings.push_back(std::move(f));
    }
    return findings;
}

} // namespace sbdeploy::verify
