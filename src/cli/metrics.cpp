// metrics: `schema` (print the metrics schema as a migration, or --apply it), `backfill`
// (cli/metrics_backfill.cpp), `report` (DORA figures, thresholds, step summary) and
// `prune` (retention).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "metrics/prune_archive.hpp"
#include "metrics/report.hpp"
#include "metrics/schema.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

struct Subcommand {
    std::string_view name;
    std::vector<std::string_view> options;  // beyond the connection options
};

// Options every subcommand takes: where the metrics database is, and how to talk.
constexpr std::string_view kConnection[] = {"workdir",     "db-url",           "project-ref",     "transport",
                                            "api-url",     "api-timeout",      "api-retry-budget", "connect-timeout",
                                            "sslmode",     "sslrootcert",      "allow-insecure-transport",
                                            "environments", "json",        "verbose"};

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

// Existing tables sbdeploy cannot adopt: each conflict and its fix, then one error; nothing changed.
int report_schema_conflicts(Context& ctx, const std::vector<metrics::AdoptionConflict>& conflicts) {
    for (const auto& c : conflicts) ctx.console.line("metrics schema: conflict: " + c.description + "; fix: " + c.fix);
    const std::size_t n = conflicts.size();
    return report(ctx, make_error(ErrorKind::operation,
                                  "metrics schema: the existing metrics tables cannot be adopted: " + std::to_string(n) +
                                      " conflict" + (n == 1 ? "" : "s") + " (" + conflicts.front().description +
                                      (n > 1 ? ", ..." : "") + "); nothing was changed",
                                  "resolve each conflict listed above (its fix is printed with it), then run "
                                  "'sbdeploy metrics schema --apply' again"));
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

int run_schema(Context& ctx) {
    if (!ctx.options.flag("apply")) {
        ctx.out << "-- save as supabase/migrations/" << metrics::schema_migration_name(now_seconds()) << '\n'
                << metrics::schema_migration(SBDEPLOY_VERSION);
        return 0;
    }
    auto session = open_metrics_session(ctx);
    if (!session) return report(ctx, session.error());
    const std::string repository = ctx.options.get_or("repository", ctx.env.get_or("GITHUB_REPOSITORY", ""));
    auto applied = metrics::apply_schema(**session, repository);
    if (!applied) return report(ctx, applied.error());
    for (const auto& note : applied->notes) ctx.console.notice("metrics schema: " + note);
    if (!applied->conflicts.empty()) return report_schema_conflicts(ctx, applied->conflicts);
    for (const auto& change : applied->changes) ctx.console.line("metrics schema: " + change);
    const std::string version = "metrics schema (version " + std::to_string(metrics::kSchemaVersion) + ")";
    const std::size_t n = applied->changes.size();
    std::string line = applied->up_to_date ? version + " is up to date on " + (*session)->describe() + ": nothing to do"
                                           : version + " applied to " + (*session)->describe();
    if (n) line += ": " + std::to_string(n) + " change" + (n == 1 ? "" : "s") + " to adopt the existing metrics tables";
    ctx.console.line(line);
    Report rep;
    rep.set("schema_version", std::to_string(metrics::kSchemaVersion));
    rep.set("changes", std::to_string(n));
    rep.summary = "**sbdeploy metrics schema**: " + line + "\n";
    for (const auto& change : applied->changes) rep.summary += "- " + change + "\n";
    if (ctx.json) ctx.out << schema_json(applied->changes) << '\n';
    return finish(ctx, rep, 0);
}

// A percentage option: 0 to 100.
Result<std::optional<double>> percent_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    char* end = nullptr;
    std::string text(util::trim(*v));
    if (!text.empty() && text.back() == '%') text.pop_back();
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d) || d < 0 || d > 100)
        return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a percentage",
                    "write a number from 0 to 100, e.g. 80");
    return std::optional<double>(d);
}

Result<std::optional<double>> number_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    char* end = nullptr;
    std::string text(util::trim(*v));
    double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d) || d < 0)
        return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a number",
                    "write a number such as 0.5 (per day)");
    return std::optional<double>(d);
}

// A duration option in seconds: 90m, 36h, 2d, 1w, or a bare number of seconds.
Result<std::optional<double>> seconds_option(const Context& ctx, const char* name) {
    auto v = ctx.options.get(name);
    if (!v) return std::optional<double>();
    std::string text(util::trim(*v));
    if (auto ms = parse_duration_ms(text)) return std::optional<double>(static_cast<double>(*ms) / 1000.0);
    if (!text.empty() && (text.back() == 'd' || text.back() == 'w'))
        if (auto s = metrics::parse_age_seconds(text)) return std::optional<double>(static_cast<double>(*s));
    return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a duration",
                "write it as 90m, 36h, 2d or 1w");
}

