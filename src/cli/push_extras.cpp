#include "cli/push_extras.hpp"

#include "cli/rollback.hpp"
#include "db/seed.hpp"
#include "github/summary.hpp"
#include "migrations/config_toml.hpp"
#include "policy/promotion.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

using util::format_ms;

using util::plural;

// [db.seed] sql_paths of supabase/config.toml, else the CLI's default.
Result<std::vector<std::string>> seed_patterns(const Project& project) {
    auto config = migrations::load_supabase_config(project.workdir);
    if (!config) return fail(std::move(config.error()));
    if (!config->seed_paths) return std::vector<std::string>{std::string(migrations::kDefaultSeedPath)};
    return std::move(*config->seed_paths);
}

// What verify will check must be there and well formed before anything is pushed.
Result<VerifyPlan> read_verify_options(const Context& ctx, const Project& project) {
    TRY_ASSIGN(auto plan, read_verify_plan(ctx, project.workdir));
    if (plan.empty())
        return fail(ErrorKind::usage, "push --rollback-on-verify-failure: nothing to verify",
                    "give --expect (such as table:public.moods), --expect-file or --health-url");
    return plan;
}

} // namespace

Result<PushExtras> prepare_push_extras(Context& ctx, const Project& project, const Target& target) {
    PushExtras extras;
    extras.seed = ctx.options.flag("include-seed");
    extras.rollback_on_verify = ctx.options.flag("rollback-on-verify-failure");
    if (extras.seed) {
        if (target.environment == policy::kProtectedEnvironment && !ctx.options.flag("allow-production-seed"))
            return fail(ErrorKind::config,
                        "push --include-seed: seed data is not run on " + std::string(policy::kProtectedEnvironment),
                        "seed staging and preview databases; if production must get it, add --allow-production-seed");
        auto patterns = seed_patterns(project);
        if (!patterns) return fail(std::move(patterns.error()));
        auto listing = migrations::list_seed_files(project.workdir, *patterns);
        if (!listing) return fail(std::move(listing.error()));
        for (const auto& p : listing->unmatched) ctx.console.warning("no seed file matches " + util::quoted(p));
        extras.seeds = std::move(*listing);
    }
    if (extras.rollback_on_verify) {
        TRY_ASSIGN(extras.verify, read_verify_options(ctx, project));
    }
    return extras;
}

Result<void> plan_push_extras(db::Session& db, PushExtras& extras,
                              std::span<const migrations::Migration* const> pending) {
    if (extras.rollback_on_verify) {
        std::vector<std::string> missing;
        for (const auto* m : pending)
            if (!m->down) missing.push_back(m->file.version + " (" + m->file.display + ")");
        if (!missing.empty()) {
            std::string list;
            for (const auto& s : missing) list += (list.empty() ? "" : ", ") + s;
            return fail(ErrorKind::operation,
                        "push --rollback-on-verify-failure refused, nothing was applied: " +
                            plural(missing.size(), "pending migration") + (missing.size() == 1 ? " has" : " have") +
                            " no down SQL, so a failed verify could not roll " + (missing.size() == 1 ? "it" : "them") +
                            " back: " + list,
                        "write each undo in supabase/migrations/down/<version>_<name>.sql (a folder the Supabase "
                        "CLI ignores), or push without --rollback-on-verify-failure");
        }
    }
    if (extras.seed && !extras.seeds.files.empty()) {
        auto recorded = db::read_seed_files(db);
        if (!recorded) return fail(std::move(recorded.error()));
        extras.pending_seeds = migrations::pending_seeds(extras.seeds.files, *recorded);
        extras.seed_table_exists = !recorded->empty() || db::seed_table_exists(db);
    }
    return {};
}

