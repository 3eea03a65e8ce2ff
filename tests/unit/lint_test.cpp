// The migration linter: the corpus in tests/fixtures/lint (each entry and its .expected
// findings, exactly as `sbdeploy lint` prints them), then the rule table, the controls
// (ignore comments, disabled rules, exposed schemas), file roles, positions and reports.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lint/config.hpp"
#include "lint/lint.hpp"
#include "lint/report.hpp"
#include "util/strings.hpp"

using namespace sbdeploy;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// What `sbdeploy lint` prints in a terminal for the findings: a line and its fix.
std::string render(const std::vector<lint::Finding>& findings) {
    std::string out;
    for (const auto& f : findings) out += lint::text_line(f) + "\n  fix: " + f.fix + "\n";
    return out;
}

// "line:column rule" of each finding of one file.
std::vector<std::string> found(std::string_view sql, const lint::Config& config = lint::default_config()) {
    std::vector<lint::SourceFile> files{lint::source_file("m.sql", sql, lint::Role::target)};
    std::vector<std::string> out;
    for (const auto& f : lint::lint(files, config))
        out.push_back(std::to_string(f.line) + ":" + std::to_string(f.column) + " " +
                      std::string(lint::info(f.rule).id));
    return out;
}

using Lines = std::vector<std::string>;

lint::Config config_without(std::vector<std::string> disabled) {
    lint::Config c;
    auto rules = lint::rule_set(disabled);
    REQUIRE(rules.has_value());
    c.rules = *rules;
    return c;
}

} // namespace

TEST_CASE("the corpus: every migration gives exactly its expected findings") {
    fs::path root = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "lint";
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory() || e.path().extension() == ".sql") entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    std::size_t sql_files = 0;
    std::set<std::string> rules_caught;
    for (const auto& entry : entries) {
        // A folder is one set of migrations in name order; *.applied.sql files are context
        // (already applied: read, never reported).
        std::vector<lint::SourceFile> files;
        if (fs::is_directory(entry)) {
            std::vector<fs::path> paths;
            for (const auto& f : fs::directory_iterator(entry)) paths.push_back(f.path());
            std::sort(paths.begin(), paths.end());
            for (const auto& p : paths) {
                auto name = p.filename().string();
                files.push_back(lint::source_file(name, slurp(p),
                                                  name.ends_with(".applied.sql") ? lint::Role::context
                                                                                 : lint::Role::target));
            }
            lint::check_file_names(files);  // as `sbdeploy lint` checks a migrations folder
        } else {
            files.push_back(lint::source_file(entry.filename().string(), slurp(entry), lint::Role::target));
        }
        sql_files += files.size();
        std::string stem = fs::is_directory(entry) ? entry.filename().string() : entry.stem().string();
        fs::path expected_path = root / (stem + ".expected");
        REQUIRE_MESSAGE(fs::exists(expected_path), "missing " << expected_path.string());
        auto findings = lint::lint(files, lint::default_config());
        for (const auto& f : findings) rules_caught.insert(std::string(lint::info(f.rule).id));
        INFO(stem);
        CHECK(render(findings) == slurp(expected_path));
    }
    CHECK(entries.size() >= 60);
    CHECK(sql_files >= 60);
    // Every rule is caught somewhere in the corpus.
    for (const auto& r : lint::rule_table()) CHECK_MESSAGE(rules_caught.contains(std::string(r.id)), r.id);
}

TEST_CASE("the rule table: unique kebab-case ids, each found by its id") {
    std::set<std::string_view> ids;
    for (const auto& r : lint::rule_table()) {
        CHECK(ids.insert(r.id).second);
        CHECK(std::all_of(r.id.begin(), r.id.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; }));
        CHECK(lint::find_rule(r.id) == r.rule);
        CHECK(&lint::info(r.rule) == &r);
        CHECK_FALSE(r.catches.empty());
        CHECK_FALSE(r.fix.empty());
    }
    CHECK(ids.size() == 24);
    CHECK_FALSE(lint::find_rule("RLS-MISSING").has_value());
    CHECK(lint::nearest_rule("drop-tabel") == "drop-table");
    CHECK(lint::nearest_rule("nothing-like-it") == "");
}