Result<metrics::Window> report_window(const Context& ctx) {
    metrics::Window w;
    auto days = ctx.options.integer("days", 30, 1, 3650);
    if (!days) return fail(days.error());
    w.days = static_cast<int>(*days);
    w.until = now_seconds();
    if (auto until = ctx.options.get("until")) {
        auto t = metrics::parse_time(*until);
        if (!t)
            return fail(ErrorKind::usage, "option --until: " + util::quoted(*until) + " is not a date or time",
                        "write it as 2025-01-31 or 2025-01-31T12:00:00Z");
        w.until = *t;
    }
    w.from = w.until - static_cast<std::int64_t>(w.days) * 86'400;
    w.repository = ctx.options.get_or("repository", ctx.env.get_or("GITHUB_REPOSITORY", ""));
    w.environment = ctx.options.get_or("environment", kMetricsEnvironment);
    if (!policy::is_environment_name(w.environment))
        return fail(ErrorKind::usage, "--environment " + util::quoted(w.environment) + " is not an environment name",
                    "use letters, digits, - and _");
    return w;
}

int run_report(Context& ctx) {
    auto window = report_window(ctx);
    if (!window) return report(ctx, window.error());
    metrics::Limits limits;
    struct PercentLimit {
        const char* name;
        std::optional<double>* slot;
    };
    for (auto [name, slot] : {PercentLimit{"min-test-pass-rate", &limits.min_test_pass_rate},
                              PercentLimit{"min-rule-compliance", &limits.min_rule_compliance},
                              PercentLimit{"max-change-failure-rate", &limits.max_change_failure_rate}}) {
        auto v = percent_option(ctx, name);
        if (!v) return report(ctx, v.error());
        *slot = *v;
    }
    for (auto [name, slot] : {PercentLimit{"max-lead-time", &limits.max_lead_time},
                              PercentLimit{"max-pr-cycle-time", &limits.max_pr_cycle_time},
                              PercentLimit{"max-time-to-restore", &limits.max_time_to_restore}}) {
        auto v = seconds_option(ctx, name);
        if (!v) return report(ctx, v.error());
        *slot = *v;
    }
    auto frequency = number_option(ctx, "min-deployment-frequency");
    if (!frequency) return report(ctx, frequency.error());
    limits.min_deployment_frequency = *frequency;
    if (!ctx.options.flag("no-thresholds")) limits = metrics::with_defaults(limits);

    auto session = open_metrics_session(ctx);
    if (!session) return report(ctx, session.error());
    auto history = metrics::load_history(**session, *window);
    if (!history) return report(ctx, history.error());
    auto figures = metrics::compute_figures(*history, *window);
    auto thresholds = metrics::check_thresholds(figures, limits);

    if (ctx.json)
        ctx.out << metrics::render_json(figures, thresholds) << '\n';
    else
        for (const auto& line : util::split(metrics::render_table(figures, thresholds), '\n'))
            if (!line.empty()) ctx.console.line(line);

    std::vector<std::string> failed;
    for (const auto& t : thresholds)
        if (!t.ok) {
            failed.push_back(t.label + " " + t.value_text + " (" + t.limit_text + ")");
            if (!ctx.options.flag("fail-on-threshold"))
                ctx.console.warning("metrics: " + t.label + " is " + t.value_text + ", " + t.limit_text + " wanted (" +
                                    (ctx.options.get(t.option) ? "--" + t.option
                                                               : "seed 001's default; change it with --" + t.option +
                                                                     ", or --no-thresholds") +
                                    ")");
        }

    Report rep;
    auto opt = [](const std::optional<double>& v, int decimals) {
        if (!v) return std::string();
        double scale = std::pow(10.0, decimals);
        return metrics::decimal_text(std::round(*v * scale) / scale);
    };
    rep.set("deployments", std::to_string(figures.deployments));
    rep.set("deployment_frequency", opt(figures.deployment_frequency, 4));
    rep.set("lead_time_seconds", opt(figures.lead_time_median, 1));
    rep.set("change_failure_rate", opt(figures.change_failure_rate, 2));
    rep.set("time_to_restore_seconds", opt(figures.time_to_restore_median, 1));
    rep.set("pr_cycle_time_seconds", opt(figures.cycle_time_median, 1));
    rep.set("pr_cycle_time_p90_seconds", opt(figures.cycle_time_p90, 1));
    rep.set("test_pass_rate", opt(figures.test_pass_rate, 2));
    rep.set("rule_compliance", opt(figures.rule_compliance, 2));
    rep.set("thresholds_met", failed.empty() ? "true" : "false");
    rep.summary = metrics::render_markdown(figures, thresholds);
    if (!failed.empty() && ctx.options.flag("fail-on-threshold")) {
        std::string list;
        for (std::size_t i = 0; i < failed.size(); ++i) list += (i ? "; " : "") + failed[i];
        ctx.console.error(make_error(ErrorKind::operation,
                                     "metrics report: " + std::to_string(failed.size()) + " threshold" +
                                         (failed.size() == 1 ? "" : "s") + " not met: " + list,
                                     "see the step summary for every figure; without --fail-on-threshold these are "
                                     "warnings"));
        return finish(ctx, rep, 1);
    }
    return finish(ctx, rep, 0);
}

