// Applying over transports whose every call is its own session and transaction (Scope::call:
// the Management API): each file, its history row, the push lock and a re-check of the history
// travel in one request, proven applied by the row the request returns; the dry run is one
// request ending in ROLLBACK.
#include <chrono>
#include <optional>
#include <span>

#include "db/history.hpp"
#include "migrations/apply_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

using detail::elapsed_ms;

Error parts_over_api(const Migration& m) {
    return make_error(ErrorKind::config,
                      "this migration commits in the middle (line " +
                          std::to_string(m.statements[m.plan.first_split].code_line) +
                          "), which the Management API cannot apply safely: between its parts another run could apply "
                          "the same file",
                      "push it over a direct database connection (--db-url), or remove the COMMIT in the middle")
        .at(m.file.display, m.statements[m.plan.first_split].code_line);
}

namespace {

std::string seconds(long ms) { return std::to_string((ms + 999) / 1000) + "s"; }

} // namespace

// The guard's refusals: a newer version recorded meanwhile (the out-of-order rule, now
// under the lock), or the push lock held by another run for longer than --lock-wait.
std::optional<Error> detail::guard_refusal(const db::Session& session, const Migration& m, const Settings& s,
                                           const Error& e) {
    if (e.sqlstate == db::kNewerRecorded)
        return make_error(ErrorKind::operation,
                          "migration " + util::quoted(m.file.filename) + " was not applied: version " + e.detail +
                              ", newer than it, was recorded meanwhile by another run",
                          "the history changed during this push; run again to see the new plan (--include-all applies "
                          "older files after newer ones)")
            .at(m.file.display);
    if (e.sqlstate == db::kLockBusy)
        return make_error(
            ErrorKind::operation,
            "another migration run holds the lock on " + session.describe() + ": it did not finish within " +
                seconds(s.lock_wait_ms),
            "wait for it to finish and run again, or raise --lock-wait; GitHub concurrency groups keep one "
            "push per database at a time");
    return std::nullopt;
}

namespace {

// SET LOCAL, not SET: nothing may outlive the request on a pooled connection.
void add_local_timeouts(std::vector<db::BatchItem>& items, const std::string& lock_sql,
                        const std::string& statement_sql) {
    if (!lock_sql.empty()) items.push_back({lock_sql, {}});
    if (!statement_sql.empty()) items.push_back({statement_sql, {}});
}

std::string local_setting(std::string_view name, long ms) {
    return ms > 0 ? "SET LOCAL " + std::string(name) + " = '" + std::to_string(ms) + "ms'" : std::string();
}

} // namespace

// The request that applies `m` was answered with a success status, but not with the history
// row it writes (`why`: what the answer was instead). The history, read again in a request of
// its own under the push lock (so a transaction still running finishes first), says what
// happened: recorded, the file was applied (with a warning about the answer); not recorded,
// nothing of it was (its statements and its row commit together).
Result<Applied> detail::settle_unproven(db::Session& session, const Migration& m, const Settings& s,
                                        std::chrono::steady_clock::time_point start, const Error& why) {
    const std::string odd = "the management api's answer does not show the history row the request wrote (" +
                            why.message + ")";
    auto history = db::read_history_locked(session, s.lock_wait_ms);
    if (!history)
        return fail(make_error(ErrorKind::operation,
                               "applying " + util::quoted(m.file.filename) + ": " + odd +
                                   "; reading the history again to find out what happened failed: " +
                                   history.error().message,
                               "run 'sbdeploy status' to see whether version " + m.file.version +
                                   " is recorded: a push applies what is not recorded, never a file twice")
                        .at(m.file.display));
    for (const auto& row : *history) {
        if (row.version != m.file.version) continue;
        Applied a{elapsed_ms(start), session.take_notices(), AppliedBy::this_run};
        a.warning = odd + "; the history, read again, records version " + m.file.version + ": it was applied";
        return a;
    }
    // Versions come from the server: digits as they are, anything else quoted (escaped).
    auto version_text = [](const std::string& v) {
        return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos ? v : util::quoted(v);
    };
    std::string found = "it records no version";
    if (!history->empty() && history->size() <= 5) {
        found = "it records " + util::plural(history->size(), "version") + ":";
        for (std::size_t i = 0; i < history->size(); ++i)
            found += (i ? ", " : " ") + version_text((*history)[i].version);
    } else if (!history->empty()) {
        found = "it records " + util::plural(history->size(), "version") + ", the newest " +
                version_text(history->back().version);
    }
    return fail(make_error(ErrorKind::operation,
                           "applying " + util::quoted(m.file.filename) + ": " + odd +
                               "; the history, read again, does not record version " + m.file.version + " (" + found +
                               "): nothing of this file was applied",
                           "the API answered success without running the request, or something other than the "
                           "Management API answered: check --api-url, then run again to apply the rest")
                    .at(m.file.display));
}