TEST_CASE("--lint-disable: ids, comma lists, all, and unknown ids") {
    SUBCASE("ids and comma-separated lists") {
        std::vector<std::string> v{"drop-table, truncate", "rename-column"};
        auto set = lint::rule_set(v);
        REQUIRE(set.has_value());
        for (const auto& r : lint::rule_table()) {
            bool off = r.id == "drop-table" || r.id == "truncate" || r.id == "rename-column";
            CHECK_MESSAGE(set->on(r.rule) == !off, r.id);
        }
    }
    SUBCASE("all") {
        std::vector<std::string> v{"all"};
        auto set = lint::rule_set(v);
        REQUIRE(set.has_value());
        for (const auto& r : lint::rule_table()) CHECK_FALSE(set->on(r.rule));
    }
    SUBCASE("an unknown id is a usage error that suggests the nearest") {
        std::vector<std::string> v{"drop-tabel"};
        auto set = lint::rule_set(v);
        REQUIRE_FALSE(set.has_value());
        CHECK(set.error().kind == ErrorKind::usage);
        CHECK(set.error().message == "--lint-disable: \"drop-tabel\" is not a lint rule");
        CHECK(set.error().hint == "did you mean \"drop-table\"?");
        std::vector<std::string> far{"xyz"};
        CHECK(lint::rule_set(far).error().hint == "see 'sbdeploy lint --help' for the rule ids");
    }
    SUBCASE("disabled rules report nothing") {
        std::string sql = "drop table public.a;\ntruncate public.b;\n";
        CHECK(found(sql) == Lines{"1:1 drop-table", "2:10 truncate"});
        CHECK(found(sql, config_without({"drop-table"})) == Lines{"2:10 truncate"});
        CHECK(found(sql, config_without({"all"})).empty());
    }
}

TEST_CASE("--lint-fail-on: which severities fail the check") {
    CHECK(lint::parse_fail_on("error") == lint::FailOn::error);
    CHECK(lint::parse_fail_on(" Warning ") == lint::FailOn::warning);
    CHECK(lint::parse_fail_on("never") == lint::FailOn::never);
    auto bad = lint::parse_fail_on("warn");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message == "--lint-fail-on: \"warn\" is not a severity");
    CHECK(bad.error().hint == "use error (the default), warning or never");
    CHECK(lint::fails(lint::Severity::error, lint::FailOn::error));
    CHECK_FALSE(lint::fails(lint::Severity::warning, lint::FailOn::error));
    CHECK(lint::fails(lint::Severity::warning, lint::FailOn::warning));
    CHECK(lint::fails(lint::Severity::error, lint::FailOn::warning));
    CHECK_FALSE(lint::fails(lint::Severity::error, lint::FailOn::never));
}

TEST_CASE("ignore comments: on the comment lines right above a statement") {
    SUBCASE("the line before") { CHECK(found("-- sbdeploy-lint-ignore: drop-table\ndrop table public.a;\n").empty()); }
    SUBCASE("several rules, then a reason with commas") {
        CHECK(found("-- sbdeploy-lint-ignore: drop-column,truncate   unused, checked in #12\n"
                    "alter table public.a drop column x;\n")
                  .empty());
        CHECK(found("-- sbdeploy-lint-ignore: drop-column, truncate -- unused, checked in #12\n"
                    "alter table public.a drop column x;\n")
                  .empty());
    }
    SUBCASE("a run of comment lines above the statement") {
        CHECK(
            found("-- sbdeploy-lint-ignore: drop-table\n-- the table went away in v2\ndrop table public.a;\n").empty());
    }
    SUBCASE("after the previous statement on its line") {
        CHECK(found("select 1; -- sbdeploy-lint-ignore: truncate\ntruncate public.a;\n").empty());
    }
    SUBCASE("CRLF line endings") {
        CHECK(found("-- sbdeploy-lint-ignore: truncate\r\ntruncate public.a;\r\n").empty());
    }
    SUBCASE("not across a blank line, not for the statement after next, not in a block comment") {
        CHECK(found("-- sbdeploy-lint-ignore: truncate\n\ntruncate public.a;\n") == Lines{"3:10 truncate"});
        CHECK(found("-- sbdeploy-lint-ignore: truncate\ntruncate public.a;\ntruncate public.b;\n") ==
              Lines{"3:10 truncate"});
        CHECK(found("/* sbdeploy-lint-ignore: truncate */\ntruncate public.a;\n") == Lines{"2:10 truncate"});
        CHECK(found("-- sbdeploy-lint-ignore truncate\ntruncate public.a;\n") == Lines{"2:10 truncate"});
    }
    SUBCASE("a rule that does not exist is a finding, at the id") {
        // "truncat" starts at column 29 of line 1.
        CHECK(found("--   sbdeploy-lint-ignore:  truncat\ntruncate public.a;\n") ==
              Lines{"1:29 unknown-ignore", "2:10 truncate"});
        CHECK(found("select 1;\n  -- sbdeploy-lint-ignore: truncate, drop-tabel\ntruncate public.a;\n") ==
              Lines{"2:38 unknown-ignore"});
    }
    SUBCASE("a finding reported for the whole set lands on its statement, and so does the ignore") {
        CHECK(found("-- sbdeploy-lint-ignore: rls-missing\ncreate table public.a (id int);\n").empty());
    }
}

