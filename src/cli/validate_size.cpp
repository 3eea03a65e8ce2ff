#include "cli/validate_size.hpp"

#include <algorithm>

#include "migrations/lock_budget.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using migrations::DryRun;
using migrations::Verdict;

std::size_t count_failed(std::span<const DryRun> files) {
    return static_cast<std::size_t>(std::ranges::count_if(files, [](const DryRun& d) {
        return d.verdict == Verdict::failed;
    }));
}

// "files 1-3,100 passed the dry run", "file 1 passed the dry run", "files 1-40 were dry-run (2 failed, see above)"
std::string dry_run_files(std::size_t ran, std::size_t failed) {
    const std::string range = ran == 1 ? "file 1" : "files 1-" + util::grouped(ran);
    if (failed == 0) return range + " passed the dry run";
    return range + (ran == 1 ? " was" : " were") + " dry-run (" + util::grouped(failed) + " failed, see above)";
}

// The one error of a dry run that ended at the server's lock capacity, before file `stop`.
Error capacity_error(std::span<const DryRun> files, std::size_t stop, const std::optional<migrations::LockCapacity>& c,
                     bool met) {
    const std::string limit = "need more locks than this server allows in one transaction";
    const std::string message = stop == 0
                                    ? "no pending migration was dry-run: they " + limit
                                    : dry_run_files(stop, count_failed(files.first(stop))) + "; the rest " + limit;
    const std::size_t rest = files.size() - stop;
    std::string detail = util::plural(rest, "migration") + " from " +
                         util::quoted(files[stop].migration->file.filename) + " on " + (rest == 1 ? "was" : "were") +
                         " not run: ";
    detail += met ? "the server ran out of lock memory in it (SQLSTATE 53200, out of shared memory)"
                  : "a dry run holds a lock on every object it creates or changes until it rolls back";
    if (c)
        detail += "; the lock table holds " + c->describe() + " objects for all sessions, " +
                  util::grouped(static_cast<std::size_t>(std::max(0L, c->held_by_others))) +
                  " of them held by others now";
    Error e = make_error(ErrorKind::operation, message,
                         "validate them on a shadow database (--shadow-db-url) or raise max_locks_per_transaction");
    e.detail = std::move(detail);
    return e;
}

} // namespace

Result<SizedDryRun> dry_run_within_capacity(Context& ctx, db::Session& db,
                                            std::span<const migrations::Migration* const> pending,
                                            const migrations::Settings& settings,
                                            migrations::DryRunObserver* observer) {
    const auto keep_going = ctx.options.flag("keep-going") ? migrations::KeepGoing::yes : migrations::KeepGoing::no;
    std::optional<migrations::LockCapacity> capacity;
    std::size_t fits = pending.size();
    if (auto read = migrations::read_lock_capacity(db)) {
        capacity = *read;
        fits = migrations::files_that_fit(pending, read->budget());
        ctx.console.debug("validate: lock table " + read->describe() + ", " + std::to_string(read->held_by_others) +
                          " held by other sessions; " + std::to_string(fits) + " of " + std::to_string(pending.size()) +
                          " pending migrations fit in the dry run's transaction");
    } else {
        // The dry run still stops, and says so, should the lock table fill up (SQLSTATE 53200).
        ctx.console.debug("validate: the server's lock settings could not be read: " + read.error().message);
    }
    SizedDryRun run;
    if (fits > 0) {
        auto r = migrations::dry_run(db, pending.first(fits), settings, observer, keep_going);
        if (!r) return fail(std::move(r.error()));
        static_cast<migrations::DryRunReport&>(run) = std::move(*r);
    }
    for (std::size_t k = run.files.size(); k < pending.size(); ++k)
        run.files.push_back(DryRun{pending[k], Verdict::not_run, std::nullopt, 0, {}});
    // Stopped at a failing file before the capacity mattered: that failure is the one error.
    const bool stopped_at_failure = keep_going == migrations::KeepGoing::no &&
                                    count_failed(std::span<const DryRun>(run.files).first(fits)) > 0;
    if (run.out_of_locks)
        run.capacity = capacity_error(run.files, *run.out_of_locks, capacity, true);
    else if (fits < pending.size() && !stopped_at_failure)
        run.capacity = capacity_error(run.files, fits, capacity, false);
    return run;
}

Result<SizedDryRun> apply_within_shadow(Context& ctx, db::Session& shadow,
                                        std::span<const migrations::Migration* const> pending,
                                        const migrations::Settings& settings, migrations::DryRunObserver* observer) {
    const auto keep_going = ctx.options.flag("keep-going") ? migrations::KeepGoing::yes : migrations::KeepGoing::no;
    auto r = migrations::apply_on_shadow(shadow, pending, settings, observer, keep_going);
    if (!r) return fail(std::move(r.error()));
    SizedDryRun run;
    static_cast<migrations::DryRunReport&>(run) = std::move(*r);
    return run;
}

std::string not_run_note(std::span<const FileVerdict> files, const SizedDryRun& run) {
    const auto not_run = static_cast<std::size_t>(std::ranges::count_if(files, [](const FileVerdict& f) {
        return f.run->verdict == Verdict::not_run;
    }));
    if (not_run == 0) return "";
    if (run.capacity) return run.capacity->message;
    return util::plural(not_run, "migration") + " after the first failure " + (not_run == 1 ? "was" : "were") +
           " not run: the dry run stops there, as push does (--keep-going gives every file a verdict)";
}

std::string failed_outcome(std::span<const FileVerdict> files, const SizedDryRun& run) {
    std::size_t failed = 0, consequential = 0, not_run = 0;
    for (const auto& f : files) {
        failed += f.failed() ? 1 : 0;
        consequential += f.after_failure_of != nullptr ? 1 : 0;
        not_run += f.run->verdict == Verdict::not_run ? 1 : 0;
    }
    const std::string of = " of " + util::grouped(files.size()) + " migrations";
    if (run.capacity)
        return "The dry run stopped at the server's lock capacity: " + util::grouped(files.size() - not_run) + of +
               " dry-run, " + util::grouped(failed) + " failed; nothing was changed";
    std::string line = util::grouped(failed) + of + " failed the dry run";
    if (not_run > 0) line += " (" + util::grouped(not_run) + " not run after it)";
    if (consequential > 0) line += " (" + util::grouped(consequential) + " possibly as a consequence of the first)";
    return line + "; nothing was changed";
}

} // namespace sbdeploy::cli
