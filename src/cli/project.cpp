#include "cli/project.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "db/conninfo.hpp"
#include "db/history.hpp"
#include "db/management_api.hpp"
#include "db/pg_session.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "github/summary.hpp"
#include "migrations/digest.hpp"
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
    auto listing = migrations::list_migrations(p.migrations_dir, p.migrations_display, p.workdir);
    if (!listing) return fail(listing.error());
    for (const auto& n : listing->notices) ctx.console.debug(n);
    if (!listing->notices.empty())
        ctx.console.notice(std::to_string(listing->notices.size()) + " entr" +
                           (listing->notices.size() == 1 ? "y" : "ies") + " in " + util::quoted(p.migrations_display) +
                           " ignored (not migrations): " + listing->notices.front() +
                           (listing->notices.size() > 1 ? ", ..." : ""));
    for (const auto& w : listing->warnings) ctx.console.warning(w);
    p.unmatched = std::move(listing->unmatched);
    if (ctx.command != "validate" || ctx.options.flag("ignore-unmatched"))
        for (const auto& u : p.unmatched) {
            Error e = unmatched_problem(u);
            github::Location where;
            where.file = u.display;
            ctx.console.warning(e.message + "; " + e.hint, where);
        }
    p.migrations.reserve(listing->files.size());
    for (const auto& f : listing->files) {
        auto m = migrations::load_migration(f);
        if (!m) return fail(m.error());
        // An empty file (made by 'supabase migration new' and never filled) is valid, but
        // recording it as applied is rarely what was meant.
        if (std::all_of(m->statements.begin(), m->statements.end(), [](const migrations::Statement& s) {
                return migrations::classify_statement(s.text) == migrations::StatementKind::empty;
            })) {
            github::Location where;
            where.file = m->file.display;
            ctx.console.warning("no SQL statements in this migration: push records it as applied and runs nothing",
                                where);
        }
        p.migrations.push_back(std::move(*m));
    }
    return p;
}

Error unmatched_problem(const migrations::Unmatched& u) {
    return make_error(ErrorKind::operation,
                      "the file name does not match <version>_<name>.sql (" + u.why +
                          "), so neither sbdeploy nor the Supabase CLI applies it",
                      u.rename.empty() ? "delete it, or rename it as 'supabase migration new <name>' names files: "
                                         "20250101120000_<name>.sql"
                                       : "rename it to " + util::quoted(u.rename))
        .at(u.display);
}

std::optional<Error> check_split_files(Context& ctx, std::span<const migrations::Migration* const> pending) {
    const bool strict = ctx.options.flag("strict-transactions");
    for (const auto* m : pending) {
        if (m->plan.mode != migrations::FileMode::parts) continue;
        const int line = m->statements[m->plan.first_split].code_line;
        const std::string parts = std::to_string(m->plan.part_ends.size());
        if (strict)
            return migrations::split_refused(m->plan.first_split, "a migration",
                                             "--strict-transactions refuses such files: remove the COMMIT, or split "
                                             "the file in " +
                                                 parts + " migrations")
                .at(m->file.display, line);
        github::Location where;
        where.file = m->file.display;
        where.line = line;
        ctx.console.warning("this file commits in the middle, so it is applied in " + parts +
                                " transactions, each committed where the file says, the last with its history row; "
                                "if a later part fails, the parts before it stay applied (--strict-transactions "
                                "refuses such files)",
                            where);
    }
    return std::nullopt;
}