namespace {

using detail::settle_unproven;

// A success answer to the request that applies `m`: applied when it is the row the request
// wrote, else what the history says.
Result<Applied> settle(db::Session& session, const Migration& m, const Settings& s,
                       std::chrono::steady_clock::time_point start, const Result<db::QueryResult>& answer) {
    if (!answer) return settle_unproven(session, m, s, start, answer.error());
    auto proof = db::check_recorded_row(*answer, m.file.version, m.file.name);
    if (!proof) return settle_unproven(session, m, s, start, proof.error());
    return Applied{elapsed_ms(start), session.take_notices(), AppliedBy::this_run};
}

} // namespace

namespace detail {

// One request: BEGIN; reset; the push lock and the history re-check; the file; its history
// row; COMMIT. A retried request (after a timeout, a 5xx, a dropped connection) finds the
// row its first attempt committed, and says so instead of running the file again.
Result<Applied> apply_in_one_call(db::Session& session, const Migration& m, const Settings& s) {
    if (m.plan.mode == FileMode::parts) return fail(parts_over_api(m));
    auto start = std::chrono::steady_clock::now();
    const auto check = s.include_all == IncludeAll::yes ? db::CheckNewer::no : db::CheckNewer::yes;
    std::vector<db::BatchItem> items{{"RESET ALL", {}}, {"SET SESSION AUTHORIZATION DEFAULT", {}}};
    for (auto& g : db::history_guard_items(s.lock_wait_ms, m.file.version, check)) items.push_back(std::move(g));
    const std::size_t guarded = items.size();
    const std::string lock_sql = local_setting("lock_timeout", s.lock_timeout_ms);
    const std::string statement_sql = local_setting("statement_timeout", s.statement_timeout_ms);
    const std::string literal = db::text_array_literal(m.texts());
    auto refused = [&](const db::BatchFailure& f, const std::vector<std::size_t>& map,
                       std::size_t setup) -> Result<Applied> {
        if (f.error.sqlstate == db::kAlreadyRecorded)
            return Applied{elapsed_ms(start), {}, f.attempts > 1 ? AppliedBy::earlier_attempt : AppliedBy::another_run};
        if (auto e = guard_refusal(session, m, s, f.error)) return fail(std::move(*e));
        return fail(batch_error(m, map, setup, f));
    };

    if (m.plan.mode == FileMode::non_transactional) {
        // Such statements refuse transaction blocks and multi-statement requests: the guard
        // alone, each statement alone, then the guard again with the history row.
        auto before = session.exec_batch(std::span(items).first(guarded), db::BatchMode::atomic);
        if (!before) return refused(before.error(), {}, guarded);
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto res = session.exec(m.statements[i].text);
            if (!res) return fail(locate_failure(m, i, res.error()));
        }
        std::vector<db::BatchItem> record(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(guarded));
        record.push_back(db::insert_history_returning_item(m.file.version, m.file.name, literal));
        auto rec = session.exec_batch_answer(record, db::BatchMode::atomic);
        if (!rec) return refused(rec.error(), {}, guarded);
        return settle(session, m, s, start, *rec);
    }

    add_local_timeouts(items, lock_sql, statement_sql);
    const std::size_t setup = items.size();
    const std::vector<std::size_t> item_to_statement = detail::append_statements(items, m);
    const BookkeepingReset reset(s);
    reset.append_to(items);
    // The row it wrote is the answer: the last statement that returns rows (COMMIT returns none).
    items.push_back(db::insert_history_returning_item(m.file.version, m.file.name, literal));
    auto r = session.exec_batch_answer(items, db::BatchMode::atomic);
    if (!r) return refused(r.error(), item_to_statement, setup);
    return settle(session, m, s, start, *r);
}

