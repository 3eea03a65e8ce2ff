#include "db/catalog.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

#include <rapidjson/document.h>

#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

// One row per object: rank, kind, name, parent, attributes (a JSON object of texts). Names as
// format('%I') writes them; privileges sorted, and NULL (the defaults) spelled out, so that a
// table dropped and created again with the same grants compares equal. Extension members are
// left out: the extension's row stands for them.
constexpr std::string_view kSnapshotSql = R"sql(
WITH ns AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
), ext AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
), rel AS (
  SELECT c.*, pg_catalog.format('%I.%I', ns.nspname, c.relname) AS ident
  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass)
), owned AS (
  SELECT d.objid, o.ident FROM pg_catalog.pg_depend d JOIN rel o ON o.oid = d.refobjid
  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
    AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
)
SELECT 1, 'schema', pg_catalog.quote_ident(n.nspname), NULL,
  pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(n.nspowner),
    'privileges', pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.unnest(
      coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)))::text ORDER BY 1), ','))
FROM pg_catalog.pg_namespace n JOIN ns ON ns.oid = n.oid
WHERE n.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass)
UNION ALL
SELECT 2, 'extension', pg_catalog.quote_ident(x.extname), NULL,
  pg_catalog.jsonb_build_object('version', x.extversion,
    'schema', x.extnamespace::pg_catalog.regnamespace::text)
FROM pg_catalog.pg_extension x
UNION ALL
SELECT 3, CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' ELSE 'range type' END,
  pg_catalog.format('%I.%I', ns.nspname, t.typname), NULL,
  pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(t.typowner),
    'privileges', pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.unnest(
      coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner)))::text ORDER BY 1), ','),
    'labels', (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
               FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
    'base type', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END,
    'not null', CASE WHEN t.typtype = 'd' THEN CASE WHEN t.typnotnull THEN 'yes' ELSE 'no' END END,
    'default', t.typdefault,
    'subtype', (SELECT pg_catalog.format_type(r.rngsubtype, NULL) FROM pg_catalog.pg_range r
                WHERE r.rngtypid = t.oid))
FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r')
  AND t.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
UNION ALL
SELECT 4, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
    WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
    ELSE 'composite type' END,
  c.ident, owner.ident,
  pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(c.relowner),
    'privileges', pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.unnest(coalesce(c.relacl, pg_catalog.acldefault(
      CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)))::text ORDER BY 1), ','),
    'row level security', CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END,
    'forced row level security', CASE WHEN c.relforcerowsecurity THEN 'yes' ELSE 'no' END,
    'persistence', CASE c.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'logged' END,
    'options', c.reloptions::text,
    'definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
    'parameters', CASE WHEN s.seqrelid IS NOT NULL THEN pg_catalog.format(
      'as %s increment %s minvalue %s maxvalue %s start %s cache %s%s', pg_catalog.format_type(s.seqtypid, NULL),
      s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END)
    END)
FROM rel c
LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN owned owner ON c.relkind = 'S' AND owner.objid = c.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
UNION ALL
SELECT 5, 'column', pg_catalog.format('%s.%I', c.ident, a.attname), c.ident,
  pg_catalog.jsonb_build_object('type', pg_catalog.format_type(a.atttypid, a.atttypmod),
    'not null', CASE WHEN a.attnotnull THEN 'yes' ELSE 'no' END,
    CASE WHEN a.attgenerated = 's' THEN 'generated' ELSE 'default' END, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
    'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
    'collation', CASE WHEN a.attcollation <> t.typcollation THEN
      (SELECT pg_catalog.format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
       JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
    'privileges', NULLIF(pg_catalog.array_to_string(ARRAY(
      SELECT pg_catalog.unnest(a.attacl)::text ORDER BY 1), ','), ''))
FROM pg_catalog.pg_attribute a JOIN rel c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 6, 'constraint', pg_catalog.format('%I on %s', con.conname, owner.ident), owner.ident,
  pg_catalog.jsonb_build_object('definition', pg_catalog.pg_get_constraintdef(con.oid))
FROM pg_catalog.pg_constraint con JOIN ns ON ns.oid = con.connamespace
LEFT JOIN rel c ON c.oid = con.conrelid
LEFT JOIN pg_catalog.pg_type t ON t.oid = con.contypid
  AND t.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)
CROSS JOIN LATERAL (SELECT coalesce(c.ident, pg_catalog.format('%I.%I', ns.nspname, t.typname)) AS ident) owner
WHERE c.oid IS NOT NULL OR t.oid IS NOT NULL
UNION ALL
SELECT 7, 'index', ic.ident, c.ident,
  pg_catalog.jsonb_build_object('definition', pg_catalog.pg_get_indexdef(i.indexrelid),
    'valid', CASE WHEN i.indisvalid THEN 'yes' ELSE 'no' END)
