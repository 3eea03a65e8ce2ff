// Acceptance tests of the migrations engine against the real Supabase CLI 3.1.0: the same
// files pushed by either tool leave identical history rows, and each tool treats what the
// other applied as applied.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "migrations/apply.hpp"
#include "migrations/files.hpp"
#include "migrations/split.hpp"
#include "support/dump.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "util/strings.hpp"

using namespace sbdeploy::test;

namespace {

namespace fs = std::filesystem;

using File = MigrationSource;

std::string crlf(std::string_view text) { return sbdeploy::util::replace_all(text, "\n", "\r\n"); }

// A realistic project: what Supabase users write, with every splitting hazard we know.
std::vector<File> realistic_migrations() {
    return {
        {"20240101000001_auth_stub.sql", R"sql(/*
 * The auth schema Supabase provides; a stub on plain Postgres.
 * Semicolons in comments; do not split here.
 */
create schema if not exists auth;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END
$$;
)sql"},
        {"20240101000002_profiles.sql", R"sql(-- Profiles: one row per user.
create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  username text unique check (username !~ ';'), -- no ; in user names
  "Display Name" text not null default 'anonymous; for now',
  created_at timestamptz not null default now()
);

comment on table public.profiles is 'User profiles; one per auth user';

create index profiles_username_idx on public.profiles (lower(username));
)sql"},
        {"20240101000003_rls.sql", R"sql(alter table public.profiles enable row level security;

-- Policies name the role and use auth.uid()
create policy "Profiles are viewable by everyone; really"
  on public.profiles for select
  using (true);

create policy "Users can update their own profile"
  on public.profiles for update
  to authenticated
  using (id = auth.uid())
  with check (id = auth.uid());
)sql"},
        {"20240101000004_functions.sql", R"sql(create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer set search_path = public
as $$
declare
  v_name text := 'new user; welcome';
begin
  -- a comment inside the body; with a semicolon
  insert into public.profiles (id, username, "Display Name")
  values (new.id, new.username, coalesce(new."Display Name", v_name));
  raise notice 'created profile %; ok', new.id;
  return new;
end;
$$;

create function public.slugify(value text) returns text
language plpgsql immutable
as $fn$
begin
  return regexp_replace(lower(value), '[^a-z0-9]+', '-', 'g'); -- $$ is not the end here
end
$fn$;

create function public.add_one(x integer) returns integer
language sql immutable
begin atomic
  select x + 1;
end;
)sql"},
        {"20240101000005_do_block.sql", R"sql(-- Conditional DDL in a DO block, with a nested dollar quote
do $do$
begin
  if not exists (select 1 from pg_type where typname = 'mood') then
    create type public.mood as enum ('sad', 'ok', 'happy');
  end if;
  execute $sql$ comment on type public.mood is 'how it feels; roughly' $sql$;
end
$do$;

alter table public.profiles add column mood public.mood default 'ok';
)sql"},
        {"20240101000006_seed.sql", R"sql(-- Seed-style data: semicolons inside strings, escapes and comments everywhere
insert into public.profiles (username, "Display Name") values
  ('alice', 'Alice; the first'),
  ('bob', E'Bob\'s account; escaped'),  -- a trailing comment; with a semicolon
  ('carol', 'It''s Carol /* not a comment */'),
  ('dave', 'Dave -- not a comment either');

/* a block comment /* nested; still a comment */ back in the outer one; */
insert into public.profiles (username, "Display Name") values ('eve', $$Eve's $$ || 'café ☕');

update public.profiles set mood = 'happy' where username in ('alice', 'bob');
)sql"},
        {"20240101000007_wrapped.sql", R"sql(-- Wrapped in its own transaction, as many real projects do
BEGIN;

create table public.audit_log (
  id bigint generated always as identity primary key,
  action text not null,
  at timestamptz default now()
);

insert into public.audit_log (action) values ('created; audit');

COMMIT;
)sql"},
        {"20240101000008_windows.sql", crlf(R"sql(-- Written on Windows: CRLF line endings
create table public.settings (
  key text primary key,
  value jsonb not null default '{}'::jsonb
);

insert into public.settings (key, value) values ('theme', '{"dark": true, "note": "a;b"}');
)sql")},
        {"20240101000009_views.sql", R"sql(create view public.profile_names with (security_invoker = true) as
  select id, coalesce(username, 'unknown') as name from public.profiles;

create or replace function public.touch_audit() returns trigger language plpgsql as $$
begin
  insert into public.audit_log (action) values (tg_op || ' on ' || tg_table_name);
  return null;
end $$;

create trigger profiles_audit after insert or update on public.profiles
  for each statement execute function public.touch_audit();

grant select on public.profile_names to authenticated
)sql"},
        {"20240101000010_no_final_semicolon.sql", R"sql(alter table public.settings add column updated_at timestamptz;

-- the last statement has no semicolon, and a comment follows the last one
update public.settings set updated_at = '2024-01-01T00:00:00Z' where key = 'theme';
-- trailing comment
)sql"},
    };
}

void cli_push(const TempProject& project, const std::string& url) {
    auto r = run_supabase({"db", "push", "--remote=" + url, "--yes", "--workdir", project.root().string()},
                          project.root().string());
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.find("Finished supabase db push.") != std::string::npos);
}

void sbdeploy_push(const TempProject& project, const std::string& url) {
    auto r = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
}

std::vector<std::string> versions_of(const std::vector<File>& files) {
    std::vector<std::string> v;
    for (const auto& f : files) v.push_back(f.name.substr(0, f.name.find('_')));
    return v;
}

// The line `supabase migration list` prints for a version applied remotely, e.g.
// "   `20240101000001` | `20240101000001` | `2024-01-01 00:00:01` ".
std::string listed_applied(const std::string& v) {
    std::string time = v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) + " " + v.substr(8, 2) + ":" +
                       v.substr(10, 2) + ":" + v.substr(12, 2);
    return "   `" + v + "` | `" + v + "` | `" + time + "` \n";
}

