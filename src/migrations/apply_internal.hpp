// What the parts of applying share: apply.cpp (the session transport, the dispatch),
// locate.cpp (failures mapped to statements), dry_run.cpp and dry_run_pipeline.cpp, and
// apply_api.cpp (transports whose every call is its own session and transaction, Scope::call:
// the Management API). Not part of the module's interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "migrations/apply.hpp"
#include "migrations/dry_run.hpp"

namespace sbdeploy::migrations::detail {

inline constexpr std::string_view kNotInTransaction = "it cannot run in a transaction block";

double elapsed_ms(std::chrono::steady_clock::time_point since);

// The session state every file starts from (RESET ALL, the role, our timeouts); `storage` holds
// the texts the items point into.
void add_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage);

// Appends the statements of `m` in [from, to) that run (those its plan does not skip) to
// `items`, which then point into `m`; returns each appended item's statement index, the map
// batch_error reads a failure back through.
std::vector<std::size_t> append_statements(std::vector<db::BatchItem>& items, const Migration& m, std::size_t from = 0,
                                           std::size_t to = SIZE_MAX);

// The connection ended while `m` was in flight over a session transport; `sent_after` more
// files were sent with it in one batch (each committed whole or not at all, as it is).
Error connection_failure(const Migration& m, const Error& cause, std::size_t sent_after = 0);

// Maps a batch failure back to a statement (or to the bookkeeping around it): `setup_items`
// items come before the statements, `item_to_statement` maps the next ones to theirs.
Error batch_error(const Migration& m, const std::vector<std::size_t>& item_to_statement, std::size_t setup_items,
                  const db::BatchFailure& f);

// Why a dry run's failure of `m` says nothing about the push; empty: a real failure.
std::string unfaithful_failure(const Migration& m, const Error& e);

// Scope::call transports (apply_api.cpp): the file, its history row, the push lock and a
// re-check of the history in one request; the dry run as one request ending in ROLLBACK.
Result<Applied> apply_in_one_call(db::Session& session, const Migration& m, const Settings& s);
Result<std::vector<DryRun>> dry_run_in_one_call(db::Session& session, std::span<const Migration* const> pending,
                                                const Settings& s, KeepGoing keep_going);

// The history guard's refusals of `m` as the user reads them: a newer version recorded meanwhile
// (SQLSTATE SB002), or the push lock busy for longer than --lock-wait (SB003); else nothing.
std::optional<Error> guard_refusal(const db::Session& session, const Migration& m, const Settings& s, const Error& e);

// A success answer to the request that applied `m` did not prove it (`why`): the history, read
// again under the push lock, says whether it was applied (with a warning) or not (an error).
Result<Applied> settle_unproven(db::Session& session, const Migration& m, const Settings& s,
                                std::chrono::steady_clock::time_point start, const Error& why);

// Pusher over the Management API (apply_api_batch.cpp): runs of transactional files go several
// to a request, each file its own BEGIN ... COMMIT block; the history read back says which
// committed. Other files, and runs of one, go alone as apply_migration sends them.
class ApiPusher {
public:
    ApiPusher(db::Session& session, std::span<const Migration* const> pending, const Settings& settings);
    Result<Applied> next();  // the next file's result, in order
    [[nodiscard]] bool in_flight() const { return !ready_.empty(); }

private:
    enum class Answered { success, failure };
    std::size_t group_size() const;
    void fill();
    void send(std::size_t count);
    void resolve(std::size_t count, const Error& why, Answered answered, int attempts, double each,
                 std::chrono::steady_clock::time_point start);
    db::Session& session_;
    std::span<const Migration* const> pending_;
    Settings settings_;
    std::size_t max_files_;
    std::size_t sent_ = 0;  // files resolved into ready_ or returned
    std::deque<Result<Applied>> ready_;
};

// add_setup inside the dry run's transaction: SET LOCAL, ending with it.
void add_local_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage);

// Dry-runs files from the front of `files` in one pipelined round trip, inside the dry run's
// open transaction (none may need a DryRunObserver), within Settings::batch_files and
// batch_bytes; appends a verdict for each it got to and returns how many. It ends at the first
// failing file, which is rolled back to its savepoint. Errors: the connection, or the savepoint.
Result<std::size_t> dry_run_batch(db::Session& session, std::span<const Migration* const> files,
                                  const Settings& settings, std::vector<DryRun>& out);

// SQLSTATE 53200 (out of shared memory): in a dry run, the lock table is full.
bool out_of_lock_memory(const Error& e);
// Whether the dry run stops after `d` (failed: without KeepGoing::yes, or out of lock memory).
bool dry_run_stops_after(const DryRun& d, KeepGoing keep_going);
// The file whose failure was the lock table running out: it becomes Verdict::not_run, as the
// files after it are (the capacity is what failed, not the file). Nothing when none.
std::optional<std::size_t> settle_out_of_locks(std::vector<DryRun>& files);

} // namespace sbdeploy::migrations::detail
