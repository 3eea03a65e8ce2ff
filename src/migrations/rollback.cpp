#include "migrations/rollback.hpp"

#include <algorithm>
#include <chrono>

#include "db/history.hpp"
#include "migrations/apply_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

using detail::append_statements;
using detail::elapsed_ms;

namespace {

std::string with_sqlstate(const Error& e) {
    return e.message + (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
}

// The step's failure, at the down SQL's file and line when a statement failed.
Error step_error(const RollbackStep& step, const Migration* down, const std::vector<std::size_t>& item_to_statement,
                 std::size_t setup, const db::BatchFailure& f) {
    const std::string kept = "nothing of this step remains: version " + step.version +
                             " is still applied (the versions rolled back before it stay rolled back); ";
    if (down != nullptr && f.index != db::BatchFailure::unknown_index && f.index >= setup &&
        f.index - setup < item_to_statement.size()) {
        Error e = locate_failure(*down, item_to_statement[f.index - setup], f.error);
        e.message = "rolling back " + step.version + ": " + e.message;
        e.hint = kept + "fix its down SQL and run the rollback again";
        return e;
    }
    Error e = f.error;
    // After the statements: the bookkeeping reset, the deletion, the commit (deferred constraints).
    const std::size_t deletion = setup + item_to_statement.size() + BookkeepingReset::size;
    const bool known = f.index != db::BatchFailure::unknown_index && f.index >= setup;
    e.message = "rolling back " + step.version + " failed" +
                (!known                ? std::string()
                 : f.index <= deletion ? std::string(" deleting its history row")
                                       : std::string(" at commit (deferred constraints)")) +
                ": " + with_sqlstate(e);
    e.column = 0;
    if (down != nullptr) e.file = down->file.display;
    if (e.hint.empty())
        e.hint = kept + (e.kind == ErrorKind::connection ? "run the rollback again" : "fix the cause and run it again");
    return e;
}

std::string local_setting(std::string_view name, long ms) {
    return "SET LOCAL " + std::string(name) + " = '" + std::to_string(ms) + "ms'";
}

// A step refused before anything runs: its version has no down SQL.
Error no_down_sql(const RollbackStep& step) {
    return make_error(ErrorKind::operation, "rolling back " + step.version + ": it has no down SQL",
                      "write its undo in down/" +
                          (step.migration ? step.migration->file.filename : step.version + "_<name>.sql") +
                          " in the migrations folder, or use --record-only");
}

} // namespace

std::vector<db::BatchItem> transaction_prologue(const db::Session& session, const Settings& settings,
                                                std::deque<std::string>& storage) {
    std::vector<db::BatchItem> items{{"RESET ALL", {}}, {"SET SESSION AUTHORIZATION DEFAULT", {}}};
    const bool per_call = session.scope() == db::Scope::call;
    if (per_call)
        for (auto& g : db::history_guard_items(settings.lock_wait_ms, "", db::CheckNewer::no))
            items.push_back(std::move(g));
    auto add = [&](std::string_view name, long ms) {
        if (ms <= 0) return;
        storage.push_back(per_call ? local_setting(name, ms)
                                   : "SET " + std::string(name) + " = '" + std::to_string(ms) + "ms'");
        items.push_back({storage.back(), {}});
    };
    add("lock_timeout", settings.lock_timeout_ms);
    add("statement_timeout", settings.statement_timeout_ms);
    return items;
}

Result<std::vector<RollbackStep>> plan_rollback(std::span<const Migration> local, std::span<const RemoteEntry> applied,
                                                const RollbackRequest& request) {
    std::vector<const RemoteEntry*> rows;
    rows.reserve(applied.size());
    for (const auto& r : applied) rows.push_back(&r);
    // The CLI's order: versions as text.
    std::sort(rows.begin(), rows.end(),
              [](const RemoteEntry* a, const RemoteEntry* b) { return a->version < b->version; });

    std::size_t count = 0;
    if (request.to) {
        auto at =
            std::find_if(rows.begin(), rows.end(), [&](const RemoteEntry* r) { return r->version == *request.to; });
        if (at == rows.end()) {
            std::string recent;
            for (std::size_t i = rows.size(), n = 0; i > 0 && n < 5; --i, ++n)
                recent += (recent.empty() ? "" : " ") + rows[i - 1]->version;
            return fail(ErrorKind::usage, "rollback --to " + *request.to + ": that version is not applied",
                        rows.empty()
                            ? std::string("nothing is applied on this database")
                            : "--to takes an applied version, the newest one to keep; the newest applied: " + recent);
        }
        count = static_cast<std::size_t>(rows.end() - at) - 1;
    } else if (request.last) {
        if (*request.last == 0 || *request.last > rows.size())
            return fail(ErrorKind::usage,
                        "rollback --last " + std::to_string(*request.last) + ": " +
                            (*request.last == 0 ? std::string("nothing to roll back")
                                                : std::to_string(rows.size()) + " version" +
                                                      (rows.size() == 1 ? " is" : "s are") + " applied"),
                        "give a number from 1 to the applied versions, or --to VERSION (the newest one to keep)");
        count = *request.last;
    } else {
        return fail(ErrorKind::usage, "rollback: say what to roll back",
                    "--to VERSION (undo the versions after it) or --last N (undo the N newest)");
    }

    std::vector<RollbackStep> steps;
    steps.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const RemoteEntry& row = *rows[rows.size() - 1 - i];
        RollbackStep step{row.version, row.name, nullptr, false};
        for (const auto& m : local)
            if (m.file.version == row.version) step.migration = &m;
        if (step.migration != nullptr && row.statements) step.edited = *row.statements != step.migration->texts();
        if (step.name.empty() && step.migration != nullptr) step.name = step.migration->file.name;
        steps.push_back(std::move(step));
    }
    return steps;
}