FROM pg_catalog.pg_index i JOIN rel ic ON ic.oid = i.indexrelid JOIN rel c ON c.oid = i.indrelid
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT 8, CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function'
    ELSE 'function' END,
  pg_catalog.format('%I.%I(%s)', ns.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)), NULL,
  pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(p.proowner),
    'privileges', pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.unnest(
      coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner)))::text ORDER BY 1), ','),
    'result', pg_catalog.pg_get_function_result(p.oid),
    'definition', CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END)
FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass)
UNION ALL
SELECT 9, 'trigger', pg_catalog.format('%I on %s', tg.tgname, c.ident), c.ident,
  pg_catalog.jsonb_build_object('definition', pg_catalog.pg_get_triggerdef(tg.oid),
    'enabled', CASE tg.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always'
      ELSE 'enabled' END)
FROM pg_catalog.pg_trigger tg JOIN rel c ON c.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
SELECT 10, 'policy', pg_catalog.format('%I on %s', pol.polname, c.ident), c.ident,
  pg_catalog.jsonb_build_object(
    'command', CASE pol.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update'
      WHEN 'd' THEN 'delete' ELSE 'all' END,
    'mode', CASE WHEN pol.polpermissive THEN 'permissive' ELSE 'restrictive' END,
    'roles', (SELECT pg_catalog.string_agg(r.name, ', ' ORDER BY r.name) FROM (
      SELECT CASE WHEN u.oid = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(u.oid) END AS name
      FROM pg_catalog.unnest(pol.polroles) AS u(oid)) r),
    'using', pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
    'with check', pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid))
FROM pg_catalog.pg_policy pol JOIN rel c ON c.oid = pol.polrelid
UNION ALL
SELECT 11, 'publication', pg_catalog.quote_ident(p.pubname), NULL,
  pg_catalog.jsonb_build_object('owner', pg_catalog.pg_get_userbyid(p.pubowner),
    'all tables', CASE WHEN p.puballtables THEN 'yes' ELSE 'no' END,
    'operations', pg_catalog.concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END,
      CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END,
      CASE WHEN p.pubtruncate THEN 'truncate' END),
    'tables', CASE WHEN NOT p.puballtables THEN (
      SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I', pt.schemaname, pt.tablename), ', '
                                   ORDER BY pt.schemaname, pt.tablename)
      FROM pg_catalog.pg_publication_tables pt WHERE pt.pubname = p.pubname) END)
FROM pg_catalog.pg_publication p
UNION ALL
SELECT 12, 'event trigger', pg_catalog.quote_ident(e.evtname), NULL,
  pg_catalog.jsonb_build_object('event', e.evtevent, 'function', e.evtfoid::pg_catalog.regproc::text,
    'enabled', e.evtenabled::text, 'tags', e.evttags::text)
FROM pg_catalog.pg_event_trigger e
WHERE e.oid NOT IN (SELECT objid FROM ext WHERE classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass)
UNION ALL
SELECT 13, 'default privileges', pg_catalog.format('for role %I%s on %s', pg_catalog.pg_get_userbyid(d.defaclrole),
    CASE WHEN d.defaclnamespace <> 0 THEN pg_catalog.format(' in schema %I', n.nspname) ELSE '' END,
    CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
      WHEN 'T' THEN 'types' ELSE 'schemas' END), NULL,
  pg_catalog.jsonb_build_object('privileges', NULLIF(pg_catalog.array_to_string(ARRAY(
    SELECT pg_catalog.unnest(d.defaclacl)::text ORDER BY 1), ','), ''))
FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
UNION ALL
SELECT 14, 'role', pg_catalog.quote_ident(r.rolname), NULL,
  pg_catalog.jsonb_build_object('attributes', pg_catalog.concat_ws(' ',
      CASE WHEN r.rolsuper THEN 'superuser' END, CASE WHEN r.rolcanlogin THEN 'login' ELSE 'nologin' END,
      CASE WHEN r.rolinherit THEN 'inherit' ELSE 'noinherit' END, CASE WHEN r.rolcreaterole THEN 'createrole' END,
      CASE WHEN r.rolcreatedb THEN 'createdb' END, CASE WHEN r.rolbypassrls THEN 'bypassrls' END),
    'member of', (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(g.rolname), ', ' ORDER BY g.rolname)
                  FROM pg_catalog.pg_auth_members am JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
                  WHERE am.member = r.oid))
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
)sql";

