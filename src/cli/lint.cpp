#include "cli/lint.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>

#include "cli/commands.hpp"
#include "db/history.hpp"
#include "github/outputs.hpp"
#include "lint/config.hpp"
#include "lint/report.hpp"
#include "migrations/config_toml.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace fs = std::filesystem;

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
        return "the " + plural(n, "pending migration", "pending migrations") + (why.empty() ? "" : " of " + std::string(why));
    case LintScope::all:
        return (n == 1 ? std::string("the only migration file") : "all " + plural(n, "migration file", "migration files")) +
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
        c.summary = "#### Lint\n\nNothing to lint: " + github::escape_markdown(nothing) + ".\n";
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

    std::string verdict = c.findings.empty()
                              ? "no findings"
                              : lint::describe_counts(counts) + "; " + (c.failed ? "fails" : "passes") +
                                    " with --lint-fail-on " + settings->fail_on_text;
    ctx.console.line("Lint of " + plural(c.files.size(), "file", "files") + ": " + verdict);

    c.summary = "#### Lint: " + github::escape_markdown(scope_line) + "\n\n";
    if (c.findings.empty()) {
        c.summary += ":white_check_mark: No findings.\n";
    } else {
        c.summary += std::string(c.failed ? ":x: " : "") + lint::describe_counts(counts) + "; " +
                     (c.failed ? "fails" : "passes") + " with `--lint-fail-on " + settings->fail_on_text + "`.\n\n" +
                     lint::summary_table(c.findings);
    }
    c.json = checks_json(c, scope);
    return c;
}

struct Folder {
    std::string dir;      // to open
    std::string display;  // for messages
    std::string root;     // the project (--workdir): links in the folder may not leave it
};

