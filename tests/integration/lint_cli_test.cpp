// The migration safety lint as a workflow meets it, with the built binary against the real
// PostgreSQL of the fixture: validate on a pull request (annotations on the line, outputs,
// step summary, --json, the controls), and `sbdeploy lint` itself (which files, exit codes,
// --help and README true to the rule table).
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

#include "lint/rules.hpp"
#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/workflow_step.hpp"
#include "util/strings.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

using Run = StepRun;

std::string pr_payload(const std::string& head_repo) {
    return R"({"action": "opened", "number": 7, "pull_request": {"number": 7, "merged": false,
              "head": {"ref": "feature/notes", "sha": "3333333333333333333333333333333333333333",
                       "repo": {"full_name": ")" +
           head_repo + R"("}},
              "base": {"ref": "staging", "sha": "4444444444444444444444444444444444444444",
                       "repo": {"full_name": "acme/app"}}},
              "repository": {"full_name": "acme/app"}})";
}

// A project whose first migration is applied to a fresh staging database; a pull request's
// validate runs as a workflow step does (GITHUB_* variables, the payload, outputs, summary).
struct PullRequest {
    TempProject project;
    std::string url = fresh_database("lint_pr");
    int runs = 0;

    PullRequest() {
        project.migration("20240101000001_profiles.sql",
                          "create table public.profiles (id uuid primary key, username text);\n"
                          "alter table public.profiles enable row level security;\n");
        auto pushed = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
        REQUIRE_MESSAGE(pushed.exit_code == 0, pushed.err);
    }

    // fork: from another repository, without the database's secret (as GitHub runs it).
    Run validate(std::vector<std::string> args = {}, bool fork = false) {
        args.insert(args.begin(), "validate");
        // A fork's run has no database secret (an empty value leaves the variable out).
        return run_step(project, ++runs, "pull_request", pr_payload(fork ? "someone/app" : "acme/app"), args,
                        {{"SBDEPLOY_STAGING_DB_URL", fork ? "" : url}});
    }
};

// The pull request's migration: a public table without row level security, its CREATE
// TABLE on line 4 (after comments and a blank line), an index on it (new: no finding).
constexpr const char* kNotes = "-- Notes, one row per note.\n"
                               "-- Written by the app's editor.\n"
                               "\n"
                               "create table public.notes (\n"
                               "  id bigint generated always as identity primary key,\n"
                               "  profile_id uuid references public.profiles (id),\n"
                               "  body text not null\n"
                               ");\n"
                               "create index notes_profile_id_idx on public.notes (profile_id);\n";

const std::string kNotesFile = "supabase/migrations/20240102000001_notes.sql";

constexpr const char* kRlsMessage =
    "table \"public.notes\" is created in exposed schema \"public\" without row level security: anyone with the "
    "project's anon key can read and change every row";
constexpr const char* kRlsFix = "alter table public.notes enable row level security; then add policies for the roles "
                                "that need access";

std::string annotation(const std::string& level, const std::string& rule, const std::string& file, int line, int column,
                       const std::string& message, const std::string& fix) {
    return "::" + level + " title=sbdeploy lint%3A " + rule + ",file=" + file + ",line=" + std::to_string(line) +
           ",col=" + std::to_string(column) + "::" + message + "%0Afix: " + fix + "\n";
}

} // namespace

