// metrics: the subcommand table and its dispatch, and `schema` (print the metrics schema as a
// migration, or --apply it, with a summary of what it created); `backfill`, `report` and
// `prune` live in cli/metrics_backfill.cpp, metrics_report.cpp and metrics_prune.cpp.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "cli/commands.hpp"
#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "github/summary.hpp"
#include "metrics/schema.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

struct Subcommand {
    std::string_view name;
    std::vector<std::string_view> options;  // beyond the connection options
};

// Options every subcommand takes: where the metrics database is, and how to talk.
constexpr std::string_view kConnection[] = {"workdir",
                                            "db-url",
                                            "project-ref",
                                            "transport",
                                            "api-url",
                                            "api-timeout",
                                            "api-retry-budget",
                                            "connect-timeout",
                                            "sslmode",
                                            "sslrootcert",
                                            "allow-insecure-transport",
                                            "environments",
                                            "json",
                                            "verbose"};

const std::vector<Subcommand>& subcommands() {
    static const std::vector<Subcommand> k = {
        {"schema", {"apply", "repository"}},
        {"backfill",
         {"days", "repository", "sources", "workflow", "pulls-file", "test-results", "branch-rules", "hotfix-pattern",
          "supabase-url"}},
        {"report",
         {"days", "until", "repository", "environment", "min-test-pass-rate", "min-rule-compliance",
          "max-change-failure-rate", "min-deployment-frequency", "max-lead-time", "max-pr-cycle-time",
          "max-time-to-restore", "fail-on-threshold", "no-thresholds"}},
        {"prune", {"older-than", "dry-run", "archive"}},
    };
    return k;
}

// A flag given to a subcommand that does not take it is a usage error naming both.
std::optional<Error> check_flags(const Context& ctx, const Subcommand& sub) {
    for (const auto& spec : option_table()) {
        if (ctx.options.source(spec.name) != Source::flag) continue;
        bool ok = std::find(std::begin(kConnection), std::end(kConnection), spec.name) != std::end(kConnection) ||
                  std::find(sub.options.begin(), sub.options.end(), spec.name) != sub.options.end();
        if (!ok)
            return make_error(ErrorKind::usage,
                              "metrics " + std::string(sub.name) + ": option --" + std::string(spec.name) +
                                  " does not apply here",
                              "see 'sbdeploy metrics --help' for which subcommand takes it");
    }
    return std::nullopt;
}

// Existing tables sbdeploy cannot adopt: each conflict and its fix on the console and in the
// step summary, then one error; nothing changed.
int report_schema_conflicts(Context& ctx, const std::vector<metrics::AdoptionConflict>& conflicts) {
    for (const auto& c : conflicts) ctx.console.line("metrics schema: conflict: " + c.description + "; fix: " + c.fix);
    const std::size_t n = conflicts.size();
    const Error e =
        make_error(ErrorKind::operation,
                   "metrics schema: the existing metrics tables cannot be adopted: " + util::plural(n, "conflict") +
                       " (" + conflicts.front().description + (n > 1 ? ", ..." : "") + "); nothing was changed",
                   "resolve each conflict listed above (its fix is printed with it), then run "
                   "'sbdeploy metrics schema --apply' again");
    ctx.console.error(e);
    md::Table table({"conflict", "fix"});
    for (const auto& c : conflicts) table.row({md::Cell::text(c.description), md::Cell::code(c.fix)});
    Report rep;
    rep.headline =
        md::headline(md::Outcome::failed, "metrics schema",
                     md::text(md::count(n, "conflict") + " with the existing metrics tables; nothing was changed"));
    rep.summary = md::Summary()
                      .block(table.render())
                      .block("hint: " + md::text("resolve each conflict (its fix is in the table), then run "
                                                 "'sbdeploy metrics schema --apply' again"))
                      .str();
    return finish(ctx, rep, 1);
}

// {"schema_version":"1","changes":[...]}
std::string schema_json(const std::vector<std::string>& changes) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("schema_version");
    w.String(std::to_string(metrics::kSchemaVersion));
    w.Key("changes");
    w.StartArray();
    for (const auto& c : changes) w.String(c);
    w.EndArray();
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

struct SchemaRun {
    std::string target;  // the database, as the session describes it
    metrics::SchemaApplied applied;
};

Result<SchemaRun> apply_metrics_schema(Context& ctx) {
    TRY_ASSIGN(auto session, open_metrics_session(ctx));
    const std::string repository = ctx.options.get_or("repository", ctx.env.get_or("GITHUB_REPOSITORY", ""));
    TRY_ASSIGN(auto applied, metrics::apply_schema(*session, repository));
    return SchemaRun{session->describe(), std::move(applied)};
}