// The dry run as one request ending in ROLLBACK. A failing file gets its verdict and the
// request is sent again without it (the files before it run again, as their successors
// depend on them), until one passes: n failing files cost n + 1 requests.
Result<std::vector<DryRun>> dry_run_in_one_call(db::Session& session, std::span<const Migration* const> pending,
                                                const Settings& s, KeepGoing keep_going) {
    std::vector<DryRun> results;
    results.reserve(pending.size());
    std::vector<std::string> literals;
    literals.reserve(pending.size());
    for (const Migration* m : pending) {
        bool skipped = m->plan.mode == FileMode::non_transactional;
        results.push_back(DryRun{m, skipped ? Verdict::not_dry_run : Verdict::ok, std::nullopt, 0,
                                 skipped ? std::string(kNotInTransaction) : std::string()});
        literals.push_back(db::text_array_literal(m->texts()));
    }
    const bool table_complete = db::history_table_complete(session);
    const std::string lock_sql = local_setting("lock_timeout", s.lock_timeout_ms);
    const std::string statement_sql = local_setting("statement_timeout", s.statement_timeout_ms);
    struct Placed {
        std::size_t k = 0, begin = 0, setup = 0, end = 0;
        std::vector<std::size_t> item_to_statement;
    };
    const BookkeepingReset reset(s);
    while (true) {
        std::vector<db::BatchItem> items{{"RESET ALL", {}}, {"SET SESSION AUTHORIZATION DEFAULT", {}}};
        add_local_timeouts(items, lock_sql, {});
        // The history table as push would create it; only when needed (its DDL locks the table).
        if (!table_complete)
            for (auto st : db::history_table_statements()) items.push_back({st, {}});
        std::vector<Placed> placed;
        for (std::size_t k = 0; k < pending.size(); ++k) {
            if (results[k].verdict != Verdict::ok) continue;
            const Migration& m = *pending[k];
            Placed p;
            p.k = k;
            p.begin = items.size();
            items.push_back({"RESET ALL", {}});
            items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});  // a SET ROLE survives RESET ALL
            add_local_timeouts(items, lock_sql, statement_sql);
            p.setup = items.size() - p.begin;
            p.item_to_statement = detail::append_statements(items, m);
            reset.append_to(items);
            items.push_back(db::insert_history_item(m.file.version, m.file.name, literals[k]));
            // What the commit would check: deferred constraints (as in the session dry run).
            items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
            items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
            items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
            p.end = items.size();
            placed.push_back(std::move(p));
        }
        if (placed.empty()) break;
        // The answer must show the request ran to its end: a marker row, last before ROLLBACK.
        std::string marker = "sbdeploy dry run of";
        for (const auto& p : placed) marker += " " + pending[p.k]->file.version;
        items.push_back({"SELECT $1::text AS sbdeploy_dry_run", {marker}});
        auto r = session.exec_batch_answer(items, db::BatchMode::rolled_back);
        if (r) {
            std::string why;
            if (!*r)
                why = r->error().message;
            else if ((*r)->columns != std::vector<std::string>{"sbdeploy_dry_run"} || (*r)->rows.size() != 1 ||
                     (*r)->rows[0].size() != 1 || (*r)->rows[0][0] != db::Value(marker))
                why = "it is not the row that ends the dry run's request";
            if (why.empty()) break;
            return fail(ErrorKind::operation, "the dry run's answer does not show it ran: " + why,
                        "check --api-url: it must be the Management API; nothing was changed (the dry run ends in "
                        "ROLLBACK)");
        }
        const db::BatchFailure& f = r.error();
        const Placed* where = nullptr;
        for (const auto& p : placed)
            if (f.index >= p.begin && f.index < p.end) where = &p;
        if (f.error.kind == ErrorKind::connection || where == nullptr) {
            Error e = f.error;
            if (e.kind != ErrorKind::connection) e.message = "the dry run failed: " + e.message;
            return fail(std::move(e));
        }
        DryRun& d = results[where->k];
        d.why_not = unfaithful_failure(*d.migration, f.error);
        if (!d.why_not.empty()) {
            d.verdict = Verdict::not_dry_run;
            continue;
        }
        d.verdict = Verdict::failed;
        d.error = batch_error(*d.migration, where->item_to_statement, where->setup,
                              db::BatchFailure{f.index - where->begin, f.error});
        // The files before it passed in this request; the ones after it did not run.
        if (dry_run_stops_after(d, keep_going)) {
            for (std::size_t k = where->k + 1; k < results.size(); ++k)
                results[k] = DryRun{pending[k], Verdict::not_run, std::nullopt, 0, {}};
            break;
        }
    }
    return results;
}

} // namespace detail

} // namespace sbdeploy::migrations
