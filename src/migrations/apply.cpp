#include "migrations/apply.hpp"

#include <chrono>
#include <optional>
#include <span>

#include "db/history.hpp"
#include "db/sequences.hpp"
#include "migrations/apply_internal.hpp"
#include "migrations/content.hpp"
#include "migrations/down.hpp"
#include "migrations/invalid_indexes.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

using detail::batch_error;
using detail::elapsed_ms;
using detail::kNotInTransaction;
using detail::unfaithful_failure;
using detail::apply_in_one_call;
using detail::dry_run_in_one_call;
using detail::add_setup;
using detail::connection_failure;
using detail::dry_run_stops_after;
using detail::out_of_lock_memory;

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

// The connection ended while `m` was in flight (over a session transport). With a SQLSTATE
// the server itself reported the failure (the backend terminated, the server shutting down):
// the statement failed, so the file's transaction rolled back. Without one the client lost
// the socket and cannot know whether the server ran the COMMIT it had already received.
// Either way a re-run converges: it reads the history under the push lock and applies what
// is not recorded, never a file twice. The line is left out: no statement is at fault.
Error connection_failure(const Migration& m, const Error& cause, std::size_t sent_after) {
    std::string_view what = cause.message;
    if (constexpr std::string_view said = "lost the connection to the database: "; what.starts_with(said))
        what.remove_prefix(said.size());
    Error e = make_error(ErrorKind::connection, "lost the connection to the database while applying this file: " +
                                                    std::string(what) +
                                                    (cause.sqlstate.empty() ? "" : " (SQLSTATE " + cause.sqlstate + ")"));
    e.sqlstate = cause.sqlstate;
    e.file = m.file.display;
    if (m.plan.mode == FileMode::non_transactional)
        e.hint = "this file runs outside a transaction: the statements it completed stay, and it is not recorded as "
                 "applied; run the command again: it runs the file again from its first statement";
    else if (!cause.sqlstate.empty())
        e.hint = "nothing of this file was applied: its transaction was rolled back; the migrations before it stay "
                 "applied; run the command again to apply the rest";
    else
        e.hint = "the file was either committed whole with its history row or not at all" +
                 (sent_after == 0 ? std::string()
                                  : ", and so was each of the " + util::plural(sent_after, "migration") +
                                        " sent after it in the same batch") +
                 "; run the command again: it applies what is not recorded yet, never a file twice";
    return e;
}

} // namespace detail

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

