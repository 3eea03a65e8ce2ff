// The dry run over a session transport: one transaction, a savepoint per file, the files the
// observer does not watch in pipelined batches (dry_run_pipeline.cpp) and the ones it watches
// one by one, then ROLLBACK; the sequences it moved put back. Scope::call transports dry-run in
// one request (apply_api.cpp).
#include "migrations/dry_run.hpp"

#include <chrono>
#include <optional>
#include <span>

#include "db/history.hpp"
#include "db/sequences.hpp"
#include "migrations/apply_internal.hpp"

namespace sbdeploy::migrations {

using detail::batch_error;
using detail::dry_run_in_one_call;
using detail::dry_run_stops_after;
using detail::elapsed_ms;
using detail::out_of_lock_memory;
using detail::unfaithful_failure;

namespace detail {

// Why a dry run's failure of `m` says nothing about the push: a file that commits in the middle
// so that a later part can use an enum value an earlier part added (SQLSTATE 55P04, "unsafe use
// of new value") fails in a dry run, which commits nothing, and passes in a push. Empty: a real
// failure.
std::string unfaithful_failure(const Migration& m, const Error& e) {
    if (m.plan.mode != FileMode::parts || e.sqlstate != "55P04") return {};
    return "it commits in the middle (line " + std::to_string(m.statements[m.plan.first_split].code_line) +
           ") so that a later part can use an enum value an earlier part added, and a dry run commits nothing";
}

} // namespace detail

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::failed: return "failed";
    case Verdict::not_dry_run: return "not dry-run";
    case Verdict::not_run: return "not run";
    }
    return "?";
}

namespace {

// One file of the dry run on its own round trips: its savepoint, the observer's before(), the
// file, after(), the release. Errors end the dry run (the transaction rolled back).
Result<DryRun> dry_run_one(db::Session& session, const Migration* m, const Settings& settings, DryRunObserver* observer,
                           const BookkeepingReset& reset) {
    DryRun d{m, Verdict::ok, std::nullopt, 0, {}};
    auto start = std::chrono::steady_clock::now();
    auto sp = session.exec("SAVEPOINT sbdeploy_dry_run");
    if (!sp) {
        (void)session.exec("ROLLBACK");
        return fail(sp.error());
    }
    if (auto seen = observer ? observer->before(session, *m) : Result<void>(); !seen) {
        (void)session.exec("ROLLBACK");
        return fail(std::move(seen.error()));
    }
    std::vector<db::BatchItem> items;
    std::vector<std::string> storage;
    storage.reserve(2);  // items hold views into it
    detail::add_local_setup(items, settings, storage);
    std::size_t setup = items.size();
    const std::vector<std::size_t> item_to_statement = detail::append_statements(items, *m);
    auto literal = db::text_array_literal(m->texts());
    reset.append_to(items);
    items.push_back(db::insert_history_item(m->file.version, m->file.name, literal));
    // What the commit would check: deferred constraints. The savepoint restores their
    // mode afterwards, so later files see their constraints deferred as in a push.
    items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
    items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
    items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
    auto r = session.exec_batch(items, db::BatchMode::in_caller);
    d.ms = elapsed_ms(start);
    if (!r) {
        if (r.error().error.kind == ErrorKind::connection) return fail(r.error().error);
        d.why_not = unfaithful_failure(*m, r.error().error);
        d.verdict = d.why_not.empty() ? Verdict::failed : Verdict::not_dry_run;
        if (d.why_not.empty()) d.error = batch_error(*m, item_to_statement, setup, r.error());
        auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_dry_run");
        if (!back) return fail(back.error());
    } else {
        auto seen = observer ? observer->after(session, *m) : Result<void>();
        if (!seen && out_of_lock_memory(seen.error())) {  // the lock table is full: where the dry run ends
            d.verdict = Verdict::failed;
            d.error = std::move(seen.error());
            auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_dry_run");
            if (!back) return fail(back.error());
        } else if (!seen) {
            (void)session.exec("ROLLBACK");
            return fail(std::move(seen.error()));
        } else if (auto rel = session.exec("RELEASE SAVEPOINT sbdeploy_dry_run"); !rel) {
            return fail(rel.error());
        }
    }
    session.take_notices();
    return d;
}

// The dry run over a session transport: BEGIN, a savepoint per file, ROLLBACK.
Result<std::vector<DryRun>> dry_run_in_session(db::Session& session, std::span<const Migration* const> pending,
                                               const Settings& settings, DryRunObserver* observer,
                                               KeepGoing keep_going) {
    std::vector<DryRun> results;
    bool table_complete = db::history_table_complete(session);
    // One round trip: BEGIN, the lock timeout, and the history table as push would create it,
    // inside the transaction; only when needed, as its DDL would lock the table for the whole
    // dry run.
    std::string start = "BEGIN";
    if (settings.lock_timeout_ms > 0)
        start += ";\nSET LOCAL lock_timeout = '" + std::to_string(settings.lock_timeout_ms) + "ms'";
    if (!table_complete)
        for (auto s : db::history_table_statements()) start += ";\n" + std::string(s);
    if (auto begun = session.exec(start); !begun) {
        (void)session.exec("ROLLBACK");
        return fail(begun.error());
    }
    const BookkeepingReset reset(settings);
    // Files the observer does not watch go in pipelined batches (one round trip each); the
    // ones it watches, one by one, so that it can run its SQL between their steps.
    const auto watched = [&](const Migration* m) {
        return observer != nullptr && m->plan.mode != FileMode::non_transactional && observer->watches(*m);
    };
    for (std::size_t k = 0; k < pending.size();) {
        if (watched(pending[k])) {
            auto d = dry_run_one(session, pending[k++], settings, observer, reset);
            if (!d) return fail(std::move(d.error()));
            results.push_back(std::move(*d));
        } else {
            std::size_t end = k;
            while (end < pending.size() && !watched(pending[end])) ++end;
            auto taken = detail::dry_run_batch(session, pending.subspan(k, end - k), settings, results);
            if (!taken) return fail(std::move(taken.error()));
            k += *taken;
        }
        if (!results.empty() && dry_run_stops_after(results.back(), keep_going)) break;
    }
    for (std::size_t k = results.size(); k < pending.size(); ++k)
        results.push_back(DryRun{pending[k], Verdict::not_run, std::nullopt, 0, {}});
    auto rb = session.exec("ROLLBACK");
    if (!rb) return fail(rb.error());
    return results;
}

} // namespace

Result<DryRunReport> dry_run(db::Session& session, std::span<const Migration* const> pending, const Settings& settings,
                             DryRunObserver* observer, KeepGoing keep_going) {
    auto sequences = db::snapshot_sequences(session);
    if (!sequences) return fail(std::move(sequences.error()));
    auto r = session.scope() == db::Scope::call ? dry_run_in_one_call(session, pending, settings, keep_going)
                                                : dry_run_in_session(session, pending, settings, observer, keep_going);
    if (!r && r.error().kind == ErrorKind::connection)
        r.error().hint = "the dry run's transaction is never committed; sequences it used may have moved; run the "
                         "command again";
    if (!r) return fail(std::move(r.error()));
    auto put_back = db::restore_sequences(session, *sequences);
    if (!put_back) {
        Error e = std::move(put_back.error());
        e.message = "the dry run passed, but putting back the sequences it used failed: " + e.message;
        return fail(std::move(e));
    }
    DryRunReport report{std::move(*r), std::move(*put_back), std::nullopt};
    report.out_of_locks = detail::settle_out_of_locks(report.files);
    return report;
}

} // namespace sbdeploy::migrations
