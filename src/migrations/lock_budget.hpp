// The server's lock table against what a dry run would lock. A dry run holds a lock on every
// object its one transaction creates or touches until the rollback, and the lock table is
// shared by all sessions: max_locks_per_transaction x (max_connections +
// max_prepared_transactions) objects. Full, it fails every session's next lock with SQLSTATE
// 53200 (out of shared memory), so the dry run takes only the files that fit.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <unordered_set>

#include "db/session.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::migrations {

struct LockCapacity {
    long max_locks_per_transaction = 0;
    long max_connections = 0;
    long max_prepared_transactions = 0;
    long held_by_others = 0;  // lock table entries other sessions hold right now

    // Objects the lock table holds, for all sessions together.
    [[nodiscard]] long total() const;
    // What the dry run may take: the total, less what others hold now, less room for them to
    // grow (a tenth, at least one transaction's worth) and for the dry run's own bookkeeping.
    [[nodiscard]] long budget() const;
    // "max_locks_per_transaction 64 x (max_connections 100 + max_prepared_transactions 0) = 6,400"
    [[nodiscard]] std::string describe() const;
};

// The settings and the entries held by other sessions (pg_locks); one query.
Result<LockCapacity> read_lock_capacity(db::Session& session);

// A conservative count of the lock table entries that running files in one transaction
// takes: each relation the statements name (tables, views, sequences, indexes, once each
// however often they are named), plus what a statement creates without naming it (a
// table's TOAST table and its index, the index of a primary key or unique constraint, the
// sequence of a serial or identity column, the new copy of a table that a rewrite builds)
// and each other object altered or dropped. What runs inside a function or DO block is not
// counted: a full lock table met anyway is caught as SQLSTATE 53200.
class LockEstimate {
public:
    // Adds `m`'s statements; returns the entries they add to those of the files added before.
    std::size_t add(const Migration& m);
    [[nodiscard]] std::size_t total() const { return total_; }

private:
    std::unordered_set<std::string> named_;
    std::size_t total_ = 0;
};

// How many of `pending`, from the first, a dry run can take within `budget` entries.
std::size_t files_that_fit(std::span<const Migration* const> pending, long budget);

} // namespace sbdeploy::migrations
