// The push's bet on the history: one round trip fewer over a WAN (issue 21). When the push can
// tell what the history holds, its first batch goes with the lock and the history read, and the
// server runs it only if the history is exactly that (db::history_is_items); else nothing of it
// runs, and the push goes on as without a bet, having sent the batch's bytes for nothing.
//  - A push event that added migration files: they are the pending ones, every other local file
//    applied with its statements (a database that took every push before this one).
//  - Nothing to tell by: a fresh database, when every pending file fits in 32 KiB (what TCP
//    sends in its first window, so a wrong bet costs no round trip of its own).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/push_run.hpp"

namespace sbdeploy::cli {

struct HistoryBet {
    std::vector<const migrations::Migration*> pending;  // the files to push if the bet holds
    std::string digest;     // db::history_digest of the history bet on
    std::size_t max_bytes;  // of files sent with the history read
    std::string basis;      // what the bet rests on, for --debug
};

// The file names of the migrations a push event's commits added (commits[].added), or nothing
// when this run is not a push or its payload lists no commits.
std::optional<std::set<std::string>> migrations_added_by_push(const Context& ctx);
// Whether `added` includes a migration of `project`.
bool adds_migrations(const std::optional<std::set<std::string>>& added, const Project& project);

// From run.added. Nothing for a dry run, a transport without sessions, a push with seed data or verify (they
// read the history first), a push to production (its gate reads staging first), or a plan
// that would not push or would refuse under the history bet on.
std::optional<HistoryBet> history_bet(const PushRun& run);

// The history read that starts a push: with the bet's batch when there is one (run.pusher is
// set when the server ran it, and run.pending is then its files), else lock_and_read_history.
Result<std::vector<db::HistoryRow>> start_push(Context& ctx, PushRun& run);

} // namespace sbdeploy::cli
