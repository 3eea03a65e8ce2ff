#include "cli/push_extras.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/rollback.hpp"
#include "db/seed.hpp"
#include "github/outputs.hpp"
#include "migrations/config_toml.hpp"
#include "policy/promotion.hpp"
#include "util/strings.hpp"
#include "verify/expect.hpp"
#include "verify/health.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;

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
Result<void> check_verify_options(const Context& ctx, const Project& project) {
    bool any = false;
    for (const auto& line : ctx.options.list("expect")) {
        if (util::trim(line).empty()) continue;
        any = true;
        if (auto e = verify::parse_expectation(line, "--expect"); !e) return fail(std::move(e.error()));
    }
    if (auto file = ctx.options.get("expect-file")) {
        any = true;
        fs::path path(*file);
        if (path.is_relative()) path = fs::path(project.workdir) / path;
        std::string content, why;
        if (!util::read_file(path.string(), content, why))
            return fail(ErrorKind::config, "option --expect-file: cannot read " + util::quoted(*file) + ": " + util::to_lower(why),
                        "give a file of expectations, one a line, such as table:public.moods");
        if (auto lines = verify::parse_expectation_lines(content, *file); !lines) return fail(std::move(lines.error()));
    }
    for (const auto& url : ctx.options.list("health-url")) {
        if (util::trim(url).empty()) continue;
        any = true;
        if (auto ok = verify::check_url(util::trim(url)); !ok) return fail(std::move(ok.error()));
    }
    if (!any)
        return fail(ErrorKind::usage, "push --rollback-on-verify-failure: nothing to verify",
                    "give --expect (such as table:public.moods), --expect-file or --health-url");
    return {};
}

// ==== Integration point with verify (issue 11) ====
// verify offers no function that checks and returns a verdict (src/cli/verify.cpp has only
// the command's handler), so push runs the handler on its own options: its lines, outputs
// (verified, missing, failing) and summary section, but not its --json document, so stdout
// keeps push's. Returns verify's exit code. When verify exposes a check function, call it
// here instead.
int run_verify_after_push(Context& ctx) {
    std::ostringstream json_sink;
    Context quiet{ctx.command, ctx.env, ctx.options, ctx.console, json_sink, false};
    return run_verify(quiet);
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
    if (extras.rollback_on_verify)
        if (auto ok = check_verify_options(ctx, project); !ok) return fail(std::move(ok.error()));
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
    std::string md;
    if (extras.pending_seeds.empty()) {
        ctx.console.line("Seed data is up to date (" + plural(extras.seeds.files.size(), "file") + ")");
        md = "\nSeed data is up to date.\n";
    } else {
        ctx.console.line("Would seed " + plural(extras.pending_seeds.size(), "file") + ":");
        md = "\nWould seed:\n\n| Seed file | Why |\n|---|---|\n";
        for (const auto& p : extras.pending_seeds) {
            const bool changed = p.change == migrations::SeedChange::changed;
            ctx.console.line("  " + p.file->display + (changed ? " (changed since it was seeded)" : ""));
            md += "| `" + p.file->display + "` | " + (changed ? "changed since it was seeded" : "not seeded yet") + " |\n";
            paths.push_back(p.file->display);
        }
    }
    rep.set("seed_pending", json_array(paths));
    return md;
}

