#include "cli/project.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <unordered_map>

#include "db/conninfo.hpp"
#include "db/history.hpp"
#include "db/pg_session.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "policy/mapping.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace fs = std::filesystem;

Result<Project> load_project(Context& ctx) {
    Project p;
    p.workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    std::error_code ec;
    if (!fs::is_directory(p.workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(p.workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the project root");
    if (auto dir = ctx.options.get("migrations-dir")) {
        fs::path d(*dir);
        p.migrations_dir = d.is_absolute() ? d.string() : (fs::path(p.workdir) / d).string();
        p.migrations_display = *dir;
    } else {
        p.migrations_dir = (fs::path(p.workdir) / "supabase" / "migrations").string();
        p.migrations_display = "supabase/migrations";
    }
    auto listing = migrations::list_migrations(p.migrations_dir, p.migrations_display);
    if (!listing) return fail(listing.error());
    for (const auto& n : listing->notices) ctx.console.debug(n);
    if (!listing->notices.empty())
        ctx.console.notice(std::to_string(listing->notices.size()) + " entr" +
                           (listing->notices.size() == 1 ? "y" : "ies") + " in " +
                           util::quoted(p.migrations_display) + " ignored (not migrations): " +
                           listing->notices.front() + (listing->notices.size() > 1 ? ", ..." : ""));
    for (const auto& w : listing->warnings) ctx.console.warning(w);
    p.migrations.reserve(listing->files.size());
    for (const auto& f : listing->files) {
        auto m = migrations::load_migration(f);
        if (!m) return fail(m.error());
        p.migrations.push_back(std::move(*m));
    }
    return p;
}

Result<Target> resolve_target(Context& ctx) {
    Target t;
    auto runner = github::RunnerContext::from(ctx.env);
    std::optional<std::string> override_env = ctx.options.get("environment");
    // Under Actions (or with an event given) the branch mapping decides; in a terminal
    // the target is whatever --environment / --db-url say.
    bool has_event = !runner.event_name.empty() || ctx.options.get("event-path").has_value();
    if (has_event) {
        auto event = github::load_event(runner, ctx.options.get_or("event-path", runner.event_path));
        if (!event) return fail(event.error());
        auto facts = github::run_facts(runner, *event);
        auto resolution = policy::resolve(facts, override_env);
        if (!resolution) return fail(resolution.error());
        t.environment = resolution->environment;
        t.reason = resolution->reason;
        if (resolution->action == policy::Action::none) {
            t.nothing_to_do = true;
            return t;
        }
        if (ctx.command == "push" && resolution->action != policy::Action::push && !override_env)
            return fail(ErrorKind::config,
                        "push: this run only validates (" + resolution->reason + "); nothing is pushed from it",
                        "run 'sbdeploy validate' on pull requests, and push on the push event of the merged branch");
    } else if (override_env) {
        if (!policy::is_environment_name(*override_env))
            return fail(ErrorKind::usage, "--environment " + util::quoted(*override_env) + " is not an environment name",
                        "use letters, digits, - and _ (it becomes SBDEPLOY_<NAME>_DB_URL)");
        t.environment = *override_env;
        t.reason = "--environment " + *override_env;
    }
    if (auto url = ctx.options.get("db-url")) {
        t.url = *url;
        t.url_source = ctx.options.source("db-url") == Source::flag ? "--db-url" : "SBDEPLOY_DB_URL";
        return t;
    }
    if (t.environment.empty())
        return fail(ErrorKind::config, std::string(ctx.command) + ": no target database",
                    "set --db-url (or SBDEPLOY_DB_URL), or --environment with SBDEPLOY_<ENVIRONMENT>_DB_URL");
    std::string var = "SBDEPLOY_" + util::replace_all(util::to_upper(t.environment), "-", "_") + "_DB_URL";
    if (auto url = ctx.env.get(var)) {
        t.url = *url;
        t.url_source = var;
        return t;
    }
    return fail(ErrorKind::config,
                std::string(ctx.command) + ": no database URL for environment " + util::quoted(t.environment),
                "set " + var + " (a repository secret mapped into env:), or pass --db-url");
}

Result<std::unique_ptr<db::Session>> connect_target(Context& ctx, const Target& target) {
    db::ConnectOptions o;
    o.url = target.url;
    auto timeout = ctx.options.duration_ms("connect-timeout", 10'000);
    if (!timeout) return fail(timeout.error());
    o.connect_timeout_ms = *timeout;
    o.sslmode = ctx.options.get_or("sslmode", "");
    auto session = db::connect_postgres(o);
    if (!session) return fail(session.error());
    ctx.console.debug("connected to " + (*session)->describe() + " (from " + target.url_source + ")");
    return session;
}

migrations::Plan plan_for(const Project& project, const std::vector<db::HistoryRow>& history,
                          migrations::IncludeAll include_all) {
    std::vector<migrations::LocalEntry> local;
    local.reserve(project.migrations.size());
    for (const auto& m : project.migrations) local.push_back({m.file.version, m.file.name, m.texts()});
    std::vector<migrations::RemoteEntry> remote;
    remote.reserve(history.size());
    for (const auto& h : history) remote.push_back({h.version, h.name, h.statements});
    return migrations::make_plan(local, remote, include_all);
}

namespace {
std::string list_versions(const std::vector<std::string>& versions) {
    std::string r;
    for (std::size_t i = 0; i < versions.size() && i < 10; ++i) r += (i ? " " : "") + versions[i];
    if (versions.size() > 10) r += " ... (" + std::to_string(versions.size()) + " in all)";
    return r;
}
} // namespace

std::optional<Error> plan_problem(const Project& project, const migrations::Plan& plan, AllowEdited allow_edited) {
    if (!plan.missing_locally.empty())
        return make_error(ErrorKind::operation,
                          "remote migration versions not found in " + util::quoted(project.migrations_display) + ": " +
                              list_versions(plan.missing_locally),
                          "restore the files from git, or if they were deliberately removed, mark them reverted: "
                          "sbdeploy repair --status reverted " +
                              list_versions(plan.missing_locally));
    if (!plan.out_of_order.empty() && plan.include_all == migrations::IncludeAll::no)
        return make_error(ErrorKind::operation,
                          "local migrations older than the last remote one (" + plan.last_remote +
                              ") are not applied: " + list_versions(plan.out_of_order),
                          "rename them to a version after " + plan.last_remote +
                              ", or apply them anyway with --include-all");
    if (!plan.edited.empty() && allow_edited == AllowEdited::no) {
        Error e = make_error(ErrorKind::operation,
                             "migrations edited after they were applied: " + list_versions(plan.edited) +
                                 " (their statements differ from the recorded ones)",
                             "put the change in a new migration and restore the applied file; or, if the edit is "
                             "deliberate (comments, formatting), push with --allow-edited");
        for (const auto& m : project.migrations)
            if (m.file.version == plan.edited.front()) e.file = m.file.display;
        return e;
    }
    return std::nullopt;
}

std::string version_time(std::string_view v) {
    if (v.size() != 14) return "";
    return std::string(v.substr(0, 4)) + "-" + std::string(v.substr(4, 2)) + "-" + std::string(v.substr(6, 2)) + " " +
           std::string(v.substr(8, 2)) + ":" + std::string(v.substr(10, 2)) + ":" + std::string(v.substr(12, 2));
}

std::string json_array(const std::vector<std::string>& values) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& v : values) w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    w.EndArray();
    return buf.GetString();
}

int nothing_to_do(Context& ctx, const Target& target) {
    ctx.console.notice(std::string(ctx.command) + ": nothing to do: " + target.reason);
    Report r;
    r.set("environment", "none");
    r.set("action", "none");
    r.set("reason", target.reason);
    r.summary = "**sbdeploy " + std::string(ctx.command) + "**: nothing to do: " + target.reason + "\n";
    return finish(ctx, r, 0);
}

int finish(Context& ctx, const Report& report, int code) {
    auto runner = github::RunnerContext::from(ctx.env);
    if (!runner.output_path.empty()) {
        github::Outputs outputs;
        for (const auto& [name, value] : report.outputs) outputs.set(name, ctx.console.redact(value));
        auto written = outputs.flush(runner.output_path, github::system_random());
        if (!written) {
            ctx.console.error(written.error());
            return code == 0 ? 1 : code;
        }
    }
    if (!runner.step_summary_path.empty() && !report.summary.empty()) {
        auto written = github::append_step_summary(runner.step_summary_path, ctx.console.redact(report.summary));
        if (!written) {
            ctx.console.error(written.error());
            return code == 0 ? 1 : code;
        }
    }
    return code;
}

} // namespace sbdeploy::cli
