// push's apply of the pending files (see push_run.hpp): batches through migrations::Pusher, a
// line and a summary row per file, and what a failure leaves (applied, failed, never ran).
#include "cli/push_run.hpp"

#include "cli/interrupt.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;
using util::format_ms;

// The lines and warnings of a file that applied.
void report_applied(Context& ctx, const migrations::Migration& m, const migrations::Applied& r) {
    for (const auto& n : r.notices) ctx.console.debug(m.file.filename + ": " + n);
    github::Location file;
    file.file = m.file.display;
    if (!r.warning.empty())
        ctx.console.warning(r.warning, file);  // applied, as the history shows, but the answer did not say so
    for (const auto& index : r.dropped_indexes)
        ctx.console.warning("dropped the invalid index " + index +
                                " that an interrupted or failed run of this file left, and built it again",
                            file);
    ctx.console.line("Applied " + m.file.filename + " (" + format_ms(r.ms) +
                     (r.by == migrations::AppliedBy::earlier_attempt
                          ? "; its request was retried and the first attempt had committed it)"
                          : ")"));
}

std::vector<md::Cell> row(const migrations::Migration& m, md::Cell result, std::string time = {}) {
    return {md::Cell::text(m.file.version), md::Cell::text(m.file.name), std::move(result), md::Cell::text(time)};
}

// "`a.sql`, `b.sql`", ten at most.
std::string files_text(const std::vector<const migrations::Migration*>& files) {
    std::string r;
    for (std::size_t i = 0; i < files.size() && i < 10; ++i) r += (i ? ", " : "") + md::code(files[i]->file.filename);
    if (files.size() > 10) r += ", ... (" + std::to_string(files.size()) + " in all)";
    return r;
}

} // namespace

Applied apply_pending(Context& ctx, PushRun& run) {
    Applied out;
    const auto& pending = run.pending;
    // Files go in batches (one round trip each over libpq); a file already sent commits or not
    // whatever we do now, so a stop waits for its answer and stops before the next batch.
    std::optional<migrations::Pusher> own;  // unless the bet on the history sent the first batch
    migrations::Pusher& pusher = run.pusher ? *run.pusher : own.emplace(*run.session, pending, run.settings);
    // Nothing after the migrations needs the lock: its release goes with the last batch.
    if (own && !run.extras.seed && !run.extras.rollback_on_verify)
        pusher.send_after_last({db::release_push_lock_item()});
    for (const auto* m : pending) {
        if (!pusher.in_flight() && interrupted()) {  // SIGINT/SIGTERM: stop between batches
            out.failure = push_stopped_before(*m, out.applied.size(), pending.size());
            break;
        }
        if (m->plan.mode == migrations::FileMode::non_transactional)
            ctx.console.notice("applying " + m->file.filename +
                               " statement by statement: it cannot run in a transaction block; it is recorded only "
                               "after its last statement succeeds");
        auto r = pusher.next();
        if (!r) {
            out.failure = push_interruption(*m, r.error(), out.applied.size()).value_or(r.error());
            out.failed = m;
            const int line = r.error().line;
            out.table.row(row(*m,
                              md::Cell::raw("❌ **failed**" + (line > 0 ? " at line " + std::to_string(line) : ""))));
            break;
        }
        ++out.processed;
        if (r->by == migrations::AppliedBy::another_run) {
            ctx.console.line("Skipped " + m->file.filename + ": another run applied it meanwhile");
            out.table.row(row(*m, md::Cell::text("applied by another run")));
            continue;
        }
        report_applied(ctx, *m, *r);
        out.table.row(row(*m, md::Cell::text("applied"), format_ms(r->ms)));
        out.applied.push_back({m, r->ms});
    }
    out.lock_released = pusher.sent_after();
    // What never ran gets a row too, so the table shows the whole push.
    for (const auto* m : remaining(run, out))
        if (m != out.failed) out.table.row(row(*m, md::Cell::text("not run")));
    return out;
}

std::vector<const migrations::Migration*> remaining(const PushRun& run, const Applied& applied) {
    return {run.pending.begin() + static_cast<std::ptrdiff_t>(applied.processed), run.pending.end()};
}

std::string failure_summary(const PushRun& run, const Applied& applied, std::string& detail) {
    const Error& e = *applied.failure;
    std::vector<const migrations::Migration*> never;
    for (const auto* m : remaining(run, applied))
        if (m != applied.failed) never.push_back(m);
    detail = std::to_string(applied.applied.size()) + " of " + std::to_string(run.pending.size()) + " applied";
    if (applied.failed != nullptr)
        detail += ", failed at " + md::code(applied.failed->file.filename) +
                  (e.line > 0 ? " line " + std::to_string(e.line) : "");
    else
        detail += ", stopped: " + md::text(e.message);
    const std::string where = e.file.empty()
                                  ? std::string()
                                  : md::code(e.file) + (e.line > 0 ? " line " + std::to_string(e.line) : "") + ": ";
    std::string out = "**Failed**: " + where + md::text(e.message) + "\n\n";
    if (!e.hint.empty()) out += "hint: " + md::text(e.hint) + "\n\n";
    out += "**Stayed applied**: " +
           (applied.applied.empty() ? std::string("nothing of this push")
                                    : md::count(applied.applied.size(), "migration") + " applied before the failure") +
           ". **Never ran**: " + (never.empty() ? std::string("nothing") : files_text(never)) + ".\n";
    return out;
}

} // namespace sbdeploy::cli