AfterPush after_push(Context& ctx, db::Session& db, const PushExtras& extras,
                     std::span<const migrations::Migration* const> applied, const migrations::Settings& settings,
                     Report& rep) {
    AfterPush out;
    if (extras.seed) {
        std::vector<std::string> seeded;
        bool table = extras.seed_table_exists;
        std::string rows;
        std::optional<Error> failure;
        for (const auto& p : extras.pending_seeds) {
            const auto create = table ? migrations::CreateTable::no : migrations::CreateTable::yes;
            auto r = migrations::apply_seed(db, *p.file, create, settings);
            if (!r) {
                failure = r.error();
                if (p.change == migrations::SeedChange::changed && failure->sqlstate == "23505")
                    failure->hint = "it changed since it was seeded, so it runs again whole: make its inserts "
                                    "re-runnable (INSERT ... ON CONFLICT DO NOTHING); nothing of it was applied (the "
                                    "migrations were)";
                rows += "| `" + p.file->display + "` | **failed** at line " + std::to_string(r.error().line) + " | |\n";
                break;
            }
            table = true;
            const bool changed = p.change == migrations::SeedChange::changed;
            ctx.console.line("Seeded " + p.file->display + (changed ? " again: it changed since it was seeded (" : " (") +
                             format_ms(*r) + ")");
            rows += "| `" + p.file->display + "` | " + (changed ? "seeded again (changed)" : "seeded") + " | " +
                    format_ms(*r) + " |\n";
            seeded.push_back(p.file->display);
        }
        if (extras.pending_seeds.empty())
            ctx.console.line("Seed data is up to date (" + plural(extras.seeds.files.size(), "file") + ")");
        rep.set("seeded", json_array(seeded));
        rep.set("seeded_count", std::to_string(seeded.size()));
        out.seeded = seeded.size();
        if (!rows.empty()) out.summary += "\n| Seed file | Result | Time |\n|---|---|---|\n" + rows;
        if (failure) {
            out.summary += "\n**" + failure->file + ":" + std::to_string(failure->line) + "**: " +
                           github::escape_markdown(failure->message) + "\n";
            ctx.console.error(*failure);
            out.code = 1;
            return out;
        }
    }
    if (!extras.rollback_on_verify) return out;

    const int verified = run_verify_after_push(ctx);
    if (verified == 0) {
        rep.set("rolled_back", "[]");
        return out;
    }
    if (verified != 1 || applied.empty()) {
        rep.set("rolled_back", "[]");
        const std::string why = verified != 1 ? "verify could not run" : "verify failed";
        ctx.console.error(make_error(ErrorKind::operation,
                                     why + " after the push; nothing was rolled back: this push applied " +
                                         (applied.empty() ? std::string("no migration") : plural(applied.size(), "migration")),
                                     verified != 1 ? "fix the verify options and run sbdeploy verify; roll back by hand "
                                                     "with sbdeploy rollback if needed"
                                                   : "fix what verify reports"));
        out.summary += "\n**" + why + "**: nothing was rolled back.\n";
        out.code = verified;
        return out;
    }

    // Verify failed: this push's migrations, newest first, with their down SQL.
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
    out.summary += "\n**Verify failed**: rolled back " + plural(outcome.rolled_back.size(), "migration") +
                   " of this push" + (outcome.failure ? " before a rollback failed" : "") +
                   ".\n\n| Version | Name | Result | Time |\n|---|---|---|---|\n" + outcome.table;
    if (outcome.failure) {
        out.summary += "\n**" + outcome.failure->file + ":" + std::to_string(outcome.failure->line) + "**: " +
                       github::escape_markdown(outcome.failure->message) + "\n";
        ctx.console.error(*outcome.failure);
    }
    std::string list;
    for (const auto& v : outcome.rolled_back) list += (list.empty() ? "" : ", ") + v;
    ctx.console.error(make_error(
        ErrorKind::operation,
        "verify failed after the push: " +
            (outcome.rolled_back.empty() ? std::string("nothing was rolled back")
                                         : "rolled back " + plural(outcome.rolled_back.size(), "migration") +
                                               " of this push (" + list + ")") +
            (outcome.failure ? "; " + plural(outcome.remaining.size(), "migration") + " could not be" : ""),
        outcome.failure ? "fix the down SQL and finish with sbdeploy rollback"
                        : "the rolled-back migrations are pending again: fix them (or the expectations) and push again"));
    out.code = 1;
    return out;
}

} // namespace sbdeploy::cli
