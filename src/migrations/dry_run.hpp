// validate's dry run: pending files executed in order inside one transaction, each under a
// savepoint with its history row, then everything rolled back; or applied for real on a
// throwaway shadow database. One verdict per file.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations {

// not_run: validate's dry run stopped before the file (an earlier failure without
// KeepGoing::yes, or the server's lock table full); it says nothing about the file.
enum class Verdict { ok, failed, not_dry_run, not_run };
std::string_view verdict_name(Verdict v);

struct DryRun {
    const Migration* migration = nullptr;
    Verdict verdict = Verdict::ok;
    std::optional<Error> error;
    double ms = 0;  // a file dry-run in a pipelined batch: the batch's time shared evenly
    std::string why_not;  // Verdict::not_dry_run: why a dry run cannot run it faithfully
};

// Executes `pending` in order inside one transaction, a savepoint per file, with the
// history inserts, then rolls everything back. Non-transactional files are not run. A file
// that commits in the middle runs as one piece; when it fails only because a part uses an
// enum value an earlier part added (which needs that part committed), it is not dry-run.
// Over a Scope::call transport: one request ending in ROLLBACK; with KeepGoing::yes, after a
// failing file another request without it, so each file still gets its own verdict.
// Sequences the dry run moved (nextval, setval: not transactional) are put back afterwards
// (db/sequences.hpp) and listed in `sequences`.
struct DryRunReport {
    std::vector<DryRun> files;
    std::vector<std::string> sequences;  // put back after the rollback
    // The file at which the server's lock table ran out (SQLSTATE 53200, out of shared
    // memory): it and the files after it are Verdict::not_run.
    std::optional<std::size_t> out_of_locks;
};
// What runs around each file the dry run runs over a Scope::session transport (validate's
// down check, migrations/down_check.hpp): before() right after the file's savepoint, after()
// once the file and its history row ran cleanly. Both run inside the dry run's transaction and
// must leave it usable (their own SQL under savepoints); an Error from them ends the dry run.
class DryRunObserver {
public:
    virtual ~DryRunObserver() = default;
    virtual Result<void> before(db::Session& session, const Migration& m) = 0;
    virtual Result<void> after(db::Session& session, const Migration& m) = 0;
    // Whether before() and after() do anything for `m`: the files they do not watch run in
    // pipelined batches, without a round trip of their own.
    [[nodiscard]] virtual bool watches(const Migration& /*m*/) const { return true; }
    // `m` ran where the observer could not watch it (on a shadow database, a file applied for
    // real in parts): why, for its report.
    virtual void unwatched(const Migration& /*m*/, std::string /*why*/) {}
};
// KeepGoing::no (push's rule): the dry run stops at the first failing file and the files
// after it are Verdict::not_run; yes: every file gets its own verdict. Either way it stops
// when the server runs out of lock memory (DryRunReport::out_of_locks).
enum class KeepGoing { no, yes };
Result<DryRunReport> dry_run(db::Session& session, std::span<const Migration* const> pending, const Settings& settings,
                             DryRunObserver* observer = nullptr, KeepGoing keep_going = KeepGoing::no);

// validate on a shadow database (--shadow-db-url), a throwaway one the job owns: `pending`
// applied for real in order, each file in its own transaction with its history row, with
// push's code (Pusher: pipelined batches), so no transaction grows with the number of files
// and the lock table is no limit. A file the observer watches runs alone: BEGIN, before(), the
// file and its history row, after() (which leaves the file's own state), COMMIT. The verdicts
// follow dry_run's rules: KeepGoing::no stops at the first failure (the rest Verdict::not_run);
// yes applies on, the later files meeting the state without the failed one, as a dry run's
// do. Files that cannot run in a transaction, or commit in the middle, run as push runs them.
Result<DryRunReport> apply_on_shadow(db::Session& shadow, std::span<const Migration* const> pending,
                                     const Settings& settings, DryRunObserver* observer = nullptr,
                                     KeepGoing keep_going = KeepGoing::no);

} // namespace sbdeploy::migrations