TEST_CASE(
    "lint in validate: a pull request adding a public table without RLS fails, annotated on its CREATE TABLE line") {
    PullRequest pr;
    pr.project.migration("20240102000001_notes.sql", kNotes);
    const auto schema = schema_dump(pr.url);
    const auto history = history_rows(pr.url);

    auto r = pr.validate();
    INFO(describe(r));
    CHECK(r.result.exit_code == 1);
    // One annotation, an error on line 4 (the CREATE TABLE), with the fix.
    CHECK(r.result.err == annotation("error", "rls-missing", kNotesFile, 4, 1, kRlsMessage, kRlsFix));
    // The dry run ran and passed: validation fails on the lint finding alone.
    CHECK(r.result.out.find("ok      20240102000001_notes.sql\n") != std::string::npos);
    CHECK(r.result.out.find("Linting the 1 pending migration of staging\n") != std::string::npos);
    CHECK(r.result.out.find("Lint of 1 file: 1 error, 0 warnings; fails with --lint-fail-on error\n") !=
          std::string::npos);
    CHECK(r.result.out.find("Validation fails on the lint findings above\n") != std::string::npos);
    // Outputs.
    CHECK(r.outputs["valid"] == "false");
    CHECK(r.outputs["failed_count"] == "0");
    CHECK(r.outputs["lint_errors"] == "1");
    CHECK(r.outputs["lint_warnings"] == "0");
    rapidjson::Document findings;
    findings.Parse(r.outputs["lint_findings"].c_str());
    REQUIRE(findings.IsArray());
    REQUIRE(findings.Size() == 1);
    CHECK(std::string(findings[0]["rule"].GetString()) == "rls-missing");
    CHECK(std::string(findings[0]["severity"].GetString()) == "error");
    CHECK(std::string(findings[0]["file"].GetString()) == kNotesFile);
    CHECK(findings[0]["line"].GetInt() == 4);
    CHECK(findings[0]["column"].GetInt() == 1);
    CHECK(std::string(findings[0]["message"].GetString()) == kRlsMessage);
    CHECK(std::string(findings[0]["fix"].GetString()) == kRlsFix);
    // The step summary: the dry run's table, then the lint table with the finding's place.
    CHECK(r.summary.starts_with("❌ **validate against staging**: 1 file passed the dry run; lint failed: 1 error, 0 "
                                "warnings\n\n"));
    CHECK(r.summary.find("| 20240102000001 | notes | ✅ ok |\n") != std::string::npos);
    // Four columns that fit 1,000 px: the rule with its severity, the file by its name (the
    // path a tooltip), the finding, the fix.
    CHECK(r.summary.find("#### Lint: the 1 pending migration of staging\n\n❌ 1 error, 0 warnings; fails with "
                         "`--lint-fail-on error`.\n\n| Finding | Where | Problem | Fix |\n| --- | --- | --- | --- |\n"
                         "| ❌ error `rls-missing` | <code title=\"supabase/migrations/20240102000001_notes.sql\">"
                         "20240102000001_notes.sql</code> line 4 |") != std::string::npos);

    // The same pull request with each control; validate changes nothing, so one database serves all.
    {  // --json: the lint object next to the verdicts
        auto j = pr.validate({"--json"});
        INFO(describe(j));
        CHECK(j.result.exit_code == 1);
        rapidjson::Document doc;
        doc.Parse(j.result.out.c_str());
        REQUIRE_FALSE(doc.HasParseError());
        CHECK_FALSE(doc["valid"].GetBool());
        CHECK(doc["pending_count"].GetInt() == 1);
        const auto& lint = doc["lint"];
        CHECK(std::string(lint["scope"].GetString()) == "pending");
        CHECK(lint["errors"].GetInt() == 1);
        CHECK(lint["warnings"].GetInt() == 0);
        CHECK(lint["failed"].GetBool());
        REQUIRE(lint["files"].Size() == 1);
        CHECK(std::string(lint["files"][0].GetString()) == kNotesFile);
        REQUIRE(lint["findings"].Size() == 1);
        CHECK(std::string(lint["findings"][0]["rule"].GetString()) == "rls-missing");
        CHECK(lint["findings"][0]["line"].GetInt() == 4);
    }
    {  // --lint-fail-on never: annotated as a warning (no ::error for a check that passes), validation passes
        auto ok = pr.validate({"--lint-fail-on", "never"});
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.result.err == annotation("warning", "rls-missing", kNotesFile, 4, 1, kRlsMessage, kRlsFix));
        CHECK(ok.outputs["valid"] == "true");
        CHECK(ok.outputs["lint_errors"] == "1");
        CHECK(ok.summary.starts_with("⚠️ **validate against staging**: 1 file passed; lint: 1 error, 0 warnings\n"));
        CHECK(ok.summary.find("1 error, 0 warnings; passes with `--lint-fail-on never`.\n") != std::string::npos);
    }
    {  // --lint-disable rls-missing: no finding
        auto ok = pr.validate({"--lint-disable", "rls-missing"});
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.result.err.empty());
        CHECK(ok.outputs["lint_errors"] == "0");
    }
    {  // a fork pull request without secrets: the offline checks lint every file
        auto offline = pr.validate({}, true);
        INFO(describe(offline));
        CHECK(offline.result.exit_code == 1);
        CHECK(offline.result.err == annotation("error", "rls-missing", kNotesFile, 4, 1, kRlsMessage, kRlsFix));
        CHECK(offline.outputs["offline"] == "true");
        CHECK(offline.outputs["valid"] == "false");
        CHECK(offline.outputs["lint_errors"] == "1");
        CHECK(offline.outputs["lint_findings"].find("\"line\":4") != std::string::npos);
        CHECK(offline.summary.starts_with(
            "❌ **validate against staging (offline)**: 2 files checked offline; lint failed: "
            "1 error, 0 warnings\n"));
        CHECK(offline.summary.find("| ❌ error `rls-missing` | <code title=\"" + kNotesFile +
                                   "\">20240102000001_notes.sql</code> line 4 |") != std::string::npos);
    }
    {  // a bad --lint-fail-on is a usage error before anything runs
        auto bad = pr.validate({"--lint-fail-on", "warn"});
        INFO(describe(bad));
        CHECK(bad.result.exit_code == 2);
        CHECK(bad.result.err == "::error::--lint-fail-on: \"warn\" is not a severity%0Ahint: use error (the default), "
                                "warning or never\n");
        CHECK(bad.result.out.find("Dry run") == std::string::npos);
    }
    {  // row level security enabled by a later pending file passes
        pr.project.migration("20240102000002_notes_rls.sql", "alter table notes enable row level security;\n");
        auto ok = pr.validate();
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.outputs["valid"] == "true");
        CHECK(ok.result.out.find("Linting the 2 pending migrations of staging\n") != std::string::npos);
        pr.project.remove_migration("20240102000002_notes_rls.sql");
    }
    {  // an ignore comment on the line above the statement passes
        pr.project.migration("20240102000001_notes.sql",
                             std::string("-- sbdeploy-lint-ignore: rls-missing (served by an edge function only)\n") +
                                 std::string(kNotes).substr(std::string(kNotes).find("create table")));
        auto ok = pr.validate();
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.outputs["lint_errors"] == "0");
    }
    {  // row level security enabled in the same file passes
        pr.project.migration("20240102000001_notes.sql",
                             std::string(kNotes) + "alter table public.notes enable row level security;\n");
        auto ok = pr.validate();
        INFO(describe(ok));
        CHECK(ok.result.exit_code == 0);
        CHECK(ok.result.err.empty());
        CHECK(ok.outputs["valid"] == "true");
        CHECK(ok.outputs["lint_errors"] == "0");
        CHECK(ok.outputs["lint_findings"] == "[]");
        CHECK(ok.summary.find("#### Lint: the 1 pending migration of staging\n\n✅ No findings.\n") !=
              std::string::npos);
    }
    // Nothing of any run changed the database.
    CHECK(schema_dump(pr.url) == schema);
    CHECK(history_rows(pr.url) == history);
}