TEST_CASE("exposed schemas: rls-missing follows the configured list") {
    std::string sql = "create table public.a (id int);\ncreate table api.b (id int);\n";
    CHECK(found(sql) == Lines{"1:1 rls-missing"});
    lint::Config c = lint::default_config();
    c.exposed_schemas = {"api"};
    CHECK(found(sql, c) == Lines{"2:1 rls-missing"});
}

TEST_CASE("file roles: context files are read, never reported") {
    auto run = [](std::vector<std::pair<std::string, lint::Role>> texts) {
        std::vector<lint::SourceFile> files;
        for (std::size_t i = 0; i < texts.size(); ++i)
            files.push_back(lint::source_file("f" + std::to_string(i + 1) + ".sql", texts[i].first, texts[i].second));
        Lines out;
        for (const auto& f : lint::lint(files, lint::default_config()))
            out.push_back(f.file + ":" + std::to_string(f.line) + " " + std::string(lint::info(f.rule).id));
        return out;
    };
    auto ctx = lint::Role::context;
    auto target = lint::Role::target;
    SUBCASE("a table created in an applied file exists: indexing it locks") {
        CHECK(run({{"create table public.t (a int);\n", ctx}, {"create index on public.t (a);\n", target}}) ==
              Lines{"f2.sql:1 index-not-concurrent"});
        CHECK(run({{"create table public.t (a int);\n", target}, {"create index on public.t (a);\n", target}}) ==
              Lines{"f1.sql:1 rls-missing"});
    }
    SUBCASE("row level security enabled in any file of the set counts") {
        CHECK(run({{"create table public.t (a int);\n", target},
                   {"alter table public.t enable row level security;\n", ctx}})
                  .empty());
        CHECK(run({{"alter table public.t enable row level security;\n", ctx},
                   {"create table public.t (a int);\n", target}}) == Lines{"f2.sql:1 rls-missing"});
    }
    SUBCASE("findings of context files are not reported") {
        CHECK(run({{"drop table public.a;\ncreate table public.b (id int);\ncommit;\nselect from;\n", ctx}}).empty());
    }
    SUBCASE("a definer function made safe by a later file") {
        std::string create = "create function public.f() returns int language sql security definer as 'select 1';\n";
        CHECK(run({{create, target}}) == Lines{"f1.sql:1 security-definer-search-path"});
        CHECK(run({{create, target}, {"alter function public.f() set search_path = '';\n", ctx}}).empty());
        CHECK(run({{create, target}, {"alter function public.f() reset search_path;\n", target}}) ==
              Lines{"f2.sql:1 security-definer-search-path"});
        CHECK(run({{create, target}, {"drop function public.f();\n", target}}).empty());
    }
}