std::string listed_local_only(const std::string& v) {
    std::string time = v.substr(0, 4) + "-" + v.substr(4, 2) + "-" + v.substr(6, 2) + " " + v.substr(8, 2) + ":" +
                       v.substr(10, 2) + ":" + v.substr(12, 2);
    return "   `" + v + "` | ` `    | `" + time + "` \n";
}

struct CorpusFile {
    fs::path source;
    std::string migration;
    bool refused = false;
};

std::string corpus_migration_name(const fs::path& source) {
    std::string stem = source.stem().string();
    auto digits = stem.find_first_not_of("0123456789");
    REQUIRE_MESSAGE((digits != 0 && digits != std::string::npos && stem[digits] == '_'),
                    "corpus file " << source.filename().string() << " is not named NNN_name.sql");
    char version[32];
    std::snprintf(version, sizeof version, "2024%010lu", std::stoul(stem.substr(0, digits)));
    return std::string(version) + stem.substr(digits) + ".sql";
}

// Whether sbdeploy's transaction rules refuse the migration (exit 2 naming it), by
// loading it as push would.
bool refused_by_rules(const TempProject& project, const std::string& migration) {
    sbdeploy::migrations::MigrationFile file;
    REQUIRE(sbdeploy::migrations::parse_migration_name(migration, file.version, file.name));
    file.filename = migration;
    file.path = project.path("supabase/migrations/" + migration);
    file.display = "supabase/migrations/" + migration;
    auto loaded = sbdeploy::migrations::load_migration(file);
    if (loaded) return false;
    CHECK(loaded.error().exit_code() == 2);
    return true;
}

std::vector<std::string> sbdeploy_statements(const fs::path& source) {
    auto split = sbdeploy::migrations::split_statements(slurp(source.string()));
    REQUIRE(split.has_value());
    std::vector<std::string> out;
    for (const auto& s : *split) out.push_back(s.text);
    return out;
}

} // namespace