Result<CatalogObject> parse_row(const Row& row) {
    if (row.size() != 5 || !row[0] || !row[1] || !row[2] || !row[4])
        return fail(ErrorKind::database, "reading the catalog: unexpected answer");
    CatalogObject o;
    o.rank = std::stoi(*row[0]);
    o.kind = *row[1];
    o.name = *row[2];
    o.parent = row[3].value_or("");
    rapidjson::Document doc;
    doc.Parse(row[4]->c_str());
    if (doc.HasParseError() || !doc.IsObject())
        return fail(ErrorKind::database,
                    "reading the catalog: attributes of " + o.kind + " " + o.name + " are not JSON");
    for (const auto& m : doc.GetObject())
        o.attributes[m.name.GetString()] = m.value.IsString() ? m.value.GetString() : std::string("none");
    return o;
}

std::string key_of(const CatalogObject& o) { return o.kind + " " + o.name; }

// A value short enough to quote in a one-line message.
bool quotable(std::string_view value) { return value.size() <= 80 && value.find('\n') == std::string_view::npos; }

// `what` differs between before and after: "type "integer" before the file, "text" after its
// down SQL; definition differs"...
std::string changed_attributes(const CatalogObject& before, const CatalogObject& after) {
    std::string out;
    auto value = [](const CatalogObject& o, const std::string& name) {
        auto it = o.attributes.find(name);
        return it == o.attributes.end() ? std::string("none") : it->second;
    };
    std::vector<std::string> names;
    for (const auto& [name, _] : before.attributes) names.push_back(name);
    for (const auto& [name, _] : after.attributes)
        if (!before.attributes.contains(name)) names.push_back(name);
    for (const auto& name : names) {
        const std::string was = value(before, name), is = value(after, name);
        if (was == is) continue;
        out += out.empty() ? ": " : "; ";
        out += quotable(was) && quotable(is)
                   ? name + " " + util::quoted(was) + " before the file, " + util::quoted(is) + " after its down SQL"
                   : name + " differs from before the file";
    }
    return out;
}

}  // namespace

Result<CatalogSnapshot> snapshot_catalog(Session& session) {
    // search_path = pg_catalog: every user object comes out schema-qualified. SET LOCAL under a
    // savepoint that is rolled back leaves the caller's setting as it was.
    auto r =
        session.exec("SAVEPOINT sbdeploy_catalog; SET LOCAL search_path = pg_catalog; " + std::string(kSnapshotSql));
    auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_catalog; RELEASE SAVEPOINT sbdeploy_catalog");
    if (!r) {
        Error e = std::move(r.error());
        if (e.kind != ErrorKind::connection) e.message = "reading the catalog failed: " + e.message;
        return fail(std::move(e));
    }
    if (!back) return fail(std::move(back.error()));
    CatalogSnapshot snapshot;
    for (const auto& row : r->rows) {
        auto o = parse_row(row);
        if (!o) return fail(std::move(o.error()));
        snapshot.emplace(key_of(*o), std::move(*o));
    }
    return snapshot;
}

std::vector<std::string> catalog_differences(const CatalogSnapshot& before, const CatalogSnapshot& after_up,
                                             const CatalogSnapshot& after_down) {
    // Tables (and other parents) left or missing as a whole: their parts are not listed again.
    std::vector<std::string> left_parents, missing_parents;
    for (const auto& [key, o] : after_down)
        if (!before.contains(key) && o.parent.empty()) left_parents.push_back(o.name);
    for (const auto& [key, o] : before)
        if (!after_down.contains(key) && o.parent.empty()) missing_parents.push_back(o.name);
    auto listed = [](const std::vector<std::string>& parents, const CatalogObject& o) {
        return !o.parent.empty() && std::find(parents.begin(), parents.end(), o.parent) != parents.end();
    };
    std::vector<std::tuple<int, std::string, std::string>> lines;  // rank, name, text
    for (const auto& [key, o] : after_down) {
        auto was = before.find(key);
        if (was == before.end()) {
            if (listed(left_parents, o)) continue;
            lines.emplace_back(o.rank, o.name,
                               after_up.contains(key) ? "leaves " + key + " (created by the file)"
                                                      : "creates " + key + ", which was not there before the file");
        } else if (was->second.attributes != o.attributes) {
            lines.emplace_back(o.rank, o.name, "does not restore " + key + changed_attributes(was->second, o));
        }
    }
    for (const auto& [key, o] : before) {
        if (after_down.contains(key) || listed(missing_parents, o)) continue;
        lines.emplace_back(o.rank, o.name,
                           after_up.contains(key) ? "drops " + key + ", which was there before the file"
                                                  : "does not restore " + key + " (dropped by the file)");
    }
    std::sort(lines.begin(), lines.end());
    std::vector<std::string> out;
    out.reserve(lines.size());
    for (auto& line : lines) out.push_back(std::move(std::get<2>(line)));
    return out;
}

}  // namespace sbdeploy::db