// Line `line` of the file as it stands in the statement, with a caret under `column`.
std::string caret_excerpt(const Statement& st, int line, int column) {
    std::string_view text = st.text;
    for (int l = st.line; l < line; ++l) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    auto shown = text.substr(0, text.find('\n'));
    if (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
    // The statement's first line starts at its column in the file.
    int first_col = line == st.line ? st.column : 1;
    std::string caret;
    for (int c = first_col; c < column; ++c) caret.push_back(' ');
    return std::to_string(line) + " | " + std::string(shown) + "\n" + std::string(std::to_string(line).size(), ' ') +
           " | " + caret + "^";
}

// The statement's first line that is not a comment, for errors without a position.
std::string first_code_line(const Statement& st) {
    std::string_view text = st.text;
    for (int l = st.line; l < st.code_line; ++l) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    auto nl = text.find('\n');
    auto shown = text.substr(0, nl);
    if (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
    return std::to_string(st.code_line) + " | " + std::string(shown) + (nl == std::string_view::npos ? "" : " ...");
}

} // namespace

namespace detail {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

// Maps a batch failure back to a statement (or to the bookkeeping around it).
Error batch_error(const Migration& m, const std::vector<std::size_t>& item_to_statement, std::size_t setup_items,
                  const db::BatchFailure& f) {
    if (f.index == db::BatchFailure::unknown_index) {
        Error e = f.error;
        e.message = "applying " + util::quoted(m.file.filename) + " failed: " + e.message +
                    (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
        e.file = m.file.display;
        e.column = 0;
        if (e.hint.empty())
            e.hint = "the transport did not say which statement failed; nothing of this file was applied, the "
                     "migrations before it are";
        return e;
    }
    if (f.index >= setup_items && f.index - setup_items < item_to_statement.size())
        return locate_failure(m, item_to_statement[f.index - setup_items], f.error);
    Error e = f.error;
    // After the statements: the bookkeeping reset, the history row, then the commit, where
    // deferred constraints are checked.
    bool history = f.index >= setup_items + item_to_statement.size();
    bool commit = f.index > setup_items + item_to_statement.size() + BookkeepingReset::size;
    e.message = std::string(commit ? "committing " : history ? "recording " : "preparing the session for ") +
                util::quoted(m.file.filename) +
                " failed: " + e.message + (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    if (commit && e.hint.empty())
        e.hint = "deferred constraints are checked at commit; fix the migration and run again: nothing of this file "
                 "was applied";
    if (history && !commit && e.sqlstate == "23505")
        e.hint = "version " + m.file.version + " is already recorded: another run applied it meanwhile; run again";
    e.file = m.file.display;
    return e;
}

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

std::vector<std::string> Migration::texts() const {
    std::vector<std::string> out;
    out.reserve(statements.size());
    for (const auto& s : statements) out.push_back(s.text);
    return out;
}

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::failed: return "failed";
    case Verdict::not_dry_run: return "not dry-run";
    case Verdict::not_run: return "not run";
    }
    return "?";
}

Result<Migration> load_migration(const MigrationFile& file) {
    std::string content, err;
    if (!util::read_file(file.path, content, err))
        return fail(make_error(ErrorKind::config, "cannot read migration " + util::quoted(file.display) + ": " + err,
                               "check the file's permissions")
                        .at(file.display));
    if (auto bad = check_content(content)) {  // NUL bytes, invalid UTF-8: refused before anything runs
        bad->file = file.display;
        return fail(std::move(*bad));
    }
    // A `-- sbdeploy:down` section is not part of the migration: never applied, never stored.
    const DownSection section = split_down_section(content);
    auto m = parse_migration(file, section.up, Splits::parts);
    if (!m) return m;
    auto down = load_down(file, section);
    if (!down) return fail(std::move(down.error()));
    m->down = std::move(*down);
    return m;
}

Result<Migration> parse_migration(const MigrationFile& file, std::string_view content, Splits splits) {
    auto statements = split_statements(content);
    if (!statements) {
        Error e = statements.error();
        e.file = file.display;
        if (e.kind != ErrorKind::config && e.kind != ErrorKind::input) e.kind = ErrorKind::config;
        return fail(std::move(e));
    }
    Migration m{file, std::move(*statements), {}, nullptr};
    std::vector<StatementKind> kinds;
    kinds.reserve(m.statements.size());
    for (const auto& s : m.statements) kinds.push_back(classify_statement(s.text));
    auto plan = plan_file(kinds, splits);
    if (!plan) {
        Error e = plan.error();
        auto index = static_cast<std::size_t>(e.line);
        e.file = file.display;
        e.line = index < m.statements.size() ? m.statements[index].code_line : 0;
        return fail(std::move(e));
    }
    m.plan = std::move(*plan);
    return m;
}

Error locate_failure(const Migration& m, std::size_t index, Error server) {
    const Statement& st = m.statements[index];
    Error e = std::move(server);
    std::string shown;
    if (e.column > 0) {
        auto where = position_in_file(st, e.column);
        e.line = where.line;
        shown = caret_excerpt(st, where.line, where.column);
    } else {
        e.line = st.code_line;
        shown = first_code_line(st);
    }
    e.file = m.file.display;
    e.column = 0;
    if (!e.sqlstate.empty()) e.message += " (SQLSTATE " + e.sqlstate + ")";
    std::string detail = "statement " + std::to_string(index + 1) + " of " + std::to_string(m.statements.size()) +
                         ":\n" + shown;
    if (!e.detail.empty()) detail += "\ndetail: " + e.detail;
    if (!e.context.empty()) detail += "\ncontext: " + e.context;
    e.detail = std::move(detail);
    if (e.hint.empty())
        e.hint = "fix the migration and run again: nothing of this file was applied";
    return e;
}

namespace {

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
        if (!r) return fail(lost(r.error().error) ? connection_failure(m, r.error().error)
                                                  : batch_error(m, {}, setup, r.error()));
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto res = session.exec(m.statements[i].text);
            if (!res) return fail(lost(res.error()) ? connection_failure(m, res.error()) : locate_failure(m, i, res.error()));
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
        std::vector<std::size_t> item_to_statement;
        for (std::size_t i = from; i < to; ++i) {
            if (m.plan.skip[i]) continue;
            items.push_back({m.statements[i].text, {}});
            item_to_statement.push_back(i);
        }
        if (last) {
            reset.append_to(items);
            items.push_back(db::insert_history_item(m.file.version, m.file.name, literal));
        }
        auto r = session.exec_batch(items, db::BatchMode::atomic);
        if (!r) {
            const db::BatchFailure& f = r.error();
            Error e = lost(f.error) ? connection_failure(m, f.error)
                      : !last && f.index != db::BatchFailure::unknown_index && f.index >= setup + item_to_statement.size()
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
             "again, or drop it now:" + drops;
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

namespace {

// One file of the dry run on its own round trips: its savepoint, the observer's before(), the
// file, after(), the release. Errors end the dry run (the transaction rolled back).
Result<DryRun> dry_run_one(db::Session& session, const Migration* m, const Settings& settings,
                           DryRunObserver* observer, const BookkeepingReset& reset) {
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
    std::vector<std::size_t> item_to_statement;
    for (std::size_t i = 0; i < m->statements.size(); ++i) {
        if (m->plan.skip[i]) continue;
        items.push_back({m->statements[i].text, {}});
        item_to_statement.push_back(i);
    }
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

Result<DryRunReport> dry_run(db::Session& session, std::span<const Migration* const> pending,
                             const Settings& settings, DryRunObserver* observer, KeepGoing keep_going) {
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
