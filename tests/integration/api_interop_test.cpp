// The interop acceptance of the migrations capability, over the Management API transport:
// what sbdeploy records through the API equals what the real Supabase CLI 3.1.0 records
// through Postgres (history rows, and the database they describe), and each tool treats what
// the other applied as applied. History values travel as quoted literals: statements full of
// quotes, $$ and backslashes come back byte for byte.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "api_server.hpp"
#include "migrations/apply.hpp"
#include "migrations/files.hpp"
#include "support/dump.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

namespace fs = std::filesystem;

using File = MigrationSource;

// Text that string splicing would break: quotes, backslashes, dollar quotes (even the tag
// of sbdeploy's own guard), E'' escapes, a newline escape, and CRLF line endings.
std::vector<File> hazardous_migrations() {
    return {
        {"20240201000001_notes.sql",
         R"sql(-- it's a comment with 'quotes', "double quotes", \backslashes\ and $$dollars$$
create table public.notes (id int generated always as identity primary key, body text not null);
)sql"},
        {"20240201000002_quotes.sql", R"sql(insert into public.notes (body) values
  ('single ''quoted'' text; with a semicolon'),
  (E'escaped \' quote, \\ backslash and \n newline'),
  ('a standard string with a lone \ backslash'),
  ($$dollar-quoted 'text' with \ and "quotes"$$),
  ($tag$ nested $$ inside; $tag$),
  ($sbdeploy_guard$ the guard's own tag $sbdeploy_guard$),
  (E'\\'), (E'\'\''), ('}{"\,');

/* a block comment with a quote ' and a dollar $$ and a backslash \ */
comment on table public.notes is E'it''s \\ a ''table''';
)sql"},
        {"20240201000003_function.sql", R"sql(create function public.shout(t text) returns text language plpgsql as $fn$
begin
  return upper(t) || E'!\\' || $q$'$q$;  -- $$ in a comment; and E'\''
end
$fn$;

select public.shout('it''s \ done');
)sql"},
        {"20240201000004_crlf.sql", "-- CRLF, and a PREPARE-looking string\r\ninsert into public.notes (body) values "
                                    "('EXECUTE x($1, $2); DEALLOCATE x');\r\n"},
    };
}

void cli_push(const TempProject& project, const std::string& url) {
    auto r = run_supabase({"db", "push", "--remote=" + url, "--yes", "--workdir", project.root().string()},
                          project.root().string());
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
}

void api_push(const TempProject& project, const std::string& ref) {
    auto r = run_api("push", project, ref);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
}

const std::string kNotes = "SELECT string_agg(body, '|' ORDER BY id) FROM public.notes";

} // namespace

TEST_CASE("api interop: through the Management API sbdeploy records the history rows the Supabase CLI records") {
    const auto files = hazardous_migrations();
    TempProject project;
    write_all(project, files);
    const std::string by_cli = fresh_database("api_interop_cli");
    const std::string by_api = fresh_database("api_interop_api");
    cli_push(project, by_cli);
    api_push(project, api_server().add_project(by_api));

    const auto cli_rows = history_rows(by_cli);
    REQUIRE(cli_rows.size() == files.size());
    CHECK(history_rows(by_api) == cli_rows);
    CHECK(schema_dump(by_api) == schema_dump(by_cli));
    CHECK(query_column(by_api, kNotes) == query_column(by_cli, kNotes));
    CHECK(query_column(by_api, kNotes) ==
          std::vector<std::string>{
              "single 'quoted' text; with a semicolon|escaped ' quote, \\ backslash and \n newline|"
              "a standard string with a lone \\ backslash|dollar-quoted 'text' with \\ and "
              "\"quotes\"| nested $$ inside; | the guard's own tag |\\|''|}{\"\\,|EXECUTE x($1, "
              "$2); DEALLOCATE x"});
    CHECK(query_column(by_api, "SELECT obj_description('public.notes'::regclass)") ==
          std::vector<std::string>{"it's \\ a 'table'"});
    CHECK(stored_statements(by_api, "20240201000004") ==
          std::vector<std::string>{"-- CRLF, and a PREPARE-looking string\r\ninsert into public.notes (body) values "
                                   "('EXECUTE x($1, $2); DEALLOCATE x')"});
}

