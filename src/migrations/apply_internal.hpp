// What the two halves of applying share: apply.cpp (loading, the session transport, the
// dispatch) and apply_api.cpp (transports whose every call is its own session and
// transaction, Scope::call: the Management API). Not part of the module's interface.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations::detail {

inline constexpr std::string_view kNotInTransaction = "it cannot run in a transaction block";

double elapsed_ms(std::chrono::steady_clock::time_point since);

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
                                                const Settings& s);

} // namespace sbdeploy::migrations::detail