// The console's last line: "metrics schema (version 1) applied to ...".
std::string schema_line(const SchemaRun& run) {
    const std::string version = "metrics schema (version " + std::to_string(metrics::kSchemaVersion) + ")";
    const std::size_t n = run.applied.changes.size();
    std::string line = run.applied.up_to_date ? version + " is up to date on " + run.target + ": nothing to do"
                                              : version + " applied to " + run.target;
    if (n) line += ": " + util::plural(n, "change") + " to adopt the existing metrics tables";
    return line;
}

// "5 tables, 8 views and 1 function created; 2 changes to adopt the existing tables".
std::string schema_detail(const metrics::SchemaApplied& a) {
    std::vector<std::string> parts;
    for (const char* kind : {"table", "view", "function"}) {
        auto n = std::ranges::count_if(a.created, [&](const metrics::SchemaObject& o) { return o.kind == kind; });
        if (n) parts.push_back(md::count(static_cast<std::size_t>(n), kind));
    }
    std::string created;
    for (std::size_t i = 0; i < parts.size(); ++i)
        created += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    std::string detail = created.empty() ? "" : created + " created";
    if (!a.changes.empty())
        detail += (detail.empty() ? "" : "; ") + md::count(a.changes.size(), "change") +
                  " to adopt the existing tables";
    if (detail.empty()) detail = "applied, nothing new";
    return detail + " (schema version " + std::to_string(metrics::kSchemaVersion) + ")";
}

Report schema_report(const SchemaRun& run) {
    const auto& a = run.applied;
    Report rep;
    rep.set("schema_version", std::to_string(metrics::kSchemaVersion));
    rep.set("changes", std::to_string(a.changes.size()));
    if (a.up_to_date) {
        rep.headline = md::headline(md::Outcome::skipped, "metrics schema",
                                    md::text("version " + std::to_string(metrics::kSchemaVersion) +
                                             " is up to date: nothing to do"));
        return rep;
    }
    rep.headline = md::headline(md::Outcome::passed, "metrics schema", md::text(schema_detail(a)));
    md::Summary body;
    if (!a.created.empty()) {
        md::Table t({"created", "kind"});
        for (const auto& o : a.created) t.row({md::Cell::code(o.name), md::Cell::text(o.kind)});
        body.block(t.render_collapsed(md::bold(md::count(a.created.size(), "object") + " created")));
    }
    md::Table changes({"change to adopt the existing tables"});
    for (const auto& c : a.changes) changes.row({md::Cell::text(c)});
    if (!changes.empty()) body.block(changes.render());
    md::Table notes({"left alone"});
    for (const auto& n : a.notes) notes.row({md::Cell::text(n)});
    if (!notes.empty()) body.block(notes.render());
    rep.summary = body.str();
    return rep;
}

int run_schema(Context& ctx) {
    if (!ctx.options.flag("apply")) {
        ctx.out << "-- save as supabase/migrations/" << metrics::schema_migration_name(now_seconds()) << '\n'
                << metrics::schema_migration(SBDEPLOY_VERSION);
        return 0;
    }
    auto run = apply_metrics_schema(ctx);
    if (!run) return report(ctx, run.error());
    for (const auto& note : run->applied.notes) ctx.console.notice("metrics schema: " + note);
    if (!run->applied.conflicts.empty()) return report_schema_conflicts(ctx, run->applied.conflicts);
    for (const auto& change : run->applied.changes) ctx.console.line("metrics schema: " + change);
    ctx.console.line(schema_line(*run));
    if (ctx.json) ctx.out << schema_json(run->applied.changes) << '\n';
    return finish(ctx, schema_report(*run), 0);
}

// The subcommand named by the first argument, with flags it takes.
Result<const Subcommand*> chosen_subcommand(const Context& ctx) {
    const auto& positional = ctx.options.positional();
    std::string names;
    for (const auto& s : subcommands()) names += (names.empty() ? "" : ", ") + std::string(s.name);
    if (positional.empty())
        return fail(ErrorKind::usage, "metrics: which subcommand? (" + names + ")",
                    "e.g. 'sbdeploy metrics report --days 30'");
    const Subcommand* sub = nullptr;
    for (const auto& s : subcommands())
        if (s.name == positional[0]) sub = &s;
    if (sub == nullptr)
        return fail(ErrorKind::usage, "metrics: unknown subcommand " + util::quoted(positional[0]),
                    "use one of " + names);
    if (positional.size() > 1)
        return fail(ErrorKind::usage,
                    "metrics " + std::string(sub->name) + ": unexpected argument " + util::quoted(positional[1]));
    if (auto e = check_flags(ctx, *sub)) return fail(std::move(*e));
    return sub;
}

} // namespace

int run_metrics(Context& ctx) {
    auto sub = chosen_subcommand(ctx);
    if (!sub) return report(ctx, sub.error());
    const std::string_view name = (*sub)->name;
    if (name == "schema") return run_schema(ctx);
    if (name == "backfill") return run_metrics_backfill(ctx);
    if (name == "report") return run_metrics_report(ctx);
    return run_metrics_prune(ctx);
}

} // namespace sbdeploy::cli