TEST_CASE("interop: sbdeploy and the Supabase CLI record identical history rows for the same migrations") {
    const auto files = realistic_migrations();
    TempProject project;
    write_all(project, files);
    const std::string by_cli = fresh_database("interop_cli");
    const std::string by_sbdeploy = fresh_database("interop_sb");

    cli_push(project, by_cli);
    sbdeploy_push(project, by_sbdeploy);

    const auto cli_rows = history_rows(by_cli);
    REQUIRE(cli_rows.size() == files.size());
    CHECK(history_versions(by_cli) == versions_of(files));
    const auto sb_rows = history_rows(by_sbdeploy);
    REQUIRE(sb_rows.size() == cli_rows.size());
    for (std::size_t i = 0; i < cli_rows.size(); ++i) {
        INFO("file " << files[i].name);
        CHECK(sb_rows[i] == cli_rows[i]);
    }
    // Beyond the bookkeeping, the same database results.
    CHECK(schema_dump(by_sbdeploy) == schema_dump(by_cli));
    const std::string data =
        "SELECT string_agg(username || '=' || \"Display Name\" || '=' || mood, ',' ORDER BY username) "
        "FROM public.profiles";
    CHECK(query_column(by_sbdeploy, data) == query_column(by_cli, data));
    CHECK(query_column(by_cli, data) ==
          std::vector<std::string>{"alice=Alice; the first=happy,bob=Bob's account; escaped=happy,carol=It's Carol /* "
                                   "not a comment */=ok,dave=Dave -- not a comment either=ok,eve=Eve's café ☕=ok"});
    // Spot checks of what both stored, as COMPAT.md describes it.
    CHECK(query_column(by_sbdeploy, "SELECT statements[1] || '|' || statements[array_length(statements, 1)] FROM "
                                    "supabase_migrations.schema_migrations WHERE version = '20240101000007'") ==
          std::vector<std::string>{"-- Wrapped in its own transaction, as many real projects do\nBEGIN|COMMIT"});
    CHECK(query_column(by_sbdeploy, "SELECT statements[array_length(statements, 1)] FROM "
                                    "supabase_migrations.schema_migrations WHERE version = '20240101000010'") ==
          std::vector<std::string>{"-- trailing comment"});
    CHECK(query_column(by_sbdeploy, "SELECT statements[1] FROM supabase_migrations.schema_migrations WHERE version = "
                                    "'20240101000008'") ==
          std::vector<std::string>{
              "-- Written on Windows: CRLF line endings\r\ncreate table public.settings (\r\n  key "
              "text primary key,\r\n  value jsonb not null default '{}'::jsonb\r\n)"});
}

TEST_CASE("interop: the Supabase CLI sees what sbdeploy pushed as applied") {
    const auto files = realistic_migrations();
    TempProject project;
    write_all(project, files);
    const std::string url = fresh_database("interop_seen");
    const std::string root = project.root().string();

    auto before = run_supabase({"migration", "list", "--remote=" + url, "--workdir", root}, root);
    INFO(describe(before));
    REQUIRE(before.exit_code == 0);
    for (const auto& v : versions_of(files)) CHECK(before.out.find(listed_local_only(v)) != std::string::npos);

    sbdeploy_push(project, url);

    SUBCASE("db push --dry-run finds nothing to push") {
        auto r = run_supabase({"db", "push", "--dry-run", "--remote=" + url, "--yes", "--workdir", root}, root);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Remote database is up to date.\n"));
        CHECK(r.err.find("Would push these migrations") == std::string::npos);
    }
    SUBCASE("migration list shows every version as applied remotely") {
        auto r = run_supabase({"migration", "list", "--remote=" + url, "--workdir", root}, root);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        for (const auto& v : versions_of(files)) CHECK(r.out.find(listed_applied(v)) != std::string::npos);
        CHECK(r.out.find("` `") == std::string::npos);
    }
    SUBCASE("db push applies nothing and leaves the history alone") {
        const auto rows = history_rows(url);
        auto r = run_supabase({"db", "push", "--remote=" + url, "--yes", "--workdir", root}, root);
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.ends_with("Remote database is up to date.\n"));
        CHECK(history_rows(url) == rows);
    }
}

TEST_CASE("interop: sbdeploy sees what the Supabase CLI pushed as applied, statements equal") {
    const auto files = realistic_migrations();
    TempProject project;
    write_all(project, files);
    const std::string url = fresh_database("interop_back");
    cli_push(project, url);
    const auto rows = history_rows(url);

    // An edited file would show here: the statements sbdeploy splits equal the CLI's.
    auto status =
        run_sbdeploy({"status", "--json", "--fail-on-pending", "--db-url", url, "--workdir", project.root().string()});
    INFO(describe(status));
    CHECK(status.exit_code == 0);
    CHECK(status.out.starts_with(R"({"environment":"","applied_count":10,"pending_count":0,"migrations":[)"));
    CHECK(status.out.find("edited") == std::string::npos);

    auto push = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
    INFO(describe(push));
    CHECK(push.exit_code == 0);
    CHECK(push.out.starts_with("Remote database is up to date: "));
    CHECK(history_rows(url) == rows);
}