// The prune with its archive; a failed prune leaves no archive behind (its rows are still
// in the database).
Result<metrics::PruneCounts> prune_to_archive(db::Session& session, std::int64_t cutoff, const std::string& path) {
    auto sink = metrics::create_archive(path);
    if (!sink) return fail(sink.error());
    auto counts = metrics::prune_archived(session, cutoff, **sink);
    if (!counts) {
        sink->reset();
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    return counts;
}

int run_prune(Context& ctx) {
    auto text = ctx.options.get("older-than");
    if (!text)
        return report(ctx, make_error(ErrorKind::usage, "metrics prune: --older-than is required",
                                      "say what to keep, e.g. --older-than 730d (two years)"));
    auto age = metrics::parse_age_seconds(util::trim(*text));
    if (!age || *age < 86'400)
        return report(ctx, make_error(ErrorKind::usage, "option --older-than: " + util::quoted(*text) + " is not an age of a day or more",
                                      "write it as 730d, 104w or 90 (days)"));
    const std::int64_t cutoff = metrics::day_start(now_seconds() - *age);
    if (ctx.options.get("archive") && ctx.options.flag("dry-run"))
        return report(ctx, make_error(ErrorKind::usage, "metrics prune: --archive and --dry-run together",
                                      "a dry run deletes nothing, so there is nothing to archive: drop one of them"));
    auto session = open_metrics_session(ctx);
    if (!session) return report(ctx, session.error());
    const bool dry = ctx.options.flag("dry-run");
    const auto archive = ctx.options.get("archive");
    auto counts = archive ? prune_to_archive(**session, cutoff, *archive)
                          : metrics::prune(**session, cutoff,
                                           dry ? metrics::PruneMode::count_only : metrics::PruneMode::delete_rows);
    if (!counts) return report(ctx, counts.error());
    ctx.console.line(std::string("metrics prune: ") + (dry ? "would delete " : "deleted ") +
                     std::to_string(counts->total()) + " row" + (counts->total() == 1 ? "" : "s") + " from before " +
                     metrics::format_date(cutoff) + " (pr_events " + std::to_string(counts->prs) +
                     ", deployment_events " + std::to_string(counts->deployments) + ", test_runs " +
                     std::to_string(counts->tests) + ", rule_compliance_events " + std::to_string(counts->rules) +
                     ", development_metrics " + std::to_string(counts->daily) + ")" +
                     (archive ? ", archived to " + *archive : std::string()));
    Report rep;
    rep.set("deleted", dry ? "0" : std::to_string(counts->total()));
    rep.set("cutoff", metrics::format_date(cutoff));
    if (ctx.json)
        ctx.out << "{\"deleted\":" << (dry ? 0 : counts->total()) << ",\"matching\":" << counts->total()
                << ",\"cutoff\":\"" << metrics::format_date(cutoff) << "\"}\n";
    return finish(ctx, rep, 0);
}

} // namespace

int run_metrics(Context& ctx) {
    const auto& positional = ctx.options.positional();
    std::string names;
    for (const auto& s : subcommands()) names += (names.empty() ? "" : ", ") + std::string(s.name);
    if (positional.empty())
        return report(ctx, make_error(ErrorKind::usage, "metrics: which subcommand? (" + names + ")",
                                      "e.g. 'sbdeploy metrics report --days 30'"));
    const Subcommand* sub = nullptr;
    for (const auto& s : subcommands())
        if (s.name == positional[0]) sub = &s;
    if (sub == nullptr)
        return report(ctx, make_error(ErrorKind::usage, "metrics: unknown subcommand " + util::quoted(positional[0]),
                                      "use one of " + names));
    if (positional.size() > 1)
        return report(ctx, make_error(ErrorKind::usage, "metrics " + std::string(sub->name) +
                                                            ": unexpected argument " + util::quoted(positional[1])));
    if (auto e = check_flags(ctx, *sub)) return report(ctx, *e);
    if (sub->name == "schema") return run_schema(ctx);
    if (sub->name == "backfill") return run_metrics_backfill(ctx);
    if (sub->name == "report") return run_report(ctx);
    return run_prune(ctx);
}

} // namespace sbdeploy::cli
