// push's undo of a revert: which applied versions the pushed diff deleted (git, only when
// some version is missing locally), the refusal when one has no down SQL, the dry run's
// lines, the rollback itself through rollback's own roll_back_steps, and validate's dry run
// of it through rollback's dry_run_rollback.
#include "cli/revert.hpp"

#include <algorithm>
#include <filesystem>

#include "changes/base.hpp"
#include "changes/removed.hpp"
#include "changes/resolve.hpp"
#include "cli/commands.hpp"
#include "cli/rollback.hpp"
#include "github/runner.hpp"
#include "github/summary.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;
namespace md = github::md;

using util::plural;

std::string list_of(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string r;
    for (const auto& i : items) r += (r.empty() ? "" : std::string(separator)) + i;
    return r;
}

} // namespace

// The migrations folder as a path from the repository root ("" at the root); nothing
// when it lies outside the workdir's repository.
Result<std::optional<std::string>> folder_in_repository(const changes::Git& git, const Project& project) {
    auto prefix = git.prefix();
    if (!prefix) return fail(std::move(prefix.error()));
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(project.migrations_dir, ec);
    const fs::path root = fs::weakly_canonical(project.workdir, ec);
    const fs::path rel = dir.lexically_relative(root);
    if (ec || rel.empty() || *rel.begin() == "..") return std::optional<std::string>();
    std::string folder = *prefix + (rel == "." ? std::string() : rel.generic_string());
    while (folder.ends_with('/')) folder.pop_back();
    return std::optional<std::string>(folder);
}

namespace {

// The files of the migrations folder the pushed diff removed, with their down SQL, as the
// parent commit had them.
Result<std::vector<migrations::RemovedFile>> removed_files(const changes::Git& git, const changes::Range& range,
                                                           const std::string& folder) {
    auto removed = changes::removed_from_folder(git, range.base, range.head, folder);
    if (!removed) return fail(std::move(removed.error()));
    const std::string in = folder.empty() ? std::string() : folder + "/";
    std::vector<std::string> paths;  // each file, then its down candidates
    std::vector<std::vector<std::string>> candidates;
    for (const auto& path : *removed) {
        candidates.push_back(migrations::down_candidates(path.substr(in.size())));
        paths.push_back(path);
        for (const auto& c : candidates.back()) paths.push_back(in + c);
    }
    auto contents = changes::files_at(git, range.base, paths);
    if (!contents) return fail(std::move(contents.error()));
    std::vector<migrations::RemovedFile> files;
    std::size_t at = 0;
    for (std::size_t i = 0; i < removed->size(); ++i) {
        migrations::RemovedFile f;
        f.filename = (*removed)[i].substr(in.size());
        f.content = (*contents)[at++].value_or("");
        for (const auto& c : candidates[i]) {
            auto& text = (*contents)[at++];
            if (text && f.down_name.empty()) {
                f.down_name = c;
                f.down_content = std::move(text);
            }
        }
        files.push_back(std::move(f));
    }
    return files;
}

} // namespace

// The diff of this run, when it is a push (before..after) or a pull request (merge-base..head)
// git can tell about; else nothing (and why).
Result<std::optional<changes::Range>> changed_range(Context& ctx, changes::Git& git, std::string& why) {
    auto runner = github::RunnerContext::from(ctx.env);
    auto event = github::load_event(runner, ctx.options.get_or("event-path", runner.event_path));
    if (!event) return fail(std::move(event.error()));
    auto request = changes::make_request(github::run_facts(runner, *event), *event, "");
    const auto rule = changes::choose_rule(request);
    if (rule != changes::Rule::push && rule != changes::Rule::pull_request) {
        why = "this run is neither a push with a previous tip (before) nor a pull request";
        return std::optional<changes::Range>();
    }
    if (!git.is_repository()) {
        why = "the workdir is not a git checkout";
        return std::optional<changes::Range>();
    }
    git.expect(changes::commits_to_check(request));
    auto note = [&](const std::string& text) { ctx.console.debug(std::string(ctx.command) + ": " + text); };
    auto resolved = changes::resolve_range(git, request, changes::ResolveSettings{}, note);
    if (!resolved) return fail(std::move(resolved.error()));
    if (!resolved->range) why = resolved->unavailable;
    return std::move(resolved->range);
}