TEST_CASE("api interop: the Supabase CLI sees what sbdeploy pushed through the API as applied, and the other way") {
    const auto files = hazardous_migrations();
    TempProject project;
    write_all(project, files);
    const std::string root = project.root().string();

    SUBCASE("pushed through the API: db push finds nothing to do") {
        const std::string url = fresh_database("api_seen");
        api_push(project, api_server().add_project(url));
        const auto rows = history_rows(url);
        auto r = run_supabase({"db", "push", "--remote=" + url, "--yes", "--workdir", root}, root);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Remote database is up to date.\n"));
        CHECK(history_rows(url) == rows);
    }
    SUBCASE("the CLI pushed the first two files: sbdeploy pushes the rest through the API") {
        const std::string all_by_cli = fresh_database("api_all_cli");
        cli_push(project, all_by_cli);
        const std::string url = fresh_database("api_rest");
        TempProject first;
        write_all(first, std::vector<File>(files.begin(), files.begin() + 2));
        cli_push(first, url);
        const std::string ref = api_server().add_project(url);

        auto status = run_api("status", project, ref, {"--json"});
        INFO(describe(status));
        CHECK(status.out.starts_with(R"({"environment":"","applied_count":2,"pending_count":2,"migrations":[)"));
        auto push = run_api("push", project, ref);
        INFO(describe(push));
        CHECK(push.exit_code == 0);
        CHECK(push.out.find("Pushed 2 migrations to ") != std::string::npos);
        CHECK(history_rows(url) == history_rows(all_by_cli));
        CHECK(schema_dump(url) == schema_dump(all_by_cli));
    }
}

TEST_CASE("api interop: the golden split corpus is recorded through the API as the Supabase CLI stores it") {
    const fs::path corpus = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "split";
    std::vector<fs::path> sources;
    for (const auto& e : fs::directory_iterator(corpus))
        if (e.is_regular_file() && e.path().extension() == ".sql") sources.push_back(e.path());
    std::sort(sources.begin(), sources.end());
    REQUIRE(sources.size() > 40);

    // Every corpus file as a migration, 007_x.sql -> 20240000000007_x.sql, but those push
    // refuses before anything runs (the transaction rules; cli_interop_test.cpp checks which
    // and that the CLI splits them the same way).
    TempProject project;
    std::vector<std::pair<fs::path, std::string>> pushed;
    std::vector<std::string> refused;
    for (const auto& source : sources) {
        std::string stem = source.stem().string();
        auto digits = stem.find('_');
        char version[32];
        std::snprintf(version, sizeof version, "2024%010lu", std::stoul(stem.substr(0, digits)));
        const std::string migration = std::string(version) + stem.substr(digits) + ".sql";
        project.migration(migration, slurp(source.string()));
        sbdeploy::migrations::MigrationFile file;
        REQUIRE(sbdeploy::migrations::parse_migration_name(migration, file.version, file.name));
        file.path = project.path("supabase/migrations/" + migration);
        if (!sbdeploy::migrations::load_migration(file)) {
            project.remove_migration(migration);
            refused.push_back(source.filename().string());
            continue;
        }
        pushed.emplace_back(source, version);
    }
    std::string refused_list;
    for (const auto& r : refused) refused_list += " " + r;
    INFO("refused:" << refused_list);
    // 024 mixes CREATE INDEX CONCURRENTLY with other statements (the transaction rules); 040
    // holds bytes that are not UTF-8 (the input checks: neither the API's JSON nor a UTF-8
    // database can carry them). Everything else is pushed.
    CHECK(refused == std::vector<std::string>{"024_create_index_concurrently.sql", "040_invalid_utf8_bytes.sql"});
    REQUIRE(pushed.size() + refused.size() == sources.size());
    REQUIRE(pushed.size() > 40);

    const std::string url = fresh_database("api_corpus");
    api_push(project, api_server().add_project(url));
    REQUIRE(history_versions(url).size() == pushed.size());
    for (const auto& [source, version] : pushed) {
        INFO("corpus file " << source.filename().string());
        CHECK(stored_statements(url, version) == golden_statements(source));
    }
}
