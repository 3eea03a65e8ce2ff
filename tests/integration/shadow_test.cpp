// validate without exposing a shared database, with the built binary, real PostgreSQL and
// GitHub's own pull_request payload (@octokit/webhooks-examples): the shadow database
// (--shadow-db-url: Supabase bootstrap, the target's applied migrations replayed, the dry run
// there), fork pull requests with and without it, pull_request_target's refusal, and
// --redact-errors. The target is reached through a TCP proxy that counts its connections.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "metrics_support.hpp"
#include "shadow/bootstrap.hpp"
#include "support/git_repo.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/tcp_proxy.hpp"
#include "support/temp_dir.hpp"
#include "support/workflow_step.hpp"

using namespace sbdeploy::test;
namespace ms = sbdeploy::test::metrics_support;

namespace {

// GitHub's example `pull_request` synchronize payload, from `head_repo`'s branch "changes"
// into `base` of Codertocat/Hello-World.
std::string pr_event(const std::string& base, const std::string& head_repo = "Codertocat/Hello-World") {
    auto d = ms::webhook_example("pull_request", 22);
    ms::set(d, "/pull_request/base/ref", base);
    ms::set(d, "/pull_request/head/repo/full_name", head_repo);
    return ms::to_json(d);
}

constexpr const char* kProfiles =
    "create table profiles (id uuid primary key references auth.users (id), name text);\n"
    "alter table profiles enable row level security;\n"
    "create policy own on profiles for select to authenticated using (auth.uid() = id);\n";

// Fails on line 5: auth.users has no column emailx.
constexpr const char* kNotesBad = "create table notes (\n"
                                  "  id bigint primary key,\n"
                                  "  owner uuid references auth.users (id)\n"
                                  ");\n"
                                  "insert into notes (id, owner) select 1, id from auth.users where emailx = 'a';\n";

constexpr const char* kNotesGood = "create table notes (\n"
                                   "  id bigint primary key,\n"
                                   "  owner uuid references auth.users (id)\n"
                                   ");\n"
                                   "alter table notes enable row level security;\n";

// A target database (made a Supabase-like one with the same bootstrap) reached
// through a counting proxy, a fresh shadow database, and a project.
struct World {
    TempProject project;
    std::string target = fresh_database("shadow_target");
    std::string shadow = fresh_database("shadow_shadow");
    TcpProxy proxy{std::stoi(port_of(target))};
    std::string target_via_proxy = via_port(target, proxy.port());
    int runs = 0;

    World() { query_column(target, std::string(sbdeploy::shadow::bootstrap_sql()) + "\nselect 1"); }
    StepRun validate(const std::string& event, const std::string& payload, std::vector<std::string> args, Env env) {
        args.insert(args.begin(), "validate");
        return run_step(project, ++runs, event, payload, args, env);
    }
    // push of the project's files to the target directly (not through the proxy).
    void push_to_target() {
        auto r = run_with_db("push", project, target);
        REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
    }
};

} // namespace

