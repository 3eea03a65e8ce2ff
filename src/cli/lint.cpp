// The lint checks as `sbdeploy lint` and validate run them (settings, printing, the report's
// section), and the `sbdeploy lint` command: its summary opens with the outcome ("❌ **lint**:
// 1 error, 2 warnings in 3 files"), then the findings table, errors first.
#include "cli/lint.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/lint_files.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "lint/config.hpp"
#include "lint/report.hpp"
#include "migrations/config_toml.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace fs = std::filesystem;
namespace md = github::md;

namespace {

struct LintSettings {
    lint::Config config;
    lint::FailOn fail_on = lint::FailOn::error;
    std::string fail_on_text = "error";
};

// The exposed schemas and rule levels: supabase/config.toml's [api] schemas, then the
// project's supabase/sbdeploy.toml [lint], then the flags.
Result<void> project_settings(const Context& ctx, lint::Config& config) {
    std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    auto supabase = migrations::load_supabase_config(workdir);
    if (!supabase) return fail(supabase.error());
    if (supabase->api_schemas && !supabase->api_schemas->empty()) config.exposed_schemas = *supabase->api_schemas;
    auto project = lint::load_project_config(workdir);
    if (!project) return fail(project.error());
    lint::apply_project_config(*project, config);
    return {};
}

Result<LintSettings> lint_settings(const Context& ctx) {
    LintSettings s;
    auto rules = lint::rule_set(ctx.options.list("lint-disable"));
    if (!rules) return fail(rules.error());
    s.config.rules = std::move(*rules);
    if (auto project = project_settings(ctx, s.config); !project) return fail(project.error());
    s.fail_on_text = util::to_lower(util::trim(ctx.options.get_or("lint-fail-on", "error")));
    auto fail_on = lint::parse_fail_on(s.fail_on_text);
    if (!fail_on) return fail(fail_on.error());
    s.fail_on = *fail_on;
    std::vector<std::string> schemas;
    for (const auto& item : ctx.options.list("lint-exposed-schemas"))
        for (const auto& part : util::split(item, ','))
            if (auto t = util::trim(part); !t.empty()) schemas.emplace_back(t);
    if (!schemas.empty()) s.config.exposed_schemas = std::move(schemas);
    return s;
}

using util::plural;

std::string scope_text(LintScope scope, std::size_t n, std::string_view why) {
    switch (scope) {
    case LintScope::pending:
        return "the " + plural(n, "pending migration", "pending migrations") +
               (why.empty() ? "" : " of " + std::string(why));
    case LintScope::all:
        return (n == 1 ? std::string("the only migration file")
                       : "all " + plural(n, "migration file", "migration files")) +
               (why.empty() ? "" : " (" + std::string(why) + ")");
    case LintScope::files: return plural(n, "file", "files") + " given";
    }
    return {};
}

// In Actions the annotation says what the finding does to the check: ::error when it fails
// it (at or above --lint-fail-on), ::warning when it does not (with never, every finding;
// with the default, warnings). The terminal line keeps the rule's own severity.
void print_finding(Context& ctx, const lint::Finding& f, lint::FailOn fail_on) {
    if (ctx.console.actions()) {
        github::Location where;
        where.file = f.file;
        where.line = f.line;
        where.column = f.column;
        where.title = "sbdeploy lint: " + std::string(lint::info(f.rule).id);
        std::string message = f.message + "\nfix: " + f.fix;
        if (lint::fails(f.severity, fail_on))
            ctx.console.error(message, where);
        else
            ctx.console.warning(message, where);
        return;
    }
    ctx.console.line(lint::text_line(f));
    ctx.console.line("  fix: " + f.fix);
}

std::string checks_json(const LintChecks& c, LintScope scope) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("scope");
    w.String(std::string(scope_name(scope)).c_str());
    w.Key("files");
    w.StartArray();
    for (const auto& f : c.files) w.String(f.c_str(), static_cast<rapidjson::SizeType>(f.size()));
    w.EndArray();
    w.Key("errors");
    w.Uint64(c.errors);
    w.Key("warnings");
    w.Uint64(c.warnings);
    w.Key("failed");
    w.Bool(c.failed);
    w.Key("findings");
    auto findings = lint::findings_json(c.findings);
    w.RawValue(findings.c_str(), findings.size(), rapidjson::kArrayType);
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

// The verdict ("❌ 1 error, 0 warnings; fails with `--lint-fail-on error`.") and the findings table.
std::string section(const LintChecks& c, const std::string& scope_line, const std::string& fail_on) {
    (void)scope_line;
    if (c.findings.empty()) return std::string(md::mark(md::Outcome::passed)) + " No findings.";
    const auto mark = md::mark(c.failed ? md::Outcome::failed : md::Outcome::warned);
    return std::string(mark) + " " + lint::describe_counts({c.errors, c.warnings}) + "; " +
           (c.failed ? "fails" : "passes") + " with " + md::code("--lint-fail-on " + fail_on) + ".\n\n" +
           lint::summary_table(c.findings);
}

Result<LintChecks> lint_and_print(Context& ctx, std::span<const lint::SourceFile> files, LintScope scope,
                                  std::string_view why) {
    auto settings = lint_settings(ctx);
    if (!settings) return fail(settings.error());
    LintChecks c;
    for (const auto& f : files)
        if (f.role == lint::Role::target) c.files.push_back(f.display);
    std::string scope_line = scope_text(scope, c.files.size(), why);
    if (c.files.empty()) {
        std::string nothing = scope == LintScope::pending
                                  ? "no pending migrations" + (why.empty() ? "" : " of " + std::string(why))
                                  : "no migration files";
        ctx.console.line("Nothing to lint: " + nothing);
        c.body = "Nothing to lint: " + md::text(nothing) + ".";
        c.summary = md::Summary().block("#### Lint").block(c.body).str();
        c.json = checks_json(c, scope);
        return c;
    }
    ctx.console.line("Linting " + scope_line);
    c.findings = lint::lint(files, settings->config);
    auto counts = lint::count(c.findings);
    c.errors = counts.errors;
    c.warnings = counts.warnings;
    c.failed = std::any_of(c.findings.begin(), c.findings.end(),
                           [&](const auto& f) { return lint::fails(f.severity, settings->fail_on); });
    for (const auto& f : c.findings) print_finding(ctx, f, settings->fail_on);

    std::string verdict = c.findings.empty() ? "no findings"
                                             : lint::describe_counts(counts) + "; " + (c.failed ? "fails" : "passes") +
                                                   " with --lint-fail-on " + settings->fail_on_text;
    ctx.console.line("Lint of " + plural(c.files.size(), "file", "files") + ": " + verdict);

    c.body = section(c, scope_line, settings->fail_on_text);
    c.summary = md::Summary().block("#### Lint: " + md::text(scope_line)).block(c.body).str();
    c.json = checks_json(c, scope);
    return c;
}

} // namespace

