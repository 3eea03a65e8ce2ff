// What the two halves of applying share: apply.cpp (loading, the session transport, the
// dispatch) and apply_api.cpp (transports whose every call is its own session and
// transaction, Scope::call: the Management API). Not part of the module's interface.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations::detail {

inline constexpr std::string_view kNotInTransaction = "it cannot run in a transaction block";

double elapsed_ms(std::chrono::steady_clock::time_point since);

// The session state every file starts from (RESET ALL, the role, our timeouts); `storage` holds
// the texts the items point into.
void add_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage);

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

// SQLSTATE 53200 (out of shared memory): in a dry run, the lock table is full.
bool out_of_lock_memory(const Error& e);
// Whether the dry run stops after `d` (failed: without KeepGoing::yes, or out of lock memory).
bool dry_run_stops_after(const DryRun& d, KeepGoing keep_going);
// The file whose failure was the lock table running out: it becomes Verdict::not_run, as the
// files after it are (the capacity is what failed, not the file). Nothing when none.
std::optional<std::size_t> settle_out_of_locks(std::vector<DryRun>& files);

} // namespace sbdeploy::migrations::detail