std::vector<std::string> without_down(std::span<const RollbackStep> steps) {
    std::vector<std::string> out;
    for (const auto& s : steps) {
        if (s.down() != nullptr) continue;
        out.push_back(s.version + " (" + (s.migration ? s.migration->file.display : std::string("no local file")) +
                      ")");
    }
    return out;
}

Result<RolledBack> roll_back(db::Session& session, const RollbackStep& step, const Settings& settings) {
    const Migration* down = step.down();
    if (down == nullptr) return fail(no_down_sql(step));
    auto start = std::chrono::steady_clock::now();
    std::deque<std::string> storage;
    auto items = transaction_prologue(session, settings, storage);
    const std::size_t setup = items.size();
    const db::BatchItem deletion{db::delete_history_sql(), {step.version}};

    if (down->plan.mode == FileMode::non_transactional) {
        // Such statements refuse transaction blocks: each alone, then the deletion.
        auto before = session.exec_batch(items, db::BatchMode::atomic);
        if (!before) return fail(step_error(step, down, {}, setup, before.error()));
        for (std::size_t i = 0; i < down->statements.size(); ++i) {
            auto r = session.exec(down->statements[i].text);
            if (!r) {
                Error e = locate_failure(*down, i, r.error());
                e.message = "rolling back " + step.version + ": " + e.message;
                e.hint = "its down SQL cannot run in a transaction: the statements before this one stay done and "
                         "version " +
                         step.version + " is still applied; fix the down SQL and run the rollback again";
                return fail(std::move(e));
            }
        }
        items.push_back(deletion);
        auto rec = session.exec_batch(items, db::BatchMode::atomic);
        if (!rec) return fail(step_error(step, down, {}, setup, rec.error()));
        return RolledBack{elapsed_ms(start), session.take_notices()};
    }

    const std::vector<std::size_t> item_to_statement = append_statements(items, *down);
    const BookkeepingReset reset(settings);
    reset.append_to(items);
    items.push_back(deletion);
    auto r = session.exec_batch(items, db::BatchMode::atomic);
    if (!r) return fail(step_error(step, down, item_to_statement, setup, r.error()));
    return RolledBack{elapsed_ms(start), session.take_notices()};
}

Result<void> forget(db::Session& session, std::span<const RollbackStep> steps, const Settings& settings) {
    std::deque<std::string> storage;
    auto items = transaction_prologue(session, settings, storage);
    for (const auto& s : steps) items.push_back({db::delete_history_sql(), {s.version}});
    auto r = session.exec_batch(items, db::BatchMode::atomic);
    if (!r) {
        Error e = r.error().error;
        e.message = "deleting the history rows failed, nothing was changed: " + with_sqlstate(e);
        return fail(std::move(e));
    }
    return {};
}

Result<std::vector<RollbackDryRun>> dry_run_rollback(db::Session& session, std::span<const RollbackStep> steps,
                                                     RecordOnly record_only, const Settings& settings) {
    // One request ending in ROLLBACK: the steps one after the other, each with the deferred
    // constraint check its commit would make, stopping at the first failure.
    std::vector<RollbackDryRun> results;
    std::vector<db::BatchItem> items{{"RESET ALL", {}}, {"SET SESSION AUTHORIZATION DEFAULT", {}}};
    std::deque<std::string> storage;
    if (settings.lock_timeout_ms > 0) {
        storage.push_back(local_setting("lock_timeout", settings.lock_timeout_ms));
        items.push_back({storage.back(), {}});
    }
    if (settings.statement_timeout_ms > 0) {
        storage.push_back(local_setting("statement_timeout", settings.statement_timeout_ms));
        items.push_back({storage.back(), {}});
    }
    struct Placed {
        std::size_t result = 0, begin = 0, end = 0;
        std::vector<std::size_t> item_to_statement;
    };
    std::vector<Placed> placed;
    const BookkeepingReset reset(settings);
    for (const auto& step : steps) {
        const Migration* down = record_only == RecordOnly::yes ? nullptr : step.down();
        if (record_only == RecordOnly::no && down == nullptr) return fail(no_down_sql(step));
        if (down != nullptr && down->plan.mode == FileMode::non_transactional) {
            results.push_back(RollbackDryRun{&step, Verdict::not_dry_run, std::nullopt});
            continue;
        }
        Placed p;
        p.result = results.size();
        p.begin = items.size();
        if (down != nullptr) p.item_to_statement = append_statements(items, *down);
        reset.append_to(items);
        items.push_back({db::delete_history_sql(), {step.version}});
        items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
        items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
        items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
        p.end = items.size();
        results.push_back(RollbackDryRun{&step, Verdict::ok, std::nullopt});
        placed.push_back(std::move(p));
    }
    if (placed.empty()) return results;
    auto r = session.exec_batch(items, db::BatchMode::rolled_back);
    if (r) return results;
    const db::BatchFailure& f = r.error();
    const Placed* where = nullptr;
    for (const auto& p : placed)
        if (f.index >= p.begin && f.index < p.end) where = &p;
    if (f.error.kind == ErrorKind::connection || where == nullptr) {
        Error e = f.error;
        if (e.kind != ErrorKind::connection) e.message = "the dry run failed: " + with_sqlstate(e);
        return fail(std::move(e));
    }
    RollbackDryRun& failed = results[where->result];
    failed.verdict = Verdict::failed;
    const Migration* down = record_only == RecordOnly::yes ? nullptr : failed.step->down();
    failed.error = step_error(*failed.step, down, where->item_to_statement, 0,
                              db::BatchFailure{f.index - where->begin, f.error, f.attempts});
    results.resize(where->result + 1);  // the rollback stops there
    return results;
}

} // namespace sbdeploy::migrations