std::string describe_push_extras(Context& ctx, const PushExtras& extras, Report& rep) {
    if (!extras.seed) return {};
    std::vector<std::string> paths;
    if (extras.pending_seeds.empty()) {
        ctx.console.line("Seed data is up to date (" + plural(extras.seeds.files.size(), "file") + ")");
        rep.set("seed_pending", "[]");
        return "Seed data is up to date.\n";
    }
    ctx.console.line("Would seed " + plural(extras.pending_seeds.size(), "file") + ":");
    md::Table table({"Seed file", "Why"});
    for (const auto& p : extras.pending_seeds) {
        const bool changed = p.change == migrations::SeedChange::changed;
        ctx.console.line("  " + p.file->display + (changed ? " (changed since it was seeded)" : ""));
        table.row({md::Cell::code(p.file->display),
                   md::Cell::text(changed ? "changed since it was seeded" : "not seeded yet")});
        paths.push_back(p.file->display);
    }
    rep.set("seed_pending", json_array(paths));
    return "Would seed:\n\n" + table.render_collapsed(md::bold(md::count(paths.size(), "seed file") + " would run"));
}

namespace {

// Markdown for a failure: "`file` line 7: message" and its hint, one paragraph each.
std::string failure_block(const Error& e) {
    std::string where = e.file.empty()
                            ? std::string()
                            : md::code(e.file) + (e.line > 0 ? " line " + std::to_string(e.line) : "") + ": ";
    return where + md::text(e.message) + (e.hint.empty() ? "" : "\n\nhint: " + md::text(e.hint)) + "\n";
}

// The seed files, each in its own transaction; the first failure stops them.
void seed_after_push(Context& ctx, db::Session& db, const PushExtras& extras, const migrations::Settings& settings,
                     Report& rep, AfterPush& out) {
    std::vector<std::string> seeded;
    bool table_exists = extras.seed_table_exists;
    md::Table table({"Seed file", "Result", "Time"});
    std::optional<Error> failure;
    for (const auto& p : extras.pending_seeds) {
        const auto create = table_exists ? migrations::CreateTable::no : migrations::CreateTable::yes;
        auto r = migrations::apply_seed(db, *p.file, create, settings);
        if (!r) {
            failure = r.error();
            if (p.change == migrations::SeedChange::changed && failure->sqlstate == "23505")
                failure->hint = "it changed since it was seeded, so it runs again whole: make its inserts "
                                "re-runnable (INSERT ... ON CONFLICT DO NOTHING); nothing of it was applied (the "
                                "migrations were)";
            table.row({md::Cell::code(p.file->display),
                       md::Cell::raw("❌ **failed** at line " + std::to_string(r.error().line))});
            break;
        }
        table_exists = true;
        const bool changed = p.change == migrations::SeedChange::changed;
        ctx.console.line("Seeded " + p.file->display + (changed ? " again: it changed since it was seeded (" : " (") +
                         format_ms(*r) + ")");
        table.row({md::Cell::code(p.file->display), md::Cell::text(changed ? "seeded again (changed)" : "seeded"),
                   md::Cell::text(format_ms(*r))});
        seeded.push_back(p.file->display);
    }
    if (extras.pending_seeds.empty())
        ctx.console.line("Seed data is up to date (" + plural(extras.seeds.files.size(), "file") + ")");
    rep.set("seeded", json_array(seeded));
    rep.set("seeded_count", std::to_string(seeded.size()));
    out.seeded = seeded.size();
    if (!table.empty())
        out.summary += table.render_collapsed(md::bold(md::count(seeded.size(), "seed file") + " run")) + "\n";
    if (!failure) return;
    out.summary += failure_block(*failure);
    out.failed = "seed data failed at " + md::code(failure->file) + " line " + std::to_string(failure->line);
    ctx.console.error(*failure);
    out.code = 1;
}

// Verify failed: this push's migrations, newest first, with their down SQL.
void roll_back_push(Context& ctx, db::Session& db, std::span<const migrations::Migration* const> applied,
                    const migrations::Settings& settings, Report& rep, AfterPush& out) {
    std::vector<migrations::RollbackStep> steps;
    for (std::size_t i = applied.size(); i > 0; --i) {
        const auto* m = applied[i - 1];
        steps.push_back(migrations::RollbackStep{m->file.version, m->file.name, m, false});
    }
    ctx.console.group_begin("Verify failed: rolling back the " + plural(steps.size(), "migration") + " of this push");
    auto outcome = roll_back_steps(ctx, db, steps, settings);
    ctx.console.group_end();
    rep.set("rolled_back", json_array(outcome.rolled_back));
    rep.set("rolled_back_count", std::to_string(outcome.rolled_back.size()));
    out.rolled_back = outcome.rolled_back.size();
    const std::string rolled = "rolled back " + plural(outcome.rolled_back.size(), "migration") + " of this push";
    out.failed = "verify failed, " + rolled + (outcome.failure ? " before a rollback failed" : "");
    out.summary += "**Verify failed**: " + rolled + (outcome.failure ? " before a rollback failed" : "") + ".\n\n" +
                   outcome.table.render_collapsed(md::bold(md::count(steps.size(), "rollback"))) + "\n";
    if (outcome.failure) {
        out.summary += failure_block(*outcome.failure);
        ctx.console.error(*outcome.failure);
    }
    std::string list;
    for (const auto& v : outcome.rolled_back) list += (list.empty() ? "" : ", ") + v;
    ctx.console.error(make_error(
        ErrorKind::operation,
        "verify failed after the push: " +
            (outcome.rolled_back.empty() ? std::string("nothing was rolled back") : rolled + " (" + list + ")") +
            (outcome.failure ? "; " + plural(outcome.remaining.size(), "migration") + " could not be" : ""),
        outcome.failure
            ? "fix the down SQL and finish with sbdeploy rollback"
            : "the rolled-back migrations are pending again: fix them (or the expectations) and push again"));
    out.code = 1;
}

// verify's checks on the push's session; when they fail, this push is rolled back.
void verify_after_push(Context& ctx, db::Session& db, const PushExtras& extras,
                       std::span<const migrations::Migration* const> applied, const migrations::Settings& settings,
                       Report& rep, AfterPush& out) {
    auto checked = verify_check(ctx, extras.verify, &db);
    if (checked) {
        record_verify(rep, *checked);
        out.summary += "**Verify**: " + verify_detail(*checked) + "\n\n" + checked->table + "\n";
        if (checked->verified()) {
            rep.set("rolled_back", "[]");
            return;
        }
        ctx.console.error(verify_failure(*checked));
        if (!applied.empty()) return roll_back_push(ctx, db, applied, settings, rep, out);
    } else {
        ctx.console.error(checked.error());
    }
    rep.set("rolled_back", "[]");
    const std::string why = checked ? "verify failed" : "verify could not run";
    ctx.console.error(make_error(ErrorKind::operation,
                                 why + " after the push; nothing was rolled back: this push applied " +
                                     (applied.empty() ? std::string("no migration")
                                                      : plural(applied.size(), "migration")),
                                 checked ? "fix what verify reports"
                                         : "fix the verify options and run sbdeploy verify; roll back by hand "
                                           "with sbdeploy rollback if needed"));
    out.summary += "**" + why + "**: nothing was rolled back.\n";
    out.failed = why + ", nothing was rolled back";
    out.code = checked ? 1 : checked.error().exit_code();
}

} // namespace

AfterPush after_push(Context& ctx, db::Session& db, const PushExtras& extras,
                     std::span<const migrations::Migration* const> applied, const migrations::Settings& settings,
                     Report& rep) {
    AfterPush out;
    if (extras.seed) seed_after_push(ctx, db, extras, settings, rep, out);
    if (out.code == 0 && extras.rollback_on_verify) verify_after_push(ctx, db, extras, applied, settings, rep, out);
    return out;
}

} // namespace sbdeploy::cli