namespace {

// The versions without down SQL: refused before anything changes, with the commands that
// resolve it.
Error refusal(const Context& ctx, const Revert& revert, const std::vector<std::string>& missing,
              const std::vector<db::HistoryRow>& history) {
    std::vector<std::string> versions;
    for (const auto& s : revert.plan.steps) versions.push_back(s.version);
    // `rollback --last N` fits when the reverted versions are the N newest applied ones.
    std::vector<std::string> applied;
    for (const auto& h : history) applied.push_back(h.version);
    std::sort(applied.begin(), applied.end(), std::greater<>());
    const bool newest = applied.size() >= versions.size() &&
                        std::equal(versions.begin(), versions.end(), applied.begin());
    const std::string rollback = newest ? "`sbdeploy rollback --last " + std::to_string(versions.size()) + "`"
                                        : std::string("`sbdeploy rollback`");
    return make_error(ErrorKind::operation,
                      (ctx.command == "validate" ? "validate: the push after this pull request would be refused: it ("
                                                 : "push refused, nothing was changed: this push (") +
                          revert.range + ") deletes the files of " + plural(versions.size(), "applied migration") +
                          ", and " + (missing.size() == 1 ? std::string("this one has") : "these have") +
                          " no down SQL in the parent commit to roll back with: " + list_of(missing),
                      "roll " + std::string(versions.size() == 1 ? "it" : "them") + " back first with " + rollback +
                          " from a checkout of " + revert.range.substr(0, revert.range.find('.')) +
                          " that has the down SQL (supabase/migrations/down/<version>_<name>.sql), or undo the "
                          "schema yourself and record it with `sbdeploy repair --status reverted " +
                          list_of(versions, " ") +
                          "`; then run it again (--no-rollback-on-revert: the old "
                          "\"not found locally\" error)");
}

} // namespace

Result<Revert> find_reverted(Context& ctx, const Project& project, std::vector<db::HistoryRow>& history) {
    Revert revert;
    if (ctx.options.flag("no-rollback-on-revert")) return revert;
    std::vector<migrations::RemoteEntry> missing;  // applied, no local file of that version
    for (const auto& h : history)
        if (std::none_of(project.migrations.begin(), project.migrations.end(),
                         [&](const migrations::Migration& m) { return m.file.version == h.version; }))
            missing.push_back({h.version, h.name, h.statements});
    if (missing.empty()) return revert;

    changes::GitSettings settings;
    settings.workdir = project.workdir;
    settings.env = ctx.env.all();
    changes::Git git(std::move(settings));
    // When git cannot tell, the versions stay missing: the plan's "not found locally" error.
    const std::string unknown = std::string(ctx.command) + ": cannot tell whether this run deletes the files of " +
                                plural(missing.size(), "applied version") + " missing locally: ";
    std::string why;
    auto range = changed_range(ctx, git, why);
    if (!range) {
        ctx.console.warning(unknown + range.error().message);
        return revert;
    }
    if (!*range) {
        ctx.console.debug(unknown + why);
        return revert;
    }
    auto folder = folder_in_repository(git, project);
    if (!folder || !*folder) {
        ctx.console.warning(unknown +
                            (folder ? "the migrations folder is outside the workdir" : folder.error().message));
        return revert;
    }
    auto files = removed_files(git, **range, **folder);
    if (!files) {
        ctx.console.warning(unknown + files.error().message);
        return revert;
    }
    auto plan = migrations::plan_revert(*files, project.migrations_display, project.migrations, missing);
    if (!plan) return fail(std::move(plan.error()));
    revert.plan = std::move(*plan);
    revert.range = changes::short_sha((*range)->base) + ".." + changes::short_sha((*range)->head);
    if (revert.plan.steps.empty()) return revert;

    if (auto without = migrations::without_down(revert.plan.steps); !without.empty())
        return fail(refusal(ctx, revert, without, history));
    std::erase_if(history, [&](const db::HistoryRow& h) {
        return std::any_of(revert.plan.steps.begin(), revert.plan.steps.end(),
                           [&](const migrations::RollbackStep& s) { return s.version == h.version; });
    });
    for (const auto& s : revert.plan.steps)
        if (s.edited)
            ctx.console.warning("migration " + s.version +
                                " was edited after it was applied: its down SQL may not "
                                "undo what was applied");
    return revert;
}

std::string describe_revert(Context& ctx, const Revert& revert) {
    if (revert.plan.steps.empty()) return {};
    ctx.console.line("Would roll back " + plural(revert.plan.steps.size(), "migration") + " that this push (" +
                     revert.range + ") deleted:");
    md::Table table({"Version", "Name", "Down SQL"});
    for (const auto& s : revert.plan.steps) {
        ctx.console.line("  " + step_label(s));
        table.row({md::Cell::text(s.version), md::Cell::text(s.name), md::Cell::code(s.down()->file.display)});
    }
    return "Would roll back (this push deleted their files):\n\n" +
           table.render_collapsed(md::bold(plural(revert.plan.steps.size(), "migration") + " would roll back")) + "\n";
}