TEST_CASE("interop: sbdeploy pushes the rest after the Supabase CLI pushed the first files") {
    const auto files = realistic_migrations();
    const std::string all_by_cli = fresh_database("interop_all");
    {
        TempProject whole;
        write_all(whole, files);
        cli_push(whole, all_by_cli);
    }
    for (std::size_t n : {std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
        CAPTURE(n);
        const std::string url = fresh_database("interop_part");
        TempProject project;
        write_all(project, std::vector<File>(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(n)));
        cli_push(project, url);
        REQUIRE(history_versions(url).size() == n);

        write_all(project, files);
        auto push = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
        INFO(describe(push));
        CHECK(push.exit_code == 0);
        CHECK(push.out.find("Pushed " + std::to_string(files.size() - n) + " migrations to ") != std::string::npos);

        auto status = run_sbdeploy({"status", "--json", "--fail-on-pending", "--db-url", url, "--workdir",
                                    project.root().string()});
        INFO(describe(status));
        CHECK(status.exit_code == 0);
        CHECK(status.out.starts_with(R"({"environment":"","applied_count":10,"pending_count":0,"migrations":[)"));
        for (const auto& v : versions_of(files))
            CHECK(status.out.find(R"({"version":")" + v + R"(",)") != std::string::npos);
        CHECK(status.out.find("pending\"") == std::string::npos);

        CHECK(history_rows(url) == history_rows(all_by_cli));
        CHECK(schema_dump(url) == schema_dump(all_by_cli));
    }
}

TEST_CASE("interop: the golden split corpus is stored identically by sbdeploy and the Supabase CLI") {
    const fs::path corpus = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "split";
    std::vector<fs::path> sources;
    if (fs::is_directory(corpus))
        for (const auto& e : fs::directory_iterator(corpus))
            if (e.is_regular_file() && e.path().extension() == ".sql") sources.push_back(e.path());
    std::sort(sources.begin(), sources.end());
    REQUIRE_MESSAGE(!sources.empty(), "no golden corpus in " << corpus.string());

    // Every corpus file as a migration, versions from their numbers: 007_x.sql -> 20240000000007_x.sql.
    // The CLI pushes them all; sbdeploy all but those it refuses (transaction rules, encoding).
    TempProject cli_project, sb_project;
    std::vector<CorpusFile> files;
    std::vector<std::string> refused;
    for (const auto& source : sources) {
        CorpusFile f{source, corpus_migration_name(source), {}};
        auto sql = slurp(source.string());
        cli_project.migration(f.migration, sql);
        f.refused = refused_by_rules(cli_project, f.migration);
        if (f.refused)
            refused.push_back(source.filename().string());
        else
            sb_project.migration(f.migration, sql);
        files.push_back(std::move(f));
    }
    // 024 mixes CREATE INDEX CONCURRENTLY with other statements (the transaction rules: the CLI
    // runs it non-atomically); 040 is not valid UTF-8 (the CLI stores U+FFFD for its bytes, so
    // it would run other SQL than the file says). Both are refused before anything runs.
    CHECK(refused == std::vector<std::string>{"024_create_index_concurrently.sql", "040_invalid_utf8_bytes.sql"});

    const std::string by_cli = fresh_database("corpus_cli");
    const std::string by_sbdeploy = fresh_database("corpus_sb");
    cli_push(cli_project, by_cli);
    sbdeploy_push(sb_project, by_sbdeploy);

    const auto cli_rows = history_rows(by_cli);
    const auto sb_rows = history_rows(by_sbdeploy);
    REQUIRE(cli_rows.size() == files.size());
    REQUIRE(sb_rows.size() == files.size() - refused.size());
    std::size_t sb = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        INFO("corpus file " << f.source.filename().string() << " as " << f.migration);
        const std::string version = f.migration.substr(0, f.migration.find('_'));
        const auto cli_statements = stored_statements(by_cli, version);
        // The golden expectation is what the CLI really stores.
        CHECK(cli_statements == golden_statements(f.source));
        if (f.refused) {
            // Not pushable, but split the same way (what repair and status would record).
            CHECK(sbdeploy_statements(f.source) == cli_statements);
            continue;
        }
        CHECK(sb_rows[sb++] == cli_rows[i]);
    }
}