TEST_CASE("lint in validate: warnings are annotated on their line and fail only with --lint-fail-on warning") {
    PullRequest pr;
    // An index on a table that existed before the pull request, on line 2.
    pr.project.migration(
        "20240102000001_index.sql",
        "-- Look profiles up by name.\ncreate index profiles_username_idx on public.profiles (username);\n");
    const std::string file = "supabase/migrations/20240102000001_index.sql";
    const std::string message =
        "create index on existing table \"public.profiles\" without concurrently blocks writes to "
        "the table until the index is built";
    const std::string fix =
        "use create index concurrently, in a migration file of its own (it cannot run in a transaction)";

    auto r = pr.validate();
    INFO(describe(r));
    CHECK(r.result.exit_code == 0);
    CHECK(r.result.err == annotation("warning", "index-not-concurrent", file, 2, 1, message, fix));
    CHECK(r.outputs["valid"] == "true");
    CHECK(r.outputs["lint_warnings"] == "1");
    CHECK(r.summary.find("| ⚠️ warning `index-not-concurrent` | <code title=\"" + file +
                         "\">20240102000001_index.sql</code> line 2 |") != std::string::npos);

    auto strict = pr.validate({"--lint-fail-on", "warning"});
    INFO(describe(strict));
    CHECK(strict.result.exit_code == 1);
    // The warning fails the check, so its annotation is an error.
    CHECK(strict.result.err == annotation("error", "index-not-concurrent", file, 2, 1, message, fix));
    CHECK(strict.outputs["valid"] == "false");
    CHECK(strict.summary.find("❌ 0 errors, 1 warning; fails with `--lint-fail-on warning`.") != std::string::npos);
}