std::string_view scope_name(LintScope scope) {
    switch (scope) {
    case LintScope::pending: return "pending";
    case LintScope::all: return "all";
    case LintScope::files: return "files";
    }
    return "all";
}

Result<LintChecks> run_lint_checks(Context& ctx, const Project& project,
                                   std::span<const migrations::Migration* const> targets, LintScope scope,
                                   std::string_view why) {
    std::vector<lint::SourceFile> files;
    files.reserve(project.migrations.size());
    for (const auto& m : project.migrations) {
        bool target = std::find(targets.begin(), targets.end(), &m) != targets.end();
        files.push_back(
            {m.file.display, m.statements, std::nullopt, target ? lint::Role::target : lint::Role::context, {}});
    }
    return lint_and_print(ctx, files, scope, why);
}

Result<LintChecks> run_lint_checks(Context& ctx, Project& project,
                                   std::span<const migrations::Migration* const> targets, LintScope scope,
                                   std::string_view why) {
    std::vector<lint::SourceFile> files;
    files.reserve(project.migrations.size());
    for (auto& m : project.migrations) {
        bool target = std::find(targets.begin(), targets.end(), &m) != targets.end();
        files.push_back({m.file.display,
                         std::move(m.statements),
                         std::nullopt,
                         target ? lint::Role::target : lint::Role::context,
                         {}});
    }
    auto checks = lint_and_print(ctx, files, scope, why);
    for (std::size_t i = 0; i < files.size(); ++i) project.migrations[i].statements = std::move(files[i].statements);
    return checks;
}

