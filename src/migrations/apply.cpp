// Applying one migration over a session transport: each file with its history row in one
// transaction (a file that commits in the middle: one per part, the row with the last), or
// statement by statement and recorded after the last for a file that cannot run in a
// transaction; the dispatch to the Scope::call transport (apply_api.cpp).
#include "migrations/apply.hpp"

#include <algorithm>
#include <chrono>

#include "db/history.hpp"
#include "migrations/apply_internal.hpp"
#include "migrations/invalid_indexes.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

using detail::add_setup;
using detail::apply_in_one_call;
using detail::batch_error;
using detail::connection_failure;
using detail::elapsed_ms;

namespace detail {

// The session state every file starts from (the CLI's RESET ALL, plus the role,
// which RESET ALL leaves alone), then our timeouts.
void add_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage) {
    items.push_back({"RESET ALL", {}});
    items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});
    if (s.lock_timeout_ms > 0) {
        storage.push_back("SET lock_timeout = '" + std::to_string(s.lock_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
    if (s.statement_timeout_ms > 0) {
        storage.push_back("SET statement_timeout = '" + std::to_string(s.statement_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
}

std::vector<std::size_t> append_statements(std::vector<db::BatchItem>& items, const Migration& m, std::size_t from,
                                           std::size_t to) {
    std::vector<std::size_t> item_to_statement;
    for (std::size_t i = from; i < std::min(to, m.statements.size()); ++i) {
        if (m.plan.skip[i]) continue;
        items.push_back({m.statements[i].text, {}});
        item_to_statement.push_back(i);
    }
    return item_to_statement;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

} // namespace detail

BookkeepingReset::BookkeepingReset(const Settings& settings)
    : lock_timeout_(settings.lock_timeout_ms > 0
                        ? "SET LOCAL lock_timeout = '" + std::to_string(settings.lock_timeout_ms) + "ms'"
                        : std::string("SET LOCAL lock_timeout TO DEFAULT")),
      statement_timeout_(settings.statement_timeout_ms > 0
                             ? "SET LOCAL statement_timeout = '" + std::to_string(settings.statement_timeout_ms) + "ms'"
                             : std::string("SET LOCAL statement_timeout TO DEFAULT")) {}

void BookkeepingReset::append_to(std::vector<db::BatchItem>& items) const {
    // The timeouts first: the role change is a statement too.
    items.push_back({statement_timeout_, {}});
    items.push_back({lock_timeout_, {}});
    items.push_back({"SET LOCAL SESSION AUTHORIZATION DEFAULT", {}});
}

namespace {

// The COMMIT ending a part other than the last failed (deferred constraints).
Error commit_failure(const Migration& m, const Error& cause) {
    Error e = cause;
    e.message = "committing a part of " + util::quoted(m.file.filename) + " failed: " + e.message +
                (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    e.file = m.file.display;
    return e;
}

// First and last file line of part `part` (0-based) of a FileMode::parts file.
std::pair<int, int> part_lines(const Migration& m, std::size_t part) {
    std::size_t from = part == 0 ? 0 : m.plan.part_ends[part - 1];
    std::size_t to = part + 1 == m.plan.part_ends.size() ? m.statements.size() : m.plan.part_ends[part];
    int first = 0, last = 0;
    for (std::size_t i = from; i < to; ++i) {
        if (m.plan.skip[i] && first == 0) continue;
        if (first == 0) first = m.statements[i].code_line;
        last = m.statements[i].code_line;
    }
    return {first, last};
}

// A failure in part `part` (0-based, > 0) of a file that commits in the middle: the parts before
// it were committed by the file's own COMMITs and stay, and the version is not recorded. Says
// which, and what a re-run does: it runs the whole file again, from its first statement.
Error after_parts(const Migration& m, std::size_t part, Error e) {
    const int failed_from = part_lines(m, part).first;
    const int kept_from = part_lines(m, 0).first;
    const int kept_to = part_lines(m, part - 1).second;
    const std::string kept = part == 1 ? "part 1" : "parts 1-" + std::to_string(part);
    e.message += "; in part " + std::to_string(part + 1) + " of " + std::to_string(m.plan.part_ends.size()) +
                 " (from line " + std::to_string(failed_from) + "): " + kept + " (lines " + std::to_string(kept_from) +
                 "-" + std::to_string(kept_to) + ") stayed applied, committed by the file's own COMMIT";
    e.hint = "the version is not recorded, so the next push runs the whole file again from line " +
             std::to_string(kept_from) + ": undo what " + kept +
             " did, or make it safe to run twice (IF NOT EXISTS, CREATE OR REPLACE), then run again";
    return e;
}

Result<Applied> apply_in_session(db::Session& session, const Migration& m, const Settings& settings) {
    auto lost = [](const Error& e) { return e.kind == ErrorKind::connection; };
    auto start = std::chrono::steady_clock::now();
    auto texts = m.texts();
    std::string literal = db::text_array_literal(texts);
    std::vector<db::BatchItem> items;
    std::vector<std::string> storage;
    storage.reserve(4);
    add_setup(items, settings, storage);
    std::size_t setup = items.size();

    if (m.plan.mode == FileMode::non_transactional) {
        // Each statement on its own (they refuse transaction blocks); the history row
        // only after the last succeeded, so a re-run redoes what did not complete.
        auto r = session.exec_batch(items, db::BatchMode::atomic);
        if (!r)
            return fail(lost(r.error().error) ? connection_failure(m, r.error().error)
                                              : batch_error(m, {}, setup, r.error()));
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto res = session.exec(m.statements[i].text);
            if (!res)
                return fail(lost(res.error()) ? connection_failure(m, res.error()) : locate_failure(m, i, res.error()));
        }
        // The statements' SETs outlive them in the session: the row goes in a transaction
        // of its own that puts back what it depends on.
        std::vector<db::BatchItem> record;
        const BookkeepingReset reset(settings);
        reset.append_to(record);
        record.push_back(db::insert_history_item(m.file.version, m.file.name, literal));
        auto rec = session.exec_batch(record, db::BatchMode::atomic);
        if (!rec) {
            if (lost(rec.error().error)) return fail(connection_failure(m, rec.error().error));
            db::BatchFailure f = rec.error();
            f.index = f.index == db::BatchFailure::unknown_index ? f.index : setup + m.statements.size() + f.index;
            return fail(batch_error(m, std::vector<std::size_t>(m.statements.size()), setup, f));
        }
        return Applied{elapsed_ms(start), session.take_notices()};
    }

    // One transaction per part (a file that commits in the middle has several), committed where
    // the file says; the history row goes with the last, so the version is recorded only when
    // the whole file ran.
    const BookkeepingReset reset(settings);
    const std::size_t parts = std::max<std::size_t>(1, m.plan.part_ends.size());
    std::size_t from = 0;
    for (std::size_t part = 0; part < parts; ++part) {
        const bool last = part + 1 == parts;
        const std::size_t to = last ? m.statements.size() : m.plan.part_ends[part];
        const std::vector<std::size_t> item_to_statement = detail::append_statements(items, m, from, to);
        if (last) {
            reset.append_to(items);
            items.push_back(db::insert_history_item(m.file.version, m.file.name, literal));
        }
        auto r = session.exec_batch(items, db::BatchMode::atomic);
        if (!r) {
            const db::BatchFailure& f = r.error();
            Error e = lost(f.error) ? connection_failure(m, f.error)
                      : !last && f.index != db::BatchFailure::unknown_index &&
                              f.index >= setup + item_to_statement.size()
                          ? commit_failure(m, f.error)
                          : batch_error(m, item_to_statement, setup, f);
            return fail(part > 0 ? after_parts(m, part, std::move(e)) : std::move(e));
        }
        items.clear();
        setup = 0;
        from = to;
    }
    return Applied{elapsed_ms(start), session.take_notices()};
}

// A failed statement of a file that cannot run in a transaction may leave an invalid index (a
// CREATE INDEX CONCURRENTLY that failed): the hint names it and what the next push does.
void explain_invalid_indexes(db::Session& session, const Migration& m, Error& e) {
    if (e.kind == ErrorKind::connection) return;  // nothing can be asked now; the next push drops them
    auto invalid = find_invalid_indexes(session, m);
    if (!invalid || invalid->empty()) return;
    std::string names, drops;
    for (const auto& name : *invalid) {
        names += (names.empty() ? "" : ", ") + name;
        drops += " DROP INDEX CONCURRENTLY IF EXISTS " + name + ";";
    }
    e.hint = "the failed statement left the invalid index " + names +
             " (never used, but kept up to date on every write); the next push drops it before running this file "
             "again, or drop it now:" +
             drops;
}

} // namespace

Result<Applied> apply_migration(db::Session& session, const Migration& m, const Settings& settings) {
    // An interrupted run of this file may have left invalid indexes that IF NOT EXISTS would
    // take for built ones: dropped first, so the file builds them again.
    std::vector<std::string> dropped;
    if (m.plan.mode == FileMode::non_transactional) {
        auto invalid = drop_invalid_indexes(session, m);
        if (!invalid) return fail(std::move(invalid.error()));
        dropped = std::move(*invalid);
    }
    auto r = session.scope() == db::Scope::call ? apply_in_one_call(session, m, settings)
                                                : apply_in_session(session, m, settings);
    if (!r && m.plan.mode == FileMode::non_transactional) explain_invalid_indexes(session, m, r.error());
    if (r) r->dropped_indexes = std::move(dropped);
    return r;
}

} // namespace sbdeploy::migrations