TEST_CASE("lint in validate: only the pending files are reported, the applied ones are context") {
    PullRequest pr;
    // Applied before linting existed: a public table without row level security.
    pr.project.migration("20240101000002_legacy.sql", "create table public.legacy (id int);\n");
    REQUIRE(run_sbdeploy({"push", "--db-url", pr.url, "--workdir", pr.project.root().string()}).exit_code == 0);
    // Pending: changes to tables the applied files created.
    pr.project.migration("20240102000001_columns.sql",
                         "alter table public.legacy add column note text;\n"
                         "alter table public.profiles rename column username to handle;\n");
    auto r = pr.validate();
    INFO(describe(r));
    CHECK(r.result.exit_code == 0);
    CHECK(r.result.err == annotation("warning", "rename-column", "supabase/migrations/20240102000001_columns.sql", 2, 1,
                                     "renaming column \"username\" of table \"public.profiles\" to \"handle\" breaks "
                                     "clients that still use the old name",
                                     "add the new column, write both, move readers over, then drop the old one in a "
                                     "later release"));
    CHECK(r.outputs["lint_errors"] == "0");
    CHECK(r.outputs["lint_warnings"] == "1");
}

TEST_CASE("sbdeploy lint: which files, the report, exit codes") {
    TempProject project;
    project.migration("20240101000001_profiles.sql",
                      "create table public.profiles (id uuid primary key, username text);\n"
                      "alter table public.profiles enable row level security;\n");
    project.migration("20240102000001_notes.sql", kNotes);
    const std::vector<std::string> base{"lint", "--workdir", project.root().string()};
    auto lint = [&](std::vector<std::string> args, Env env = {}) {
        std::vector<std::string> full = base;
        full.insert(full.end(), args.begin(), args.end());
        return run_sbdeploy(full, env);
    };
    const std::string finding = kNotesFile + ":4:1: error: " + kRlsMessage + " [rls-missing]\n  fix: " + kRlsFix + "\n";

    SUBCASE("without a database: every file of the folder") {
        auto r = lint({});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.out == "Linting all 2 migration files (no target database configured)\n" + finding +
                           "Lint of 2 files: 1 error, 0 warnings; fails with --lint-fail-on error\n");
        CHECK(r.err.empty());
    }
    SUBCASE("with a database: the pending files only") {
        const std::string url = fresh_database("lint_cli");
        auto pushed = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
        REQUIRE_MESSAGE(pushed.exit_code == 0, pushed.err);
        project.migration("20240103000001_drop.sql", "drop table public.notes;\n");
        auto r = lint({"--db-url", url});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out ==
              "Linting the 1 pending migration of the target database\n"
              "supabase/migrations/20240103000001_drop.sql:1:1: warning: dropping table \"public.notes\" breaks "
              "clients that still use it, and its data is gone [drop-table]\n"
              "  fix: stop using the table in deployed code first, then drop it in a later release\n"
              "Lint of 1 file: 0 errors, 1 warning; passes with --lint-fail-on error\n");
    }
    SUBCASE("files given: only they are reported, the folder is context") {
        project.file("extra/fix.sql", "alter table public.notes enable row level security;\n");
        auto r = lint({project.path("supabase/migrations/20240102000001_notes.sql")});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.out.starts_with("Linting 1 file given\n"));
        // A file outside the folder is read after the folder's: its RLS counts for the table.
        auto both = lint({project.path("supabase/migrations/20240102000001_notes.sql"), project.path("extra/fix.sql")});
        INFO(both.out << both.err);
        CHECK(both.exit_code == 0);
        CHECK(both.out == "Linting 2 files given\nLint of 2 files: no findings\n");
    }
    SUBCASE("--json: one object on stdout, the progress on stderr") {
        auto r = lint({"--json"});
        CHECK(r.exit_code == 1);
        rapidjson::Document doc;
        doc.Parse(r.out.c_str());
        REQUIRE_FALSE(doc.HasParseError());
        CHECK(std::string(doc["scope"].GetString()) == "all");
        CHECK(doc["files"].Size() == 2);
        CHECK(doc["errors"].GetInt() == 1);
        CHECK(doc["failed"].GetBool());
        CHECK(doc["findings"][0]["line"].GetInt() == 4);
        CHECK(r.err.find("[rls-missing]") != std::string::npos);
    }
    SUBCASE("step outputs and summary under Actions") {
        project.file("out", "");
        project.file("summary", "");
        Env env{{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", project.path("out")},
                {"GITHUB_STEP_SUMMARY", project.path("summary")}};
        auto r = lint({}, env);
        CHECK(r.exit_code == 1);
        CHECK(r.err == annotation("error", "rls-missing", kNotesFile, 4, 1, kRlsMessage, kRlsFix));
        std::map<std::string, std::string> out;
        for (auto& [name, value] : parse_file_commands(slurp(project.path("out")))) out[name] = value;
        CHECK(out["errors"] == "1");
        CHECK(out["warnings"] == "0");
        CHECK(out["passed"] == "false");
        CHECK(out["files"] == "[\"supabase/migrations/20240101000001_profiles.sql\",\"" + kNotesFile + "\"]");
        CHECK(out["findings"].find("\"line\":4") != std::string::npos);
        CHECK(slurp(project.path("summary"))
                  .starts_with("❌ **lint**: 1 error, 0 warnings in 2 files\n\nLinted all 2 "
                               "migration files"));

        // With --lint-fail-on never the same finding passes: a warning annotation, no ::error.
        auto never = lint({"--lint-fail-on", "never"}, env);
        CHECK(never.exit_code == 0);
        CHECK(never.err == annotation("warning", "rls-missing", kNotesFile, 4, 1, kRlsMessage, kRlsFix));
    }
    SUBCASE("usage errors: exit 2 with the fix") {
        auto bad = lint({"--lint-disable", "rls-mising"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err == "sbdeploy: error: --lint-disable: \"rls-mising\" is not a lint rule\nhint: did you mean "
                         "\"rls-missing\"?\n");
        auto missing = lint({project.path("nope.sql")});
        CHECK(missing.exit_code == 2);
        CHECK(missing.err ==
              "sbdeploy: error: " + project.path("nope.sql") +
                  ": cannot be read: No such file or directory\nhint: check the path and the file's permissions\n");
    }
    SUBCASE("disabled rules and --lint-fail-on") {
        CHECK(lint({"--lint-disable", "rls-missing"}).exit_code == 0);
        CHECK(lint({"--lint-fail-on", "never"}).exit_code == 0);
        CHECK(lint({}, Env{{"SBDEPLOY_LINT_FAIL_ON", "never"}}).exit_code == 0);
    }
}

TEST_CASE("sbdeploy lint --help and README: every rule, with its severity, as the rule table says") {
    auto help = run_sbdeploy({"lint", "--help"});
    CHECK(help.exit_code == 0);
    for (auto sev : {sbdeploy::lint::Severity::error, sbdeploy::lint::Severity::warning}) {
        // "Rules, errors: a, b, ...; warnings: c, d, ..." lists each rule under its severity.
        std::string list;
        for (const auto& r : sbdeploy::lint::rule_table())
            if (r.severity == sev) list += (list.empty() ? "" : ", ") + std::string(r.id);
        std::string flat;
        for (char c : help.out) flat += c == '\n' ? ' ' : c;
        std::string head = sev == sbdeploy::lint::Severity::error ? "errors: " : "warnings: ";
        const std::string wanted = head + list;
        CHECK_MESSAGE(flat.find(wanted) != std::string::npos, wanted);
    }
    for (const char* option : {"--lint-disable", "--lint-fail-on", "--lint-exposed-schemas", "--json"})
        CHECK_MESSAGE(help.out.find(option) != std::string::npos, option);

    std::string readme = slurp(std::string(SBDEPLOY_SOURCE_DIR) + "/README.md");
    for (const auto& r : sbdeploy::lint::rule_table()) {
        const std::string row = "| `" + std::string(r.id) + "` | " +
                                std::string(sbdeploy::lint::severity_name(r.severity)) + " |";
        CHECK_MESSAGE(readme.find(row) != std::string::npos, row);
    }
}

TEST_CASE("sbdeploy lint: the project's supabase/sbdeploy.toml and config.toml [api] schemas") {
    TempProject project;
    // A contact form (anyone inserts, nobody reads) and a definer function with qualified names.
    project.migration("20240101000001_contact.sql",
                      "create table public.contact (id bigint primary key, body text);\n"
                      "alter table public.contact enable row level security;\n"
                      "create policy \"send\" on public.contact for insert to anon, authenticated with check (true);\n"
                      "create table api.jobs (id bigint primary key);\n");
    const std::vector<std::string> base{"lint", "--workdir", project.root().string()};
    auto lint = [&](std::vector<std::string> args = {}) {
        std::vector<std::string> full = base;
        full.insert(full.end(), args.begin(), args.end());
        return run_sbdeploy(full);
    };
    const std::string file = "supabase/migrations/20240101000001_contact.sql";
    const std::string policy = file + ":3:1: error: policy \"send\" on \"public.contact\" lets \"anon\" and "
                                      "\"authenticated\" insert any row: with check (true) [policy-always-true]\n";
    const std::string jobs = file + ":4:1: error: table \"api.jobs\" is created in exposed schema \"api\" without row "
                                    "level security: anyone with the project's anon key can read and change every row "
                                    "[rls-missing]\n";
    auto body = [](const std::string& out) {  // the finding lines, without their fixes
        std::string lines;
        for (const auto& l : sbdeploy::util::split(out, '\n'))
            if (l.starts_with("supabase/")) lines += l + "\n";
        return lines;
    };

    auto plain = lint();
    INFO(plain.out << plain.err);
    CHECK(plain.exit_code == 1);
    CHECK(body(plain.out) == policy);

    // config.toml exposes api too: its table without row level security is found.
    project.file("supabase/config.toml", "[api]\nschemas = [\"public\", \"api\"]\n");
    auto exposed = lint();
    INFO(exposed.out << exposed.err);
    CHECK(body(exposed.out) == policy + jobs);
    // The flag wins over config.toml.
    CHECK(body(lint({"--lint-exposed-schemas", "public"}).out) == policy);

    // sbdeploy.toml: the contact form is meant to be public; rls-missing only warns here.
    project.file("supabase/sbdeploy.toml", "[lint]\nexposed_schemas = [\"public\", \"api\"]\n\n"
                                           "[lint.rules]\nrls-missing = \"warning\"\n\n"
                                           "[lint.public_policies]\n\"public.contact\" = [\"insert\"]\n");
    auto configured = lint();
    INFO(configured.out << configured.err);
    CHECK(configured.exit_code == 0);
    CHECK(body(configured.out) == sbdeploy::util::replace_all(jobs, ": error: ", ": warning: "));

    // A mistake in it is a configuration error (exit 2) at its line.
    project.file("supabase/sbdeploy.toml", "[lint.rules]\nrls-missing = \"warn\"\n");
    auto bad = lint();
    CHECK(bad.exit_code == 2);
    CHECK(bad.err == "sbdeploy: error: supabase/sbdeploy.toml:2: [lint.rules] rls-missing must be \"error\", "
                     "\"warning\" or \"off\"\nhint: see the README's \"Lint configuration\" for the [lint] table of "
                     "supabase/sbdeploy.toml\n");
}

TEST_CASE("sbdeploy lint: a misnamed file and a duplicate version are findings, and every file is still linted") {
    TempProject project;
    project.migration("20240101000001_a.sql",
                      "create table public.a (id int);\nalter table public.a enable row level security;\n");
    project.migration("20240101000001_b.sql", "truncate public.a;\n");
    project.migration("2026-01-26_triage.sql", "create table public.t (id int);\n");
    auto r = run_sbdeploy({"lint", "--workdir", project.root().string()});
    INFO(r.out << r.err);
    // Today's push refuses this folder (exit 2); lint reports what is wrong and lints on.
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("supabase/migrations/20240101000001_b.sql:1:1: error: version \"20240101000001\" is also the "
                     "version of \"20240101000001_a.sql\"") != std::string::npos);
    CHECK(r.out.find("supabase/migrations/2026-01-26_triage.sql:1:1: error: \"2026-01-26_triage.sql\" is not a "
                     "migration name") != std::string::npos);
    CHECK(r.out.find("  fix: rename it to \"20260126000000_triage.sql\"\n") != std::string::npos);
    CHECK(r.out.find("supabase/migrations/2026-01-26_triage.sql:1:1: error: table \"public.t\" is created") !=
          std::string::npos);
    CHECK(r.out.find("[truncate]") == std::string::npos);  // public.a is new in this set
    CHECK(r.out.find("Lint of 3 files: 3 errors, 0 warnings; fails with --lint-fail-on error\n") != std::string::npos);
}
