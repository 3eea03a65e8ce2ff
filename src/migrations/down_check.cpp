#include "migrations/down_check.hpp"

#include "db/history.hpp"
#include "migrations/apply_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

// One step as the dry run runs a file (and rollback its down SQL): the session state every
// file starts from, the statements, the bookkeeping reset, the history row, and the deferred
// constraint check of the commit. The items point into `storage`, the reset and `m`.
struct StepBatch {
    std::vector<db::BatchItem> items;
    std::vector<std::string> storage;
    std::vector<std::size_t> item_to_statement;
    std::size_t setup = 0;

    StepBatch(const Migration& m, const Settings& s, const BookkeepingReset& reset, db::BatchItem history) {
        storage.reserve(2);  // items hold views into it
        detail::add_local_setup(items, s, storage);
        setup = items.size();
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            if (m.plan.skip[i]) continue;
            items.push_back({m.statements[i].text, {}});
            item_to_statement.push_back(i);
        }
        reset.append_to(items);
        items.push_back(std::move(history));
        items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
        items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
        items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
    }
};

// Runs `m` as one step; the failure located in `m` (its file and line), or a lost connection.
Result<std::optional<Error>> run_step(db::Session& session, const Migration& m, const Settings& s,
                                      db::BatchItem history) {
    const BookkeepingReset reset(s);
    StepBatch batch(m, s, reset, std::move(history));
    auto r = session.exec_batch(batch.items, db::BatchMode::in_caller);
    session.take_notices();
    if (r) return std::optional<Error>();
    if (r.error().error.kind == ErrorKind::connection) return fail(std::move(r.error().error));
    return std::optional<Error>(detail::batch_error(m, batch.item_to_statement, batch.setup, r.error()));
}

Error down_failed(const Migration& m, Error e) {
    e.message = "down SQL of " + util::quoted(m.file.filename) + " failed after the migration: " + e.message;
    e.hint = "validate ran the migration, then its down SQL, in a transaction it rolled back: fix the down SQL so "
             "that it undoes the migration";
    return e;
}

Error up_again_failed(const Migration& m, Error e) {
    e.message = "running " + util::quoted(m.file.filename) + " again after its down SQL failed: " + e.message;
    e.hint = "its down SQL (" + m.down->file.display +
             ") does not undo everything the migration does; make it drop or revert what this statement finds "
             "left behind";
    return e;
}

DownCheck not_checked(std::string why) {
    DownCheck c;
    c.outcome = DownOutcome::not_checked;
    c.why_not = std::move(why);
    return c;
}

}  // namespace

std::string_view step_name(DryRunStep s) {
    switch (s) {
    case DryRunStep::up: return "up";
    case DryRunStep::down: return "down";
    case DryRunStep::up_again: return "up-again";
    }
    return "?";
}

Result<void> DownChecker::before(db::Session& session, const Migration& m) {
    snapped_ = nullptr;
    if (!m.down) return {};
    if (m.down->plan.mode == FileMode::non_transactional) {
        results_[&m] = not_checked("its down SQL cannot run in a transaction block");
        return {};
    }
    auto snapshot = db::snapshot_catalog(session);
    if (!snapshot) {
        if (snapshot.error().kind == ErrorKind::connection) return fail(std::move(snapshot.error()));
        results_[&m] = not_checked(snapshot.error().message);
        return {};
    }
    before_ = std::move(*snapshot);
    snapped_ = &m;
    return {};
}

Result<void> DownChecker::after(db::Session& session, const Migration& m) {
    if (!m.down || snapped_ != &m) return {};
    snapped_ = nullptr;
    DownCheck& out = results_[&m];
    auto r = check(session, m, out);
    before_.clear();
    return r;
}

Result<void> DownChecker::check(db::Session& session, const Migration& m, DownCheck& out) {
    auto sp = session.exec("SAVEPOINT sbdeploy_down_check");
    if (!sp) return fail(std::move(sp.error()));
    // Whatever happened, later files see the database as the migration alone left it.
    auto outcome = [&]() -> Result<void> {
        auto down = run_step(session, *m.down, settings_, {db::delete_history_sql(), {m.file.version}});
        if (!down) return fail(std::move(down.error()));
        out.outcome = DownOutcome::failed;
        out.step = DryRunStep::down;
        if (*down) {
            out.error = down_failed(m, std::move(**down));
            return {};
        }
        auto after_down = db::snapshot_catalog(session);
        if (!after_down) {
            if (after_down.error().kind == ErrorKind::connection) return fail(std::move(after_down.error()));
            out = not_checked(after_down.error().message);
            return {};
        }
        if (*after_down != before_) {
            // What the migration alone did tells "leaves" from "creates": read only now, back
            // at the savepoint, so that a down SQL that undoes it all costs two reads, not three.
            auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_down_check");
            if (!back) return fail(std::move(back.error()));
            auto after_up = db::snapshot_catalog(session);
            if (!after_up) {
                if (after_up.error().kind == ErrorKind::connection) return fail(std::move(after_up.error()));
                out = not_checked(after_up.error().message);
                return {};
            }
            out.differences = db::catalog_differences(before_, *after_up, *after_down);
            return {};
        }
        auto again = run_step(session, m, settings_,
                              db::insert_history_item(m.file.version, m.file.name, db::text_array_literal(m.texts())));
        if (!again) return fail(std::move(again.error()));
        if (*again) {
            out.step = DryRunStep::up_again;
            out.error = up_again_failed(m, std::move(**again));
            return {};
        }
        out.outcome = DownOutcome::passed;
        return {};
    }();
    auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_down_check; RELEASE SAVEPOINT sbdeploy_down_check");
    if (!outcome) return outcome;
    if (!back) return fail(std::move(back.error()));
    return {};
}

void DownChecker::unwatched(const Migration& m, std::string why) {
    if (m.down) results_[&m] = not_checked(std::move(why));
}

DownCheck DownChecker::result(const Migration& m) const {
    if (!m.down) return {};
    auto it = results_.find(&m);
    if (it != results_.end()) return it->second;
    return not_checked("the migration itself did not pass the dry run");
}

}  // namespace sbdeploy::migrations
