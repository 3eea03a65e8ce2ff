// Applying migrations: each file with its history row in one transaction (or, for a
// file of statements that cannot run in a transaction, one by one and recorded after
// the last), and the dry run that executes pending files and rolls everything back.
// Failures are Errors located at the file and line of the failing statement.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "migrations/classify.hpp"
#include "migrations/files.hpp"
#include "migrations/plan.hpp"
#include "migrations/split.hpp"

namespace sbdeploy::migrations {

struct Migration {
    MigrationFile file;
    std::vector<Statement> statements;
    FilePlan plan;
    std::shared_ptr<const Migration> down;  // its down SQL (migrations/down.hpp); null when none
    [[nodiscard]] std::vector<std::string> texts() const;
};

// Reads, splits and classifies one file, and its down SQL: the file's `-- sbdeploy:down`
// section is not part of the migration. Config errors (exit 2) name the file and line.
Result<Migration> load_migration(const MigrationFile& file);

// Splits and classifies `sql` as the content of `file` (no down section, no down file).
// Splits::parts lets it commit in the middle (FileMode::parts), as migrations may.
Result<Migration> parse_migration(const MigrationFile& file, std::string_view sql, Splits splits = Splits::refused);

// The refusal of a FileMode::parts file over a transport without sessions (Scope::call): its
// parts would be separate requests, and the push lock would not hold between them.
Error parts_over_api(const Migration& m);

struct Settings {
    long lock_timeout_ms = 0;       // 0: leave the server's setting
    long statement_timeout_ms = 0;  // 0: leave the server's setting
    // Scope::call transports only (each file takes the push lock itself): how long a file
    // waits for it, and whether a newer recorded version is fine (--include-all).
    long lock_wait_ms = 60'000;
    IncludeAll include_all = IncludeAll::no;
    // Pusher over a Scope::session transport: the most files, and bytes of their SQL, sent in
    // one batch (one round trip).
    std::size_t batch_files = 200;
    std::size_t batch_bytes = 4u << 20;
};

// Who recorded a migration that apply_migration was asked to apply. Over a Scope::call
// transport the re-check under the lock may find it recorded: by an earlier attempt of our
// own request (retried after a timeout or a server error: that attempt had committed), or
// by another run between our history read and our apply. Either way nothing runs twice.
enum class AppliedBy { this_run, earlier_attempt, another_run };

struct Applied {
    // Wall time of the file. Sent in a batch (Pusher): from the previous file's answer (the
    // first: from sending the batch) to its own, which is the server's time on it when the
    // server is the bottleneck; the batch's round trip counts with its first file.
    double ms = 0;
    std::vector<std::string> notices;
    AppliedBy by = AppliedBy::this_run;
    // Invalid indexes an interrupted run of this file had left, dropped before it ran again
    // (migrations/invalid_indexes.hpp).
    std::vector<std::string> dropped_indexes = {};
    // Applied, but an odd answer had to be checked against the history (Scope::call
    // transports): what to warn about. Empty when the answer itself proved it.
    std::string warning = {};
};

// Pushes one migration. On failure nothing of the file remains (except for a
// non-transactional file, whose completed statements stay; the history row is then
// not written, so the history stays truthful) and the Error names file and line.
// Over a Scope::call transport the file, its history row, the push lock and a re-check of
// the history travel in one request (BEGIN ... COMMIT).
Result<Applied> apply_migration(db::Session& session, const Migration& m, const Settings& settings);

namespace detail {
class ApiPusher;
}

// Pushes `pending` in order, each file as apply_migration does (atomic with its history row,
// session state reset before it), one result per next(). Over a Scope::session transport the
// files that run in one transaction go in batches (db::TransactionPipeline): one round trip
// for up to Settings::batch_files files, and after a failing file the server runs nothing more
// of its batch. A file that runs outside a transaction or in parts ends a batch and runs alone.
// Over a Scope::call transport (the Management API) such files go several to a request, each
// its own BEGIN ... COMMIT block, and the history read back says which committed.
class Pusher {
public:
    // `session`, `pending` and the migrations must outlive the Pusher.
    Pusher(db::Session& session, std::span<const Migration* const> pending, const Settings& settings);
    ~Pusher();
    Pusher(const Pusher&) = delete;
    Pusher& operator=(const Pusher&) = delete;

    // The result of the next file of `pending`, in order. Not called again after a failure.
    Result<Applied> next();
    // The next file was sent already: it commits or not whatever the caller does now, so a
    // caller that wants to stop reads its result first.
    [[nodiscard]] bool in_flight() const;

private:
    struct Batch;
    void start_batch();
    db::Session& session_;
    std::span<const Migration* const> pending_;
    Settings settings_;
    std::vector<std::string> setup_storage_;
    std::vector<db::BatchItem> setup_;
    std::size_t next_ = 0;
    std::unique_ptr<Batch> batch_;
    std::unique_ptr<detail::ApiPusher> api_;  // Scope::call transports (apply_api_batch.cpp)
};

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
Result<DryRunReport> dry_run(db::Session& session, std::span<const Migration* const> pending,
                             const Settings& settings, DryRunObserver* observer = nullptr,
                             KeepGoing keep_going = KeepGoing::no);

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

// Put back, right before sbdeploy's own writes (the history row, the seed hash) in a
// transaction that ran a user's SQL, what that SQL may have changed and the writes depend
// on: statement_timeout and lock_timeout (a file's `SET statement_timeout = '1ms'` or
// `SET LOCAL ...` must not cancel its own history row) and the role (a file's `SET ROLE`
// must not make the history table out of reach). Back to what sbdeploy set up before the
// file: --statement-timeout / --lock-timeout, else the server's defaults. Transaction-local
// (SET LOCAL): nothing of it outlives the transaction. The items point into this object.
class BookkeepingReset {
public:
    explicit BookkeepingReset(const Settings& settings);
    void append_to(std::vector<db::BatchItem>& items) const;
    static constexpr std::size_t size = 3;  // items append_to adds

private:
    std::string lock_timeout_;
    std::string statement_timeout_;
};

// The file line of a server error inside statement `index` (position in error.column).
Error locate_failure(const Migration& m, std::size_t index, Error server_error);

} // namespace sbdeploy::migrations