TEST_CASE("column type changes: which keep the table and which rewrite it") {
    struct Case {
        const char* from;
        const char* to;
        bool rewrites;
    };
    const Case cases[] = {
        {"varchar(10)", "varchar(20)", false},
        {"varchar(20)", "varchar(10)", true},
        {"varchar(10)", "varchar", false},
        {"varchar(10)", "text", false},
        {"varchar", "varchar(10)", true},
        {"text", "varchar", false},
        {"text", "varchar(5)", true},
        {"numeric(10,2)", "numeric(11,2)", false},
        {"numeric(10,2)", "numeric", false},
        {"numeric(10,2)", "numeric(9,2)", true},
        {"numeric(10,2)", "numeric(12,3)", true},
        {"numeric", "numeric(10,2)", true},
        {"int", "bigint", true},
        {"int", "integer", false},
        {"cidr", "inet", false},
        {"inet", "cidr", true},
        {"text", "text[]", true},
        {"text[]", "text[]", false},
        {"varbit(3)", "varbit(4)", false},
        {"timestamp", "timestamptz", true},
    };
    for (const auto& c : cases) {
        // The table exists (an applied file, context); the pending file changes the column.
        std::string applied = "create table public.t (c " + std::string(c.from) +
                              ");\nalter table public.t enable row level security;\n";
        std::string pending = "alter table public.t alter column c type " + std::string(c.to) + ";\n";
        std::vector<lint::SourceFile> files{lint::source_file("old.sql", applied, lint::Role::context),
                                            lint::source_file("new.sql", pending, lint::Role::target)};
        auto findings = lint::lint(files, lint::default_config());
        INFO(std::string(c.from) << " -> " << c.to << ": " << render(findings));
        REQUIRE(findings.size() == (c.rewrites ? 1u : 0u));
        if (c.rewrites) CHECK(findings[0].rule == lint::Rule::column_type_rewrite);
    }
    SUBCASE("the message names both types") {
        std::vector<lint::SourceFile> files{
            lint::source_file("old.sql", "create table public.t (c int);\n", lint::Role::context),
            lint::source_file("new.sql", "alter table public.t alter column c type bigint;\n", lint::Role::target)};
        auto findings = lint::lint(files, lint::default_config());
        REQUIRE(findings.size() == 1);
        CHECK(findings[0].message ==
              "changing column \"c\" of existing table \"public.t\" from integer to bigint rewrites "
              "the table under an access exclusive lock");
    }
}

TEST_CASE("policies: what counts as always true, and for whom") {
    auto policy = [](const std::string& rest) { return found("create policy p on public.t " + rest + ";\n"); };
    const Lines hit{"1:1 policy-always-true"};
    CHECK(policy("for insert to anon with check (true)") == hit);
    CHECK(policy("for insert to anon with check ('yes'::bool)") == hit);
    CHECK(policy("for delete to authenticated using ('on'::boolean)") == hit);
    CHECK(policy("for update to public using (TRUE)") == hit);
    CHECK(policy("for all to anon, service_role using (true)") == hit);
    CHECK(policy("for insert to anon with check ('false'::boolean)").empty());
    CHECK(policy("for insert to anon with check (1 = 1)").empty());
    CHECK(policy("for select to anon using (true)").empty());
    CHECK(policy("for all to service_role, postgres using (true)").empty());
    CHECK(policy("as restrictive for all using (true)").empty());
    CHECK(found("create policy p on public.t for update to anon, authenticated using (true) with check (true);\n")
              .size() == 1);
    auto all = lint::lint(std::vector<lint::SourceFile>{lint::source_file(
                              "m.sql",
                              "create policy \"p\" on public.t for all to anon, authenticated, public using (true);\n",
                              lint::Role::target)},
                          lint::default_config());
    REQUIRE(all.size() == 1);
    CHECK(all[0].message ==
          "policy \"p\" on \"public.t\" lets \"anon\", \"authenticated\" and \"public\" read, insert, "
          "update and delete any row: using (true)");
    CHECK(all[0].fix ==
          "limit the rows, e.g. using (auth.uid() = user_id), or grant the policy to a narrower role; if "
          "the table is meant to be public, list it under [lint.public_policies] in supabase/sbdeploy.toml");
}

TEST_CASE("positions: lines and columns in the file, in characters") {
    SUBCASE("multibyte characters before the finding") {
        CHECK(found("select 'ünïcödé'; truncate public.a;\n") == Lines{"1:28 truncate"});
    }
    SUBCASE("leading comments and blank lines: the statement's first code line") {
        CHECK(found("select 1;\n\n-- a comment\n/* another */\n  drop table public.a;\n") == Lines{"5:3 drop-table"});
    }
    SUBCASE("a parse error at the token the parser stopped at") {
        CHECK(found("create table public.a (id int);\nalter table public.a enable row level security;\n"
                    "select 1 +;\n") == Lines{"3:11 parse-error"});
    }
    SUBCASE("a statement the splitter keeps whole (BEGIN ATOMIC) parses as one") {
        CHECK(found("create function public.one() returns int language sql begin atomic select 1; end;\n").empty());
    }
}

