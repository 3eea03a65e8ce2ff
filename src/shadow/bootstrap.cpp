// The shadow database's bootstrap: bootstrap.sql (embedded at build time) in one transaction,
// and the check that a shadow database starts empty.
#include "shadow/bootstrap.hpp"

#include "shadow_bootstrap_sql.hpp"

namespace sbdeploy::shadow {

std::string_view bootstrap_sql() { return generated::kBootstrapSql; }

Result<void> bootstrap(db::Session& shadow) {
    std::string sql = "begin;\n" + std::string(bootstrap_sql()) + "\ncommit;";
    auto done = shadow.exec(sql);
    if (done) return {};
    (void)shadow.exec("rollback");  // a failed simple-protocol script leaves the transaction aborted
    Error e = std::move(done.error());
    e.message = "shadow database " + shadow.describe() + ": preparing the Supabase roles and schemas (bootstrap v" +
                std::to_string(kBootstrapVersion) + "): " + e.message;
    if (e.hint.empty())
        e.hint = "connect to the shadow database as a role that may create roles and schemas (the postgres user of a "
                 "postgres or supabase/postgres service container)";
    return fail(std::move(e));
}

Result<bool> holds_user_objects(db::Session& shadow) {
    // Anything in public (a Supabase image has nothing there), or any applied migration.
    auto r = shadow.exec("select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                         "        where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p', 'f'))"
                         "     + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
                         "        where n.nspname = 'public')");
    if (!r) return fail(std::move(r.error()));
    long objects = (r->rows.empty() || !r->rows[0][0]) ? 0 : std::stol(*r->rows[0][0]);
    if (objects > 0) return true;
    auto history =
        shadow.exec("select case when to_regclass('supabase_migrations.schema_migrations') is null then false "
                    "else true end");
    if (!history) return fail(std::move(history.error()));
    if (!history->rows.empty() && history->rows[0][0] && *history->rows[0][0] == "t") {
        auto rows = shadow.exec("select exists (select from supabase_migrations.schema_migrations)");
        if (!rows) return fail(std::move(rows.error()));
        return !rows->rows.empty() && rows->rows[0][0] && *rows->rows[0][0] == "t";
    }
    return false;
}

} // namespace sbdeploy::shadow
