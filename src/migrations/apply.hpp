// Applying migrations: each file with its history row in one transaction (or, for a
// file of statements that cannot run in a transaction, one by one and recorded after
// the last), one by one or pipelined (Pusher). Failures are Errors located at the file and
// line of the failing statement (migrations/locate.hpp). The dry run: migrations/dry_run.hpp.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "db/history.hpp"
#include "db/session.hpp"
#include "migrations/load.hpp"
#include "migrations/locate.hpp"

namespace sbdeploy::migrations {

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

// What a file puts on the wire in a batch, roughly: its statements, and again as the history
// row's array.
std::size_t wire_bytes(const Migration& m);

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
    // `after` (the push lock's release) goes with the batch that holds the last file and runs
    // whether or not a file of it fails (db::Session::pipeline_then); sent_after() says whether
    // it went: not when the last file runs on its own or the push stopped before its batch.
    void send_after_last(std::vector<db::BatchItem> after) { after_ = std::move(after); }
    [[nodiscard]] bool sent_after() const { return sent_after_; }

    // Instead of db::lock_and_read_history, before the first next(): takes the push lock and reads
    // the history (returned) in one round trip with the first batch, which the server runs only if
    // the history was exactly `expected` (db::history_digest) under the lock; taken() says whether
    // it did. Up to `max_bytes` of files go (what a wrong guess sends for nothing). The answers are
    // all read before this returns, so the session is free until next(). Without a session or
    // with a first file that cannot share a batch, just lock_and_read_history.
    Result<std::vector<db::HistoryRow>> speculate(std::string expected, std::size_t max_bytes, long wait_ms);
    // The batch speculate() sent ran: next() returns its files' results, the pending files were
    // the ones to push. Else nothing of it ran, and this Pusher is not used.
    [[nodiscard]] bool taken() const { return taken_; }

private:
    struct Batch;
    std::unique_ptr<Batch> make_batch(std::size_t max_bytes) const;  // the next files, up to max_bytes
    [[nodiscard]] bool last(const Batch& batch) const;  // whether it holds the last file
    void start_batch();
    bool taken_ = false;
    std::vector<db::BatchItem> after_;
    void flush_wal();  // the earlier files' asynchronous commits made durable
    bool sent_after_ = false;
    db::Session& session_;
    std::span<const Migration* const> pending_;
    Settings settings_;
    std::vector<std::string> setup_storage_;
    std::vector<db::BatchItem> setup_;
    std::size_t next_ = 0;
    std::unique_ptr<Batch> batch_;
    std::unique_ptr<detail::ApiPusher> api_;  // Scope::call transports (apply_api_batch.cpp)
};

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

} // namespace sbdeploy::migrations