TEST_CASE("reports: text line, JSON, summary table, counts") {
    std::vector<lint::Finding> findings{
        {lint::Rule::rls_missing, lint::Severity::error, "supabase/migrations/1_a.sql", 3, 1,
         "table \"public.a|b\" is created", "alter table public.\"a|b\" enable row level security;"},
        {lint::Rule::truncate, lint::Severity::warning, "x.sql", 1, 10, "truncate *all*", "don't"},
    };
    CHECK(lint::text_line(findings[0]) ==
          "supabase/migrations/1_a.sql:3:1: error: table \"public.a|b\" is created [rls-missing]");
    CHECK(
        lint::findings_json(findings) ==
        R"([{"rule":"rls-missing","severity":"error","file":"supabase/migrations/1_a.sql","line":3,"column":1,)"
        R"("message":"table \"public.a|b\" is created","fix":"alter table public.\"a|b\" enable row level security;"},)"
        R"({"rule":"truncate","severity":"warning","file":"x.sql","line":1,"column":10,"message":"truncate *all*",)"
        R"("fix":"don't"}])");
    // Four columns (rule and severity in one cell), the file by its name with the full path as a
    // tooltip, errors before warnings whatever the order found.
    const std::vector<lint::Finding> warning_first{findings[1], findings[0]};
    CHECK(lint::summary_table(warning_first) ==
          "| Finding | Where | Problem | Fix |\n| --- | --- | --- | --- |\n"
          "| ❌ error `rls-missing` | <code title=\"supabase/migrations/1_a.sql\">1_a.sql</code> line 3 | "
          "table \"public.a\\|b\" is created | alter table public.\"a\\|b\" enable row level security; |\n"
          "| ⚠️ warning `truncate` | `x.sql` line 1 | truncate \\*all\\* | don't |\n");
    CHECK(lint::describe_counts(lint::count(findings)) == "1 error, 1 warning");
    CHECK(lint::describe_counts({}) == "no findings");
    CHECK(lint::describe_counts({0, 2}) == "0 errors, 2 warnings");
    rapidjson::Document doc;
    doc.Parse(lint::findings_json({}).c_str());
    CHECK(doc.IsArray());
}

TEST_CASE("sbdeploy.toml [lint]: rule levels, exposed schemas, public policies") {
    SUBCASE("every setting") {
        auto c = lint::parse_project_config(
            "[lint]\nexposed_schemas = [\"public\", \"API\"]\n\n"
            "[lint.rules]\nsecurity-definer-search-path = \"error\"\ndrop-table = \"off\"\n\n"
            "[lint.public_policies]\ncontact_messages = [\"insert\"]\n"
            "\"logs.errors\" = [\"insert\", \"select\"]\n",
            "supabase/sbdeploy.toml");
        REQUIRE(c.has_value());
        CHECK(c->exposed_schemas == std::vector<std::string>{"public", "api"});
        CHECK(c->levels.at(lint::Rule::security_definer_search_path) == lint::Level::error);
        CHECK(c->levels.at(lint::Rule::drop_table) == lint::Level::off);
        CHECK(c->public_policies.at("public.contact_messages") == std::vector<std::string>{"insert"});
        CHECK(c->public_policies.at("logs.errors") == std::vector<std::string>{"insert", "select"});
        lint::Config config = lint::default_config();
        lint::apply_project_config(*c, config);
        CHECK_FALSE(config.rules.on(lint::Rule::drop_table));
        CHECK(config.severity.at(lint::Rule::security_definer_search_path) == lint::Severity::error);
        CHECK(config.exposed_schemas == std::vector<std::string>{"public", "api"});
    }
    SUBCASE("no [lint] table: nothing changes") {
        auto c = lint::parse_project_config("[other]\nx = 1\n", "supabase/sbdeploy.toml");
        REQUIRE(c.has_value());
        CHECK_FALSE(c->exposed_schemas.has_value());
        CHECK(c->levels.empty());
    }
    SUBCASE("mistakes are config errors at their line, with the fix") {
        auto rule = lint::parse_project_config("[lint.rules]\nrls-mising = \"off\"\n", "supabase/sbdeploy.toml");
        REQUIRE_FALSE(rule.has_value());
        CHECK(rule.error().kind == ErrorKind::config);
        CHECK(rule.error().message == "[lint.rules] \"rls-mising\" is not a lint rule");
        CHECK(rule.error().file == "supabase/sbdeploy.toml");
        CHECK(rule.error().line == 2);
        CHECK(rule.error().hint == "did you mean \"rls-missing\"?");
        auto level = lint::parse_project_config("[lint.rules]\ndrop-table = \"warn\"\n", "supabase/sbdeploy.toml");
        REQUIRE_FALSE(level.has_value());
        CHECK(level.error().message == "[lint.rules] drop-table must be \"error\", \"warning\" or \"off\"");
        auto command =
            lint::parse_project_config("[lint.public_policies]\nforms = [\"write\"]\n", "supabase/sbdeploy.toml");
        REQUIRE_FALSE(command.has_value());
        CHECK(command.error().message == "[lint.public_policies] \"forms\" must be a list of "
                                         "commands (\"insert\", \"select\", \"update\", \"delete\", \"all\")");
        auto key = lint::parse_project_config("[lint]\nexposed = [\"public\"]\n", "supabase/sbdeploy.toml");
        REQUIRE_FALSE(key.has_value());
        CHECK(key.error().message == "[lint] \"exposed\" is not a setting (exposed_schemas, "
                                     "[lint.rules], [lint.public_policies])");
        auto toml = lint::parse_project_config("[lint\n", "supabase/sbdeploy.toml");
        REQUIRE_FALSE(toml.has_value());
        CHECK(toml.error().line == 1);
    }
}

