#include <algorithm>
#include <set>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

int run_repair(Context& ctx) {
    auto status = ctx.options.get("status");
    if (!status || (*status != "applied" && *status != "reverted"))
        return report(ctx, make_error(ErrorKind::usage,
                                      status ? "repair: --status must be applied or reverted, not " + util::quoted(*status)
                                             : std::string("repair: --status is required"),
                                      "sbdeploy repair --status applied|reverted VERSION..."));
    // Arguments, then --versions (SBDEPLOY_VERSIONS: the repair-migrations action's input).
    std::vector<std::string> versions = ctx.options.positional();
    for (const auto& line : ctx.options.list("versions"))
        for (auto word : util::split(util::replace_all(util::replace_all(line, ",", " "), "\t", " "), ' '))
            if (word = std::string(util::trim(word)); !word.empty() &&
                std::find(versions.begin(), versions.end(), word) == versions.end())
                versions.push_back(std::move(word));
    if (versions.empty())
        return report(ctx, make_error(ErrorKind::usage, "repair: no versions given",
                                      "sbdeploy repair --status " + *status + " VERSION... (or --versions)"));
    for (const auto& v : versions)
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
            return report(ctx, make_error(ErrorKind::usage, "repair: " + util::quoted(v) + " is not a migration version",
                                          "versions are the leading digits of the file name, e.g. 20250101120000"));
    bool applied = *status == "applied";

    std::vector<const migrations::Migration*> files;
    Project project;
    if (applied) {
        auto p = load_project(ctx);
        if (!p) return report(ctx, p.error());
        project = std::move(*p);
        for (const auto& v : versions) {
            const migrations::Migration* found = nullptr;
            for (const auto& m : project.migrations)
                if (m.file.version == v) found = &m;
            if (!found)
                return report(ctx, make_error(ErrorKind::config,
                                              "repair: no migration file for version " + v + " in " +
                                                  util::quoted(project.migrations_display),
                                              "--status applied records a local file's statements; check the version"));
            files.push_back(found);
        }
    }
    auto target = resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    auto lock_wait = ctx.options.duration_ms("lock-wait", 60'000);
    if (!lock_wait) return report(ctx, lock_wait.error());
    auto session = connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    db::Session& db = **session;
    auto locked = db::acquire_push_lock(db, *lock_wait);
    if (!locked) return report(ctx, locked.error());
    auto table = db::ensure_history_table(db);
    if (!table) return report(ctx, table.error());
    auto history = db::read_history(db);
    if (!history) return report(ctx, history.error());
    std::set<std::string> recorded;
    for (const auto& h : *history) recorded.insert(h.version);

    // One transaction for all versions: the whole repair happens or none of it.
    std::vector<db::BatchItem> items;
    // Without a session (Management API) the push lock is taken inside the transaction.
    if (db.scope() == db::Scope::call) items = db::history_guard_items(*lock_wait, "", db::CheckNewer::no);
    std::vector<std::string> literals;
    literals.reserve(files.size());
    for (std::size_t i = 0; i < versions.size(); ++i) {
        items.push_back({db::delete_history_sql(), {versions[i]}});
        if (applied) {
            literals.push_back(db::text_array_literal(files[i]->texts()));
            items.push_back(db::insert_history_item(files[i]->file.version, files[i]->file.name, literals.back()));
        }
    }
    auto r = db.exec_batch(items, db::BatchMode::atomic);
    if (!r) {
        Error e = r.error().error;
        e.message = "repair failed, nothing was changed: " + e.message;
        return report(ctx, e);
    }
    (void)db::release_push_lock(db);
    for (const auto& v : versions) {
        if (!applied && !recorded.contains(v)) ctx.console.notice("version " + v + " was not recorded; nothing to revert");
        ctx.console.line("Repaired migration history: " + v + " => " + *status);
    }
    Report rep;
    record_decision(ctx, rep, *target);
    rep.set("repaired", json_array(versions));
    rep.set("status", *status);
    rep.summary = "### sbdeploy repair: " + target->environment + "\n\nMarked " + *status + ": " +
                  util::replace_all(json_array(versions), "\"", "`") + "\n";
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
