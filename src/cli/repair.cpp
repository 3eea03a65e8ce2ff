// sbdeploy repair: marks versions applied (recording the local file's statements) or reverted
// (deleting their rows) in the history table, all in one transaction under the push lock, as
// `supabase migration repair` does.
#include <algorithm>
#include <set>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

struct RepairRun {
    std::string status;  // applied | reverted
    std::vector<std::string> versions;
    Project project;                                  // --status applied only
    std::vector<const migrations::Migration*> files;  // --status applied: each version's file
    Target target;
    std::set<std::string> recorded;  // versions in the history before the repair
};

// --status and the versions: arguments, then --versions (SBDEPLOY_VERSIONS: the
// repair-migrations action's input).
Result<void> read_request(const Context& ctx, RepairRun& run) {
    auto status = ctx.options.get("status");
    if (!status || (*status != "applied" && *status != "reverted"))
        return fail(ErrorKind::usage,
                    status ? "repair: --status must be applied or reverted, not " + util::quoted(*status)
                           : std::string("repair: --status is required"),
                    "sbdeploy repair --status applied|reverted VERSION...");
    run.status = *status;
    run.versions = ctx.options.positional();
    for (const auto& line : ctx.options.list("versions"))
        for (auto word : util::split(util::replace_all(util::replace_all(line, ",", " "), "\t", " "), ' '))
            if (word = std::string(util::trim(word));
                !word.empty() && std::find(run.versions.begin(), run.versions.end(), word) == run.versions.end())
                run.versions.push_back(std::move(word));
    if (run.versions.empty())
        return fail(ErrorKind::usage, "repair: no versions given",
                    "sbdeploy repair --status " + run.status + " VERSION... (or --versions)");
    for (const auto& v : run.versions)
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
            return fail(ErrorKind::usage, "repair: " + util::quoted(v) + " is not a migration version",
                        "versions are the leading digits of the file name, e.g. 20250101120000");
    return {};
}

// --status applied records a local file's statements: every version needs its file.
Result<void> find_files(Context& ctx, RepairRun& run) {
    if (run.status != "applied") return {};
    TRY_ASSIGN(run.project, load_project(ctx));
    for (const auto& v : run.versions) {
        const migrations::Migration* found = nullptr;
        for (const auto& m : run.project.migrations)
            if (m.file.version == v) found = &m;
        if (!found)
            return fail(ErrorKind::config,
                        "repair: no migration file for version " + v + " in " +
                            util::quoted(run.project.migrations_display),
                        "--status applied records a local file's statements; check the version");
        run.files.push_back(found);
    }
    return {};
}

// One transaction for all versions: the whole repair happens or none of it.
Result<void> write_history(Context& ctx, RepairRun& run) {
    TRY_ASSIGN(auto lock_wait, ctx.options.duration_ms("lock-wait", 60'000));
    TRY_ASSIGN(auto session, connect_target(ctx, run.target));
    db::Session& db = *session;
    TRY(db::acquire_push_lock(db, lock_wait));
    TRY(db::ensure_history_table(db));
    TRY_ASSIGN(auto history, db::read_history(db));
    for (const auto& h : history) run.recorded.insert(h.version);
    std::vector<db::BatchItem> items;
    // Without a session (Management API) the push lock is taken inside the transaction.
    if (db.scope() == db::Scope::call) items = db::history_guard_items(lock_wait, "", db::CheckNewer::no);
    std::vector<std::string> literals;
    literals.reserve(run.files.size());
    for (std::size_t i = 0; i < run.versions.size(); ++i) {
        items.push_back({db::delete_history_sql(), {run.versions[i]}});
        if (run.status == "applied") {
            literals.push_back(db::text_array_literal(run.files[i]->texts()));
            items.push_back(db::insert_history_item(run.files[i]->file.version, run.files[i]->file.name,
                                                    literals.back()));
        }
    }
    auto r = db.exec_batch(items, db::BatchMode::atomic);
    if (!r) {
        Error e = r.error().error;
        e.message = "repair failed, nothing was changed: " + e.message;
        return fail(std::move(e));
    }
    (void)db::release_push_lock(db);
    return {};
}

Result<void> repair(Context& ctx, RepairRun& run) {
    TRY(read_request(ctx, run));
    TRY(find_files(ctx, run));
    TRY_ASSIGN(run.target, resolve_target(ctx));
    if (run.target.nothing_to_do) return {};
    return write_history(ctx, run);
}

} // namespace

int run_repair(Context& ctx) {
    RepairRun run;
    if (auto done = repair(ctx, run); !done) return report(ctx, done.error());
    if (run.target.nothing_to_do) return nothing_to_do(ctx, run.target);
    std::string list;  // ten at most: the headline stays one line
    for (std::size_t i = 0; i < run.versions.size(); ++i) {
        const auto& v = run.versions[i];
        if (run.status == "reverted" && !run.recorded.contains(v))
            ctx.console.notice("version " + v + " was not recorded; nothing to revert");
        ctx.console.line("Repaired migration history: " + v + " => " + run.status);
        if (i < 10) list += (list.empty() ? "" : ", ") + md::code(v);
    }
    if (run.versions.size() > 10) list += ", ...";
    Report rep;
    record_decision(ctx, rep, run.target);
    rep.set("repaired", json_array(run.versions));
    rep.set("status", run.status);
    const std::string title = "repair" +
                              (run.target.environment.empty() ? std::string() : " on " + run.target.environment);
    rep.headline = md::headline(md::Outcome::passed, title,
                                md::count(run.versions.size(), "version") + " marked " + run.status + ": " + list);
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