namespace {

// What `sbdeploy lint` lints: every file of the folder (targets), or the given files, or, with
// a target database configured, the folder's pending (and edited) migrations.
struct LintRun {
    std::vector<lint::SourceFile> files;
    LintScope scope = LintScope::all;
    std::string why;
};

// Marks the migrations the target's history lacks (or records with other statements) as
// targets, the rest as context; without a readable history every file stays a target.
void mark_pending(Context& ctx, const LintLoaded& loaded, const Target& target, LintRun& run) {
    std::string name = target.environment.empty() ? "the target database" : target.environment;
    auto session = connect_target(ctx, target);
    auto history = session ? db::read_history(**session) : Result<std::vector<db::HistoryRow>>(fail(session.error()));
    if (!history) {
        ctx.console.warning("lint: cannot read the migration history of " + name + ": " + history.error().message +
                            "; linting every migration file");
        run.why = "the history of " + name + " could not be read";
        return;
    }
    auto plan = plan_for(loaded.project, *history, migrations::IncludeAll::yes);
    std::vector<bool> target_file(run.files.size(), false);
    for (auto i : plan.to_apply) target_file[i] = true;
    for (const auto& e : plan.entries)
        if (e.state == migrations::State::edited && e.local_index < run.files.size()) target_file[e.local_index] = true;
    for (std::size_t i = 0; i < run.files.size(); ++i)
        run.files[i].role = target_file[i] ? lint::Role::target : lint::Role::context;
    run.scope = LintScope::pending;
    run.why = name;
}

Result<LintRun> folder_run(Context& ctx, const LintFolder& folder) {
    TRY_ASSIGN(auto loaded, load_folder(ctx, folder));
    LintRun run;
    run.files = std::move(loaded.sources);
    for (auto& f : run.files) f.role = lint::Role::target;
    // Which files: the pending (and edited) ones when a target database is configured.
    auto target = resolve_target(ctx);
    if (!target && target.error().kind != ErrorKind::config) return fail(std::move(target.error()));
    if (!target) {
        ctx.console.debug(target.error().message);
        run.why = "no target database configured";
    } else if (target->nothing_to_do) {
        run.why = "no target database for this run: " + target->reason;
    } else {
        mark_pending(ctx, loaded, *target, run);
    }
    for (auto& u : loaded.unmatched) run.files.push_back(std::move(u));
    lint::check_file_names(run.files);
    return run;
}

// "❌ **lint**: 1 error, 2 warnings in 3 files", "✅ **lint**: 3 files, no findings".
std::string lint_headline(const LintChecks& c) {
    const std::string files = md::count(c.files.size(), "file");
    if (c.files.empty()) return md::headline(md::Outcome::skipped, "lint", "nothing to lint");
    if (c.findings.empty()) return md::headline(md::Outcome::passed, "lint", files + ", no findings");
    const auto outcome = c.failed ? md::Outcome::failed : md::Outcome::warned;
    return md::headline(outcome, "lint", md::text(lint::describe_counts({c.errors, c.warnings})) + " in " + files);
}

Result<int> lint_command(Context& ctx) {
    // Bad --lint-* values are reported before any file is read.
    TRY(lint_settings(ctx));
    TRY_ASSIGN(const auto folder, lint_folder(ctx));
    LintRun run;
    if (!ctx.options.positional().empty()) {
        TRY_ASSIGN(run.files, given_files(ctx, folder));
        run.scope = LintScope::files;
    } else {
        TRY_ASSIGN(run, folder_run(ctx, folder));
    }
    TRY_ASSIGN(const auto checks, lint_and_print(ctx, run.files, run.scope, run.why));
    Report rep;
    rep.set("errors", std::to_string(checks.errors));
    rep.set("warnings", std::to_string(checks.warnings));
    rep.set("passed", checks.failed ? "false" : "true");
    rep.set("files", json_array(checks.files));
    rep.set("findings", lint::findings_json(checks.findings));
    rep.headline = lint_headline(checks);
    const std::string linted = checks.files.empty()
                                   ? std::string()
                                   : "Linted " + md::text(scope_text(run.scope, checks.files.size(), run.why)) + ".";
    rep.summary = md::Summary().block(linted).block(checks.body).str();
    if (ctx.json) ctx.out << checks.json << '\n';
    return finish(ctx, rep, checks.failed ? 1 : 0);
}

} // namespace

int run_lint(Context& ctx) {
    auto code = lint_command(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