// The migrations folder as load_project finds it.
Result<Folder> migrations_folder(const Context& ctx) {
    std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    std::error_code ec;
    if (!fs::is_directory(workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the project root");
    if (auto dir = ctx.options.get("migrations-dir")) {
        fs::path d(*dir);
        return Folder{d.is_absolute() ? d.string() : (fs::path(workdir) / d).string(), *dir, workdir};
    }
    return Folder{(fs::path(workdir) / "supabase" / "migrations").string(), "supabase/migrations", workdir};
}

Result<lint::SourceFile> read_source(const std::string& path, const std::string& display, lint::Role role) {
    std::string content, err;
    if (!util::read_file(path, content, err))
        return fail(make_error(ErrorKind::config, "cannot be read: " + err,
                               "check the path and the file's permissions")
                        .at(display));
    return lint::source_file(display, content, role);
}

// The folder's migrations, split but not checked further (lint reports what push refuses).
struct Loaded {
    Project project;
    std::vector<lint::SourceFile> sources;  // parallel to project.migrations
    std::vector<lint::SourceFile> unmatched;  // .sql files the CLI skips for their name
};

Result<Loaded> load_folder(Context& ctx, const Folder& folder) {
    // Both files of a duplicate version are linted (and reported by check_file_names).
    auto listing = migrations::list_migrations(folder.dir, folder.display, folder.root, migrations::Duplicates::list);
    if (!listing) return fail(listing.error());
    for (const auto& n : listing->notices) ctx.console.debug(n);
    for (const auto& w : listing->warnings) ctx.console.warning(w);
    Loaded l;
    l.project.migrations_dir = folder.dir;
    l.project.migrations_display = folder.display;
    for (const auto& f : listing->files) {
        auto source = read_source(f.path, f.display, lint::Role::context);
        if (!source) return fail(source.error());
        migrations::Migration m;
        m.file = f;
        m.statements = source->statements;
        l.project.migrations.push_back(std::move(m));
        l.sources.push_back(std::move(*source));
    }
    for (const auto& u : listing->unmatched) {
        auto path = fs::path(folder.dir) / fs::path(u.display).filename();
        auto source = read_source(path.string(), u.display, lint::Role::target);
        if (!source) return fail(source.error());
        l.unmatched.push_back(std::move(*source));
    }
    return l;
}

// Explicit files: targets; the folder's other migrations (when there is a folder): context.
Result<std::vector<lint::SourceFile>> given_files(Context& ctx, const Folder& folder) {
    std::vector<lint::SourceFile> files;
    std::vector<fs::path> folder_paths;
    std::error_code ec;
    if (fs::is_directory(folder.dir, ec)) {
        auto loaded = load_folder(ctx, folder);
        if (!loaded) return fail(loaded.error());
        for (std::size_t i = 0; i < loaded->sources.size(); ++i) {
            folder_paths.push_back(fs::weakly_canonical(loaded->project.migrations[i].file.path, ec));
            files.push_back(std::move(loaded->sources[i]));
        }
    }
    for (const auto& path : ctx.options.positional()) {
        auto canonical = fs::weakly_canonical(path, ec);
        auto in_folder = std::find(folder_paths.begin(), folder_paths.end(), canonical);
        auto source = read_source(path, path, lint::Role::target);
        if (!source) return fail(source.error());
        if (in_folder != folder_paths.end())
            files[static_cast<std::size_t>(in_folder - folder_paths.begin())] = std::move(*source);
        else
            files.push_back(std::move(*source));
    }
    return files;
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
        files.push_back({m.file.display, m.statements, std::nullopt, target ? lint::Role::target : lint::Role::context, {}});
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
        files.push_back({m.file.display, std::move(m.statements), std::nullopt,
                         target ? lint::Role::target : lint::Role::context, {}});
    }
    auto checks = lint_and_print(ctx, files, scope, why);
    for (std::size_t i = 0; i < files.size(); ++i) project.migrations[i].statements = std::move(files[i].statements);
    return checks;
}

int run_lint(Context& ctx) {
    // Bad --lint-* values are reported before any file is read.
    if (auto settings = lint_settings(ctx); !settings) return report(ctx, settings.error());
    auto folder = migrations_folder(ctx);
    if (!folder) return report(ctx, folder.error());

    std::vector<lint::SourceFile> files;
    LintScope scope = LintScope::all;
    std::string why;
    if (!ctx.options.positional().empty()) {
        auto given = given_files(ctx, *folder);
        if (!given) return report(ctx, given.error());
        files = std::move(*given);
        scope = LintScope::files;
    } else {
        auto loaded = load_folder(ctx, *folder);
        if (!loaded) return report(ctx, loaded.error());
        files = std::move(loaded->sources);
        for (auto& f : files) f.role = lint::Role::target;
        // Which files: the pending (and edited) ones when a target database is configured.
        auto target = resolve_target(ctx);
        if (!target && target.error().kind != ErrorKind::config) return report(ctx, target.error());
        if (!target) {
            ctx.console.debug(target.error().message);
            why = "no target database configured";
        } else if (target->nothing_to_do) {
            why = "no target database for this run: " + target->reason;
        } else {
            std::string name = target->environment.empty() ? "the target database" : target->environment;
            auto session = connect_target(ctx, *target);
            auto history = session ? db::read_history(**session) : Result<std::vector<db::HistoryRow>>(fail(session.error()));
            if (!history) {
                ctx.console.warning("lint: cannot read the migration history of " + name + ": " + history.error().message +
                                    "; linting every migration file");
                why = "the history of " + name + " could not be read";
            } else {
                auto plan = plan_for(loaded->project, *history, migrations::IncludeAll::yes);
                std::vector<bool> target_file(files.size(), false);
                for (auto i : plan.to_apply) target_file[i] = true;
                for (const auto& e : plan.entries)
                    if (e.state == migrations::State::edited && e.local_index < files.size()) target_file[e.local_index] = true;
                for (std::size_t i = 0; i < files.size(); ++i)
                    files[i].role = target_file[i] ? lint::Role::target : lint::Role::context;
                scope = LintScope::pending;
                why = name;
            }
        }
        for (auto& u : loaded->unmatched) files.push_back(std::move(u));
    }

    if (ctx.options.positional().empty()) lint::check_file_names(files);
    auto checks = lint_and_print(ctx, files, scope, why);
    if (!checks) return report(ctx, checks.error());
    Report rep;
    rep.set("errors", std::to_string(checks->errors));
    rep.set("warnings", std::to_string(checks->warnings));
    rep.set("passed", checks->failed ? "false" : "true");
    rep.set("files", json_array(checks->files));
    rep.set("findings", lint::findings_json(checks->findings));
    rep.summary = "### sbdeploy lint\n\n" + checks->summary;
    if (ctx.json) ctx.out << checks->json << '\n';
    return finish(ctx, rep, checks->failed ? 1 : 0);
}

} // namespace sbdeploy::cli