TEST_CASE("rule levels and public policies change what the set reports") {
    const std::string sql =
        "create table public.contact (id int, body text);\n"
        "alter table public.contact enable row level security;\n"
        "create policy \"send\" on public.contact for insert to anon, authenticated with check (true);\n"
        "create function public.f() returns int language sql security definer as "
        "'select count(*)::int from public.contact';\n";
    lint::Config config = lint::default_config();
    std::vector<lint::SourceFile> files{lint::source_file("m.sql", sql, lint::Role::target)};
    auto severities = [&] {
        std::vector<std::string> out;
        for (const auto& f : lint::lint(files, config))
            out.push_back(std::string(lint::info(f.rule).id) + " " + std::string(lint::severity_name(f.severity)));
        return out;
    };
    CHECK(severities() == Lines{"policy-always-true error", "security-definer-search-path warning"});
    config.severity[lint::Rule::security_definer_search_path] = lint::Severity::error;
    config.public_policies["public.contact"] = {"insert"};
    CHECK(severities() == Lines{"security-definer-search-path error"});
    config.public_policies["public.contact"] = {"select"};
    CHECK(severities() == Lines{"policy-always-true error", "security-definer-search-path error"});
}

TEST_CASE("policy-always-true: only where the API reaches the table") {
    const std::string sql = "create policy p on api.t for update to authenticated using (true);\n"
                            "create policy p on storage.objects for delete to anon using (true);\n";
    CHECK(found(sql) == Lines{"2:1 policy-always-true"});
    lint::Config c = lint::default_config();
    c.exposed_schemas = {"api"};
    CHECK(found(sql, c) == Lines{"1:1 policy-always-true", "2:1 policy-always-true"});
    SUBCASE("an ALTER POLICY that limits the rows later in the set") {
        CHECK(found("create policy p on public.t for update to authenticated using (true);\n"
                    "alter policy p on public.t using (auth.uid() = owner);\n")
                  .empty());
    }
    SUBCASE("a dropped table takes its policies along") {
        CHECK(found("create policy p on public.t for delete to anon using (true);\ndrop table public.t;\n") ==
              Lines{"2:1 drop-table"});
    }
}

