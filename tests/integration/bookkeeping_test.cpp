// sbdeploy's own writes (the history row, its deletion on rollback) never depend on what a
// migration file left in its session or transaction: a file's `SET statement_timeout`,
// `SET LOCAL lock_timeout` or `SET ROLE` must not cancel or refuse its own history row.
// A trigger on the history table records the settings each write runs under, and sleeps
// longer than the timeout the files set, so a leak fails the push deterministically.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api_server.hpp"
#include "support/dump.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

// The history table as the CLI creates it, with a trigger that logs the settings of every
// write and then takes 200 ms: more than the 50 ms statement_timeout the files set.
void watch_history(const std::string& url) {
    query_column(url, R"sql(
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);
create table public.bookkeeping (op text, version text, statement_timeout text, lock_timeout text, usr text);
grant all on public.bookkeeping to public;
create function public.log_bookkeeping() returns trigger language plpgsql as $$
begin
  insert into public.bookkeeping values (tg_op, coalesce(new.version, old.version),
    current_setting('statement_timeout'), current_setting('lock_timeout'), current_user);
  perform pg_sleep(0.2);
  if tg_op = 'DELETE' then return old; end if;
  return new;
end $$;
create trigger log_bookkeeping before insert or delete on supabase_migrations.schema_migrations
  for each row execute function public.log_bookkeeping();
select 1)sql");
}

// Three files, each leaving something behind: session SETs, SET LOCALs, a role without any
// privilege on the history table. Their down sections do the same before their deletion.
void leaving_files(TempProject& project, const std::string& role) {
    project.migration("20240101000001_session.sql",
                      "set statement_timeout = '50ms';\nset lock_timeout = '1ms';\n"
                      "create table public.one (id int);\nalter table public.one enable row level security;\n");
    project.migration("20240101000002_local.sql",
                      "set local statement_timeout = '50ms';\nset local lock_timeout = '1ms';\n"
                      "create table public.two (id int);\nalter table public.two enable row level security;\n");
    project.migration("20240101000003_role.sql",
                      "create role " + role + " nologin;\nset role " + role +
                          ";\n-- sbdeploy:down\nset local statement_timeout = '50ms';\nset role " + role + ";\n");
}

std::vector<std::string> logged(const std::string& url) {
    return query_column(url, "SELECT op || ' ' || version || ' ' || statement_timeout || ' ' || lock_timeout || ' ' || "
                             "usr FROM public.bookkeeping ORDER BY version, op DESC");
}

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

} // namespace

TEST_CASE("push: settings a file leaves do not reach its history row (libpq)") {
    TempProject project;
    const std::string url = fresh_database("bookkeeping");
    const std::string role = "nobody_" + query_column(url, "SELECT current_database()").front();
    watch_history(url);
    leaving_files(project, role);
    auto run = [&](const std::string& command, std::vector<std::string> extra) {
        std::vector<std::string> args{command, "--db-url", url, "--workdir", project.root().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_sbdeploy(args);
    };

    // The role file's down section leaves the role (it is about settings), which the down check
    // rightly reports; this case is about what reaches the history row.
    auto validated = run("validate", {"--lock-timeout", "5s", "--no-down-check"});
    INFO(describe(validated));
    CHECK(validated.exit_code == 0);
    query_column(url, "TRUNCATE public.bookkeeping; SELECT 1");

    // With --lock-timeout: its value; without --statement-timeout: the server's default (0).
    auto pushed = run("push", {"--lock-timeout", "5s"});
    INFO(describe(pushed));
    REQUIRE(pushed.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    CHECK(logged(url) == v({"INSERT 20240101000001 0 5s postgres", "INSERT 20240101000002 0 5s postgres",
                            "INSERT 20240101000003 0 5s postgres"}));

    // The rollback's deletion, after a down section that sets a timeout and a role.
    auto rolled = run("rollback", {"--last", "1", "--statement-timeout", "30s"});
    INFO(describe(rolled));
    CHECK(rolled.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));
    CHECK(logged(url) == v({"INSERT 20240101000001 0 5s postgres", "INSERT 20240101000002 0 5s postgres",
                            "INSERT 20240101000003 0 5s postgres", "DELETE 20240101000003 30s 0 postgres"}));
}

TEST_CASE("api push: settings a file leaves do not reach its history row") {
    TempProject project;
    const std::string url = fresh_database("api_bookkeeping");
    const std::string role = "nobody_" + query_column(url, "SELECT current_database()").front();
    watch_history(url);
    leaving_files(project, role);
    const std::string ref = api_server().add_project(url);

    auto validated = run_api("validate", project, ref, {"--statement-timeout", "1min"});
    INFO(describe(validated));
    CHECK(validated.exit_code == 0);
    query_column(url, "TRUNCATE public.bookkeeping; SELECT 1");

    auto pushed = run_api("push", project, ref, {"--statement-timeout", "1min"});
    INFO(describe(pushed));
    REQUIRE(pushed.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    CHECK(logged(url) == v({"INSERT 20240101000001 1min 0 postgres", "INSERT 20240101000002 1min 0 postgres",
                            "INSERT 20240101000003 1min 0 postgres"}));

    auto rolled = run_api("rollback", project, ref, {"--last", "1"});
    INFO(describe(rolled));
    CHECK(rolled.exit_code == 0);
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));
    CHECK(logged(url).back() == "DELETE 20240101000003 0 0 postgres");
}