Result<std::unique_ptr<db::Session>> connect_target(Context& ctx, const Target& target) {
    auto timeout = ctx.options.duration_ms("connect-timeout", 10'000);
    if (!timeout) return fail(timeout.error());
    const std::string transport = ctx.options.get_or("transport", "auto");
    if (transport != "auto" && transport != "postgres" && transport != "api")
        return fail(ErrorKind::usage, "--transport " + util::quoted(transport) + " is not a transport",
                    "use auto (a database URL means postgres, a project ref the Management API), postgres or api");
    // A database URL means postgres; a project ref (with SUPABASE_ACCESS_TOKEN, masked with
    // the other secrets before anything was printed) means the Management API.
    if (target.url.empty() && !target.project_ref.empty()) {
        db::ApiOptions a;
        a.api_url = ctx.options.get_or("api-url", "https://api.supabase.com");
        a.project_ref = target.project_ref;
        a.token = ctx.env.get_or("SUPABASE_ACCESS_TOKEN", "");
        a.connect_timeout = std::chrono::milliseconds(*timeout);
        auto request_timeout = ctx.options.duration_ms("api-timeout", 300'000);
        if (!request_timeout) return fail(request_timeout.error());
        auto budget = ctx.options.duration_ms("api-retry-budget", 120'000);
        if (!budget) return fail(budget.error());
        a.request_timeout = std::chrono::milliseconds(std::max(1L, *request_timeout));
        a.retry_budget = std::chrono::milliseconds(*budget);
        a.on_retry = [&console = ctx.console](const std::string& line) { console.debug(line); };
        auto session = db::connect_management_api(a);
        if (!session) return fail(session.error());
        ctx.console.debug("using " + (*session)->describe() + " (from " + target.project_ref_source + ")");
        return session;
    }
    db::ConnectOptions o;
    o.url = target.url;
    o.connect_timeout_ms = *timeout;
    o.sslmode = ctx.options.get_or("sslmode", "");
    o.sslrootcert = ctx.options.get_or("sslrootcert", "");
    o.insecure_transport = ctx.options.flag("allow-insecure-transport") ? db::InsecureTransport::allow
                                                                        : db::InsecureTransport::refuse;
    // With a statement_timeout the server answers within it, or within --lock-wait for the
    // push lock (a cancel is an answer too): a longer silence is a stalled peer. Without one a
    // statement may rightly run for hours.
    auto statement_timeout = ctx.options.duration_ms("statement-timeout", 0);
    if (!statement_timeout) return fail(statement_timeout.error());
    auto lock_wait = ctx.options.duration_ms("lock-wait", 60'000);
    if (!lock_wait) return fail(lock_wait.error());
    if (*statement_timeout > 0) {
        const long longest = std::max(*statement_timeout, *lock_wait);
        o.silence_limit = std::chrono::milliseconds(longest + std::max(10'000L, longest / 2));
    }
    o.interrupts = &util::process_interrupts();  // SIGINT/SIGTERM cancel the statement in flight
    o.on_retry = [&console = ctx.console](const std::string& line) { console.debug(line); };
    auto session = db::connect_postgres(o);
    if (!session) return fail(session.error());
    ctx.console.debug("connected to " + (*session)->describe() + " (from " + target.url_source + ")");
    return session;
}

migrations::Plan plan_for(const Project& project, const std::vector<db::HistoryRow>& history,
                          migrations::IncludeAll include_all) {
    // Statements compared by digest: a copy of every text of both sides weighed more than the
    // rest of status at thousands of files.
    using Digest = std::vector<std::string>;
    std::vector<migrations::LocalEntry> local;
    local.reserve(project.migrations.size());
    for (const auto& m : project.migrations)
        local.push_back({m.file.version, m.file.name, Digest{migrations::statements_digest(m.statements)}});
    std::vector<migrations::RemoteEntry> remote;
    remote.reserve(history.size());
    for (const auto& h : history)
        remote.push_back({h.version, h.name,
                          h.statements ? std::optional<Digest>(Digest{migrations::statements_digest(*h.statements)})
                                       : std::nullopt});
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
    record_decision(ctx, r, target);
    r.headline = github::md::headline(github::md::Outcome::skipped, ctx.command,
                                      "nothing to do: " + github::md::text(target.reason));
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
    github::md::Summary text;
    text.block(report.headline).block(report.decision).block(report.summary);
    if (!runner.step_summary_path.empty() && !text.empty()) {
        auto written = github::append_step_summary(runner.step_summary_path, ctx.console.redact(text.str()));
        if (!written) {
            ctx.console.error(written.error());
            return code == 0 ? 1 : code;
        }
    }
    return code;
}

} // namespace sbdeploy::cli