TEST_CASE("column type changes: PostgreSQL 15's binary-coercible casts keep the table") {
    struct Case {
        const char* from;
        const char* to;
        const char* using_expr;
        bool rewrites;
    };
    const Case cases[] = {
        {"xml", "text", nullptr, false},
        {"text", "xml", nullptr, true},
        {"int", "oid", nullptr, false},
        {"oid", "integer", nullptr, false},
        {"bit(3)", "varbit", nullptr, false},
        {"varbit", "bit(3)", nullptr, true},
        {"varchar(10)", "char(10)", nullptr, true},
        {"text", "text", "c", false},
        {"text", "text", "c::text", false},
        {"text", "text", "upper(c)", true},
        {"varchar(5)", "text", "c::text", false},
        {"text", "varchar(5)", "c::varchar(5)", true},
        {"status", "public.status", "c::public.status", false},
        {"status", "private.status", nullptr, true},
        {"text", "status", "c::status", true},
        {"int", "bigint", "c::bigint", true},
    };
    for (const auto& c : cases) {
        std::string applied = "create table public.t (c " + std::string(c.from) + ");\n";
        std::string pending = "alter table public.t alter column c type " + std::string(c.to) +
                              (c.using_expr ? " using " + std::string(c.using_expr) : std::string()) + ";\n";
        std::vector<lint::SourceFile> files{lint::source_file("old.sql", applied, lint::Role::context),
                                            lint::source_file("new.sql", pending, lint::Role::target)};
        auto findings = lint::lint(files, lint::default_config());
        INFO(pending << render(findings));
        CHECK(findings.size() == (c.rewrites ? 1u : 0u));
    }
}

TEST_CASE("file names: what the Supabase CLI skips or fails on is a finding, and the file is still linted") {
    std::vector<lint::SourceFile> files{
        lint::source_file("supabase/migrations/20240101000000_a.sql", "select 1;\n", lint::Role::target),
        lint::source_file("supabase/migrations/20240101000000_b.sql", "select 1;\n", lint::Role::target),
        lint::source_file("supabase/migrations/2026-01-26_triage.sql", "truncate public.x;\n", lint::Role::target),
    };
    lint::check_file_names(files);
    auto findings = lint::lint(files, lint::default_config());
    CHECK(
        render(findings) ==
        "supabase/migrations/20240101000000_b.sql:1:1: error: version \"20240101000000\" is also the version of "
        "\"20240101000000_a.sql\": push refuses both, and the Supabase CLI applies the first and fails on this one "
        "[duplicate-version]\n  fix: give this file a new version: a timestamp after the newest migration's\n"
        "supabase/migrations/2026-01-26_triage.sql:1:1: error: \"2026-01-26_triage.sql\" is not a migration name (its "
        "version is a date written with dashes, and a version is digits only): the Supabase CLI and push skip the "
        "file, so its SQL never runs [file-name]\n  fix: rename it to \"20260126000000_triage.sql\"\n"
        "supabase/migrations/2026-01-26_triage.sql:1:10: warning: truncate deletes every row of existing table "
        "\"public.x\" [truncate]\n  fix: delete only the rows you mean (delete ... where ...), and keep one-off data "
        "fixes out of schema migrations\n");
}

TEST_CASE("realistic projects: their last three migrations as a pull request fail only where there is a real risk") {
    // tests/fixtures/lint-projects/<nn>_<what>_fails|passes/supabase/migrations: modelled on public
    // Supabase projects (SaaS starters, db diff and drizzle output, Lovable-style names). The
    // last three files (in name order) are the pull request, the others are applied; `expected`
    // holds the findings exactly, and a project fails the default check (--lint-fail-on error)
    // exactly when its name says so.
    fs::path root = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "lint-projects";
    std::vector<fs::path> projects;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory()) projects.push_back(e.path());
    std::sort(projects.begin(), projects.end());
    CHECK(projects.size() >= 20);
    std::size_t failing = 0;
    for (const auto& project : projects) {
        std::vector<fs::path> paths;
        for (const auto& f : fs::directory_iterator(project / "supabase" / "migrations")) paths.push_back(f.path());
        std::sort(paths.begin(), paths.end());
        std::vector<lint::SourceFile> files;
        for (std::size_t i = 0; i < paths.size(); ++i)
            files.push_back(lint::source_file("supabase/migrations/" + paths[i].filename().string(), slurp(paths[i]),
                                              i + 3 >= paths.size() ? lint::Role::target : lint::Role::context));
        lint::check_file_names(files);
        auto findings = lint::lint(files, lint::default_config());
        std::string name = project.filename().string();
        INFO(name);
        CHECK(render(findings) == slurp(project / "expected"));
        bool fails = std::any_of(findings.begin(), findings.end(),
                                 [](const auto& f) { return lint::fails(f.severity, lint::FailOn::error); });
        CHECK(fails == name.ends_with("_fails"));
        failing += fails ? 1 : 0;
    }
    CHECK(failing == 7);
}