TEST_CASE("validate --shadow-db-url: a failing migration that uses auth.users is caught with file and line, "
          "and the target gets only the history read") {
    World w;
    w.project.migration("20250101000000_profiles.sql", kProfiles);
    w.push_to_target();
    w.project.migration("20250102000000_notes.sql", kNotesBad);
    auto run = w.validate("pull_request", pr_event("staging"), {"--shadow-db-url", w.shadow},
                          {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
    INFO(describe(run));
    CHECK(run.result.exit_code == 1);
    CHECK(run.result.err.find("::error file=supabase/migrations/20250102000000_notes.sql,line=5") != std::string::npos);
    CHECK(run.outputs["valid"] == "false");
    CHECK(run.outputs["verdicts"].find("\"line\":5") != std::string::npos);
    CHECK(run.outputs["verdicts"].find("emailx") != std::string::npos);  // not redacted: a PR into staging
    CHECK(run.result.out.find("replayed 1 applied migration") != std::string::npos);
    // The target: one connection (the history read), nothing changed.
    CHECK(w.proxy.accepted() == 1);
    CHECK_FALSE(exists(w.target, "public.notes"));
    CHECK(query_column(w.target, "select count(*) from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"1"});
    // The shadow: the applied migration replayed, the pending one failed there (rolled back).
    CHECK(exists(w.shadow, "public.profiles"));
    CHECK_FALSE(exists(w.shadow, "public.notes"));
    CHECK(query_column(w.shadow, "select version from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"20250101000000"});
}

TEST_CASE("validate --shadow-db-url: the verdicts are those of a dry run on the target") {
    for (const char* notes : {kNotesGood, kNotesBad}) {
        CAPTURE(notes);
        World w;
        w.project.migration("20250101000000_profiles.sql", kProfiles);
        w.push_to_target();
        w.project.migration("20250102000000_notes.sql", notes);
        w.project.migration("20250103000000_flags.sql",
                            "create table flags (id int primary key);\nalter table flags enable row level security;\n");
        auto on_target = w.validate("pull_request", pr_event("staging"), {}, {{"SBDEPLOY_STAGING_DB_URL", w.target}});
        auto on_shadow = w.validate("pull_request", pr_event("staging"), {"--shadow-db-url", w.shadow},
                                    {{"SBDEPLOY_STAGING_DB_URL", w.target}});
        INFO(describe(on_target));
        INFO(describe(on_shadow));
        CHECK(on_target.result.exit_code == (notes == kNotesGood ? 0 : 1));
        CHECK(on_shadow.result.exit_code == on_target.result.exit_code);
        CHECK(on_shadow.outputs["verdicts"] == on_target.outputs["verdicts"]);
        CHECK(on_shadow.outputs["valid"] == on_target.outputs["valid"]);
        CHECK(on_shadow.outputs["pending_count"] == "2");
    }
}

TEST_CASE("validate --shadow-db-url: refuses a shadow database that is not empty") {
    World w;
    w.project.migration("20250101000000_profiles.sql", kProfiles);
    w.push_to_target();
    auto run = w.validate("pull_request", pr_event("staging"), {"--shadow-db-url", w.target},
                          {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
    INFO(describe(run));
    CHECK(run.result.exit_code == 2);
    CHECK(run.result.err.find("is not empty") != std::string::npos);
    CHECK(w.proxy.accepted() == 0);
}

TEST_CASE("validate: a fork pull request with a shadow database and no secrets gets a real dry run") {
    for (const char* notes : {kNotesGood, kNotesBad}) {
        CAPTURE(notes);
        World w;
        w.project.migration("20250101000000_profiles.sql", kProfiles);
        w.project.migration("20250102000000_notes.sql", notes);
        auto run = w.validate("pull_request", pr_event("staging", "someone/Hello-World"), {},
                              {{"SBDEPLOY_SHADOW_DB_URL", w.shadow}});
        INFO(describe(run));
        CHECK(run.result.exit_code == (notes == kNotesGood ? 0 : 1));
        CHECK(run.outputs.count("offline") == 0);
        CHECK(run.outputs["pending_count"] == "2");
        if (notes == kNotesBad)
            CHECK(run.result.err.find("::error file=supabase/migrations/20250102000000_notes.sql,line=5") !=
                  std::string::npos);
        else
            CHECK(run.outputs["valid"] == "true");
        // The shadow, which the job owns, takes the files for real: a failing one rolled back.
        CHECK(exists(w.shadow, "public.notes") == (notes == kNotesGood));
    }
}

TEST_CASE("validate: a fork's SQL never runs on the target without a shadow database (pull_request_target, or secrets "
          "sent to forks)") {
    World w;
    w.project.migration("20250101000000_notes.sql", kNotesGood);
    SUBCASE("refused, nothing run") {
        auto run = w.validate("pull_request_target", pr_event("staging", "someone/Hello-World"), {},
                              {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 1);
        CHECK(run.result.err.find("refusing to run the SQL of a pull request from a fork") != std::string::npos);
        CHECK(run.result.err.find("--shadow-db-url") != std::string::npos);
        CHECK(w.proxy.accepted() == 0);
    }
    SUBCASE("--allow-untrusted-sql runs it, with a warning") {
        auto run = w.validate("pull_request_target", pr_event("staging", "someone/Hello-World"),
                              {"--allow-untrusted-sql"}, {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 0);
        CHECK(run.result.err.find("::warning::running the SQL of a pull request from a fork") != std::string::npos);
        CHECK(w.proxy.accepted() >= 1);
    }
    SUBCASE("a fork's pull_request run that has the secret (sent to forks by choice) is refused too") {
        auto run = w.validate("pull_request", pr_event("staging", "someone/Hello-World"), {},
                              {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 1);
        CHECK(run.result.err.find("(the repository sends secrets to fork pull requests)") != std::string::npos);
        CHECK(w.proxy.accepted() == 0);
    }
    SUBCASE("with a shadow database: dry-run there, the target only read") {
        auto run = w.validate("pull_request_target", pr_event("staging", "someone/Hello-World"),
                              {"--shadow-db-url", w.shadow}, {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 0);
        CHECK(w.proxy.accepted() == 1);
    }
}

TEST_CASE("validate --redact-errors: a failing dry run reports SQLSTATE, file and line, and no server text") {
    World w;
    query_column(w.target, "create table customers (email text); "
                           "insert into customers values ('alice@example.com'), ('bob@example.com'); select 1");
    w.project.migration("20250101000000_leak.sql",
                        "create table t (id int primary key);\n"
                        "alter table t enable row level security;\n"
                        "do $$ begin raise exception '%', (select string_agg(email, ',') from customers); end $$;\n");
    auto everything = [](const StepRun& r) {
        std::string all = r.result.out + r.result.err + r.summary;
        for (const auto& [k, v] : r.outputs) all += k + "=" + v + "\n";
        return all;
    };
    SUBCASE("default: on for a pull request into production's branch") {
        auto run =
            w.validate("pull_request", pr_event("master"), {"--no-pr-guard"}, {{"SBDEPLOY_STAGING_DB_URL", w.target}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 1);
        const std::string all = everything(run);
        CHECK(all.find("alice@example.com") == std::string::npos);
        CHECK(all.find("P0001") != std::string::npos);
        CHECK(run.result.err.find("::error file=supabase/migrations/20250101000000_leak.sql,line=3") !=
              std::string::npos);
        CHECK(run.outputs["verdicts"].find("\"line\":3") != std::string::npos);
    }
    SUBCASE("--redact-errors on a pull request into staging") {
        auto run = w.validate("pull_request", pr_event("staging"), {"--redact-errors"},
                              {{"SBDEPLOY_STAGING_DB_URL", w.target}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 1);
        CHECK(everything(run).find("alice@example.com") == std::string::npos);
        CHECK(everything(run).find("P0001") != std::string::npos);
    }
    SUBCASE("off (a pull request into staging): the text, capped in length") {
        query_column(w.target, "insert into customers select repeat('x', 3000) || '@example.com'; select 1");
        auto run = w.validate("pull_request", pr_event("staging"), {}, {{"SBDEPLOY_STAGING_DB_URL", w.target}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 1);
        CHECK(run.outputs["verdicts"].find("alice@example.com") != std::string::npos);
        CHECK(run.outputs["verdicts"].find("more characters cut") != std::string::npos);
        CHECK(run.outputs["verdicts"].find(std::string(600, 'x')) == std::string::npos);
    }
}

TEST_CASE("validate --shadow-db-url: a fork pull request without secrets starts the shadow from the base commit") {
    TempDir tmp;
    const GitEnv genv = git_env(tmp.path("home"));
    std::filesystem::create_directories(tmp.path("home"));
    GitRepo repo(tmp.path("repo"), genv);
    repo.write("supabase/migrations/20250101000000_profiles.sql", kProfiles);
    const std::string base = repo.commit("profiles");
    repo.push(base, "refs/heads/staging");
    repo.write("supabase/migrations/20250102000000_notes.sql", kNotesBad);
    const std::string head = repo.commit("notes");
    repo.push(head, "refs/pull/2/head");
    const auto dir = repo.checkout(tmp.path("checkout"), head, "refs/remotes/pull/2/merge");

    auto d = ms::webhook_example("pull_request", 22);
    ms::set(d, "/pull_request/base/ref", "staging");
    ms::set(d, "/pull_request/base/sha", base);
    ms::set(d, "/pull_request/head/sha", head);
    ms::set(d, "/pull_request/head/repo/full_name", "someone/Hello-World");
    const std::string shadow = fresh_database("shadow_git");
    TempDir runner;
    Env env(genv.begin(), genv.end());
    env["GITHUB_ACTIONS"] = "true";
    env["GITHUB_EVENT_NAME"] = "pull_request";
    env["GITHUB_EVENT_PATH"] = runner.write("event.json", ms::to_json(d));
    env["GITHUB_SHA"] = head;
    env["GITHUB_WORKSPACE"] = dir.string();
    env["GITHUB_API_URL"] = "http://127.0.0.1:9";
    env["GITHUB_OUTPUT"] = runner.write("output", "");
    env["SBDEPLOY_SHADOW_DB_URL"] = shadow;
    auto r = run_sbdeploy({"validate", "--workdir", dir.string()}, env, dir.string());
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("the base commit " + base.substr(0, 7) + " has 1 migration") != std::string::npos);
    CHECK(r.err.find("::error file=supabase/migrations/20250102000000_notes.sql,line=5") != std::string::npos);
    CHECK(read_all(env["GITHUB_OUTPUT"]).find("pending_count<<") != std::string::npos);
    CHECK(query_column(shadow, "select version from supabase_migrations.schema_migrations") ==
          std::vector<std::string>{"20250101000000"});
    CHECK(exists(shadow, "public.profiles"));
    CHECK_FALSE(exists(shadow, "public.notes"));
}

TEST_CASE("shadow bootstrap: idempotent, and what exists stays as it is") {
    const std::string db = fresh_database("shadow_boot");
    query_column(db, "create schema auth; create function auth.uid() returns uuid language sql stable as "
                     "$$ select '00000000-0000-0000-0000-000000000001'::uuid $$; select 1");
    const std::string sql = std::string(sbdeploy::shadow::bootstrap_sql()) + "\nselect 1";
    query_column(db, sql);
    query_column(db, sql);  // again: nothing fails, nothing doubles
    CHECK(query_column(db, "select auth.uid()::text") ==
          std::vector<std::string>{"00000000-0000-0000-0000-000000000001"});
    CHECK(exists(db, "auth.users"));
    CHECK(exists(db, "storage.buckets"));
    CHECK(exists(db, "storage.objects"));
    CHECK(query_column(db, "select string_agg(rolname, ',' order by rolname) from pg_roles where rolname in "
                           "('anon', 'authenticated', 'service_role')") ==
          std::vector<std::string>{"anon,authenticated,service_role"});
    CHECK(query_column(db, "select storage.foldername('a/b/c.png')::text || ' ' || storage.extension('a/b/c.png')") ==
          std::vector<std::string>{"{a,b} png"});
    CHECK(query_column(db, "select set_config('request.jwt.claims', '{\"sub\":\"x\",\"role\":\"authenticated\"}', "
                           "false) is not null and auth.role() = 'authenticated'") == std::vector<std::string>{"t"});
}

// A role that may only read the history table of the database at `url`, and its URL.
std::string reader_url(const std::string& url, const std::string& role) {
    query_column(url, "drop role if exists " + role + "; create role " + role +
                          " login password 'reader-pw'; "
                          "grant usage on schema supabase_migrations to " +
                          role +
                          "; "
                          "grant select on supabase_migrations.schema_migrations to " +
                          role + "; select 1");
    return "postgresql://" + role + ":reader-pw@" + url.substr(url.rfind('@') + 1);
}

TEST_CASE("least privilege: the promotion gate and the shadow's history read work with read-only URLs") {
    World w;
    const std::string staging = fresh_database("shadow_staging");
    query_column(staging, std::string(sbdeploy::shadow::bootstrap_sql()) + "\nselect 1");
    w.project.migration("20250101000000_profiles.sql", kProfiles);
    auto pushed = run_with_db("push", w.project, staging);
    REQUIRE_MESSAGE(pushed.exit_code == 0, describe(pushed));
    const std::string role = "sbd_reader_" + staging.substr(staging.rfind('/') + 1);
    const std::string staging_reader = reader_url(staging, role);
    const std::string push_main = R"({"ref": "refs/heads/main", "before": "1111111111111111111111111111111111111111",
        "after": "2222222222222222222222222222222222222222", "repository": {"full_name": "acme/app"}})";
    SUBCASE("a production push with only staging's read-only URL") {
        auto run = run_step(w.project, ++w.runs, "push", push_main, {"push"},
                            {{"SBDEPLOY_PRODUCTION_DB_URL", w.target}, {"SBDEPLOY_STAGING_READ_URL", staging_reader}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 0);
        CHECK(run.outputs["promotion"] == "passed");
        CHECK(exists(w.target, "public.profiles"));
    }
    SUBCASE("the read-only URL wins over the write URL for the gate") {
        auto run = run_step(w.project, ++w.runs, "push", push_main, {"push"},
                            {{"SBDEPLOY_PRODUCTION_DB_URL", w.target},
                             {"SBDEPLOY_STAGING_READ_URL", staging_reader},
                             {"SBDEPLOY_STAGING_DB_URL", "postgresql://nobody:wrong@127.0.0.1:1/none"}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 0);
        CHECK(run.outputs["promotion"] == "passed");
    }
    SUBCASE("validate --shadow-db-url reads staging's history with the read-only URL") {
        w.project.migration("20250102000000_notes.sql", kNotesGood);
        auto run = w.validate("pull_request", pr_event("staging"), {"--shadow-db-url", w.shadow},
                              {{"SBDEPLOY_STAGING_DB_URL", w.target_via_proxy},
                               {"SBDEPLOY_STAGING_READ_URL", staging_reader}});
        INFO(describe(run));
        CHECK(run.result.exit_code == 0);
        CHECK(run.outputs["pending_count"] == "1");
        CHECK(w.proxy.accepted() == 0);  // the write URL is never used
    }
    query_column(staging, "drop owned by " + role + "; drop role " + role + "; select 1");
}