RevertOutcome roll_back_reverted(Context& ctx, db::Session& db, const Revert& revert,
                                 const migrations::Settings& settings, const std::string& title, std::size_t pending,
                                 Report& rep) {
    RevertOutcome out;
    const auto& steps = revert.plan.steps;
    if (steps.empty()) return out;
    ctx.console.group_begin("Rolling back " + plural(steps.size(), "migration") + " that this push (" + revert.range +
                            ") deleted");
    auto done = roll_back_steps(ctx, db, steps, settings);
    ctx.console.group_end();
    for (const auto& s : steps) {
        if (std::find(done.rolled_back.begin(), done.rolled_back.end(), s.version) == done.rolled_back.end()) continue;
        github::Location where;
        where.file = s.migration->file.display;
        ctx.console.notice("rolled back " + s.version + " with its down SQL: this push (" + revert.range +
                               ") deleted its file",
                           where);
    }
    rep.set("reverted", json_array(done.rolled_back));
    rep.set("reverted_count", std::to_string(done.rolled_back.size()));
    out.rolled_back = done.rolled_back.size();
    out.summary = "Rolled back (this push deleted their files):\n\n" +
                  done.table.render_collapsed(md::bold(plural(steps.size(), "migration") + " to roll back")) + "\n";
    if (!done.failure) return out;

    Error e = *done.failure;
    e.hint = "its rollback left nothing behind: " + plural(done.remaining.size(), "version") + " still applied (" +
             list_of(done.remaining) +
             "), those rolled back before it stay rolled back, and nothing pending was "
             "applied; when the cause passes, run this push again: it goes on from there; else undo them by hand and "
             "record it with `sbdeploy repair --status reverted " +
             list_of(done.remaining, " ") + "`";
    ctx.console.error(e);
    rep.set("applied", "[]");
    rep.set("applied_count", "0");
    rep.set("pending_count", std::to_string(pending));
    const std::string where = e.file.empty() ? std::string()
                                             : md::code(e.file) + (e.line > 0 ? " line " + std::to_string(e.line) : "");
    rep.headline = md::headline(md::Outcome::failed, title,
                                "the rollback of a reverted migration failed" + (where.empty() ? "" : " at " + where) +
                                    "; nothing pending was applied (" + plural(pending, "migration") + " never ran)");
    rep.summary = out.summary + "\n" + (where.empty() ? std::string() : where + ": ") + md::text(e.message) +
                  "\n\nhint: " + md::text(e.hint) + "\n";
    out.code = 1;
    out.failure = std::move(e);
    return out;
}

int dry_run_reverted(Context& ctx, db::Session& db, const Revert& revert, const migrations::Settings& settings,
                     Report& rep) {
    const auto& steps = revert.plan.steps;
    if (steps.empty()) return 0;
    ctx.console.group_begin("Dry run of rolling back " + plural(steps.size(), "migration") +
                            " that this pull request (" + revert.range + ") deletes (rolled back)");
    auto results = migrations::dry_run_rollback(db, steps, migrations::RecordOnly::no, settings);
    if (!results) {
        ctx.console.group_end();
        rep.set("valid", "false");
        ctx.console.error(results.error());
        return results.error().exit_code();
    }
    md::Table table({"Version", "Name", "Down SQL", "Rollback"});
    std::optional<Error> failure;
    for (const auto& r : *results) {
        const auto& s = *r.step;
        std::vector<md::Cell> row{md::Cell::text(s.version), md::Cell::text(s.name),
                                  md::Cell::code(s.down()->file.display)};
        if (r.verdict == migrations::Verdict::failed) {
            ctx.console.line("FAILED  " + step_label(s) + " (down SQL line " + std::to_string(r.error->line) + ")");
            row.push_back(md::Cell::raw("❌ **failed** at line " + std::to_string(r.error->line)));
            failure = *r.error;
        } else {
            const bool ran = r.verdict == migrations::Verdict::ok;
            ctx.console.line((ran ? "ok      " : "skipped ") + step_label(s) +
                             (ran ? std::string() : " (its down SQL cannot run in a transaction block)"));
            row.push_back(ran ? md::Cell::raw("✅ ok") : md::Cell::text("not dry-run: cannot run in a transaction"));
        }
        table.row(std::move(row));
    }
    ctx.console.group_end();
    rep.decision += "\n\nThe push after the merge rolls back what this pull request deletes:\n\n" + table.render();
    if (!failure) return 0;
    failure->hint = "the push after the merge would fail here and apply nothing pending: fix this down SQL (it is read "
                    "from the base, " +
                    revert.range.substr(0, revert.range.find('.')) + ") before merging";
    ctx.console.error(*failure);
    rep.set("valid", "false");
    return 1;
}

} // namespace sbdeploy::cli
