// validate on a shadow database: the pending files applied for real, file by file, with push's
// Pusher (see apply_on_shadow in apply.hpp). A shadow is a throwaway database the job owns, so
// nothing is rolled back: no transaction outlives its file, and the server's lock table, which
// caps a one-transaction dry run, is no limit here.
#include <chrono>

#include "db/history.hpp"
#include "migrations/apply.hpp"
#include "migrations/apply_internal.hpp"

namespace sbdeploy::migrations {

namespace {

bool one_transaction(const Migration& m) {
    return m.plan.mode == FileMode::atomic || m.plan.mode == FileMode::self_wrapped;
}

// A file the observer watches: BEGIN, before(), the file and its history row, after() (the
// down check, which returns to the state the file left), COMMIT. A failure of the file or of
// its COMMIT (deferred constraints) is its verdict; the observer's own errors end the run.
Result<DryRun> apply_watched(db::Session& s, const Migration& m, const Settings& settings, DryRunObserver& observer) {
    const auto start = std::chrono::steady_clock::now();
    DryRun d{&m, Verdict::ok, std::nullopt, 0, {}};
    auto abort = [&](Error e) -> Result<DryRun> {
        (void)s.exec("ROLLBACK");
        return fail(std::move(e));
    };
    if (auto begin = s.exec("BEGIN"); !begin) return fail(std::move(begin.error()));
    if (auto seen = observer.before(s, m); !seen) return abort(std::move(seen.error()));
    std::vector<db::BatchItem> items;
    std::vector<std::string> storage;
    storage.reserve(2);  // items hold views into it
    detail::add_setup(items, settings, storage);
    const std::size_t setup = items.size();
    const std::vector<std::size_t> item_to_statement = detail::append_statements(items, m);
    const BookkeepingReset reset(settings);
    reset.append_to(items);
    items.push_back(db::insert_history_item(m.file.version, m.file.name, db::text_array_literal(m.texts())));
    auto ran = s.exec_batch(items, db::BatchMode::in_caller);
    if (!ran && ran.error().error.kind == ErrorKind::connection) return fail(std::move(ran.error().error));
    if (ran) {
        if (auto seen = observer.after(s, m); !seen) return abort(std::move(seen.error()));
        auto commit = s.exec("COMMIT");
        if (commit) {
            s.take_notices();
            d.ms = detail::elapsed_ms(start);
            return d;
        }
        if (commit.error().kind == ErrorKind::connection) return fail(std::move(commit.error()));
        // The COMMIT's failure, at the index batch_error gives a COMMIT.
        ran = std::unexpected(db::BatchFailure{items.size(), std::move(commit.error())});
    }
    (void)s.exec("ROLLBACK");  // after a failed COMMIT too: harmless, no transaction is left
    s.take_notices();
    d.verdict = Verdict::failed;
    d.error = detail::batch_error(m, item_to_statement, setup, ran.error());
    d.ms = detail::elapsed_ms(start);
    return d;
}

// Applies pending[k..end) with a Pusher, appending a verdict per file it got to; stops after a
// failure (a Pusher is not called again after one). Returns where it stopped.
Result<std::size_t> push_run(db::Session& s, std::span<const Migration* const> pending, std::size_t k, std::size_t end,
                             const Settings& settings, std::vector<DryRun>& out) {
    Pusher pusher(s, pending.subspan(k, end - k), settings);
    while (k < end) {
        const Migration& m = *pending[k++];
        auto r = pusher.next();
        if (r) {
            out.push_back(DryRun{&m, Verdict::ok, std::nullopt, r->ms, {}});
            continue;
        }
        if (r.error().kind == ErrorKind::connection) return fail(std::move(r.error()));
        out.push_back(DryRun{&m, Verdict::failed, std::move(r.error()), 0, {}});
        break;
    }
    return k;
}

} // namespace

Result<DryRunReport> apply_on_shadow(db::Session& shadow, std::span<const Migration* const> pending,
                                     const Settings& settings, DryRunObserver* observer, KeepGoing keep_going) {
    if (auto t = db::ensure_history_table(shadow); !t) return fail(std::move(t.error()));
    const auto watched = [&](const Migration& m) { return observer && observer->watches(m) && one_transaction(m); };
    DryRunReport report;
    auto& files = report.files;
    std::size_t k = 0;
    while (k < pending.size()) {
        const Migration& m = *pending[k];
        if (watched(m)) {
            auto d = apply_watched(shadow, m, settings, *observer);
            if (!d) return fail(std::move(d.error()));
            files.push_back(std::move(*d));
            ++k;
        } else {
            std::size_t end = k;
            while (end < pending.size() && !watched(*pending[end])) ++end;
            auto stopped = push_run(shadow, pending, k, end, settings, files);
            if (!stopped) return fail(std::move(stopped.error()));
            for (; k < *stopped; ++k)
                if (observer && observer->watches(*pending[k]) && files[k].verdict == Verdict::ok)
                    observer->unwatched(*pending[k], "on the shadow database it is applied for real as push applies "
                                                     "it (not in one transaction), so its down SQL is not run");
        }
        // KeepGoing::yes applies on: a later failure may be a consequence (validate marks it).
        if (!files.empty() && files.back().verdict == Verdict::failed && keep_going == KeepGoing::no) break;
    }
    for (std::size_t i = files.size(); i < pending.size(); ++i)
        files.push_back(DryRun{pending[i], Verdict::not_run, std::nullopt, 0, {}});
    return report;
}

} // namespace sbdeploy::migrations
