// A database session: the one interface every transport implements (libpq, and the
// Management API over HTTP). Results are text; failures are Error values with SQLSTATE.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::db {

using Value = std::optional<std::string>;  // NULL is nullopt
using Row = std::vector<Value>;

struct QueryResult {
    std::vector<std::string> columns;
    std::vector<Row> rows;
    std::string command_status;  // "INSERT 0 1", "CREATE TABLE", ...
};

// One statement of a batch, with optional text parameters ($1, $2, ...).
struct BatchItem {
    std::string_view sql;
    std::vector<Value> params;
};

// Where a batch stopped: the index of the failing item and the server's error
// (sqlstate, message, detail, hint; `column` holds the error position within the
// item's text as a 1-based character offset, 0 when the server gave none).
struct BatchFailure {
    // A transport that cannot tell which item failed (the Management API, when its error
    // carries no position and a probe could not find it) says so with this index.
    static constexpr std::size_t unknown_index = static_cast<std::size_t>(-1);
    std::size_t index = 0;
    Error error;
    // How many times the transport sent the batch: more than 1 after a timeout, a dropped
    // connection or a server error, when an earlier attempt may have committed it.
    int attempts = 1;
};

enum class BatchMode {
    atomic,     // one transaction block (BEGIN ... COMMIT): all or nothing; SAVEPOINT works inside.
                // A failure of the COMMIT itself (deferred constraints) has index items.size()
    in_caller,  // inside a transaction the caller opened (validate's dry run)
    rolled_back,  // one transaction block ended by ROLLBACK: runs everything, keeps nothing
};

// The answer to one transaction of a TransactionPipeline: committed, after `ms` (the time
// from the previous transaction's answer, or from sending, to this one's COMMIT answer: the
// server's work on it when the server is the bottleneck), with the notices it raised.
struct Committed {
    double ms = 0;
    std::vector<std::string> notices;
};

// Transactions sent together (libpq: one pipeline, one round trip for all of them), each
// BEGIN, its items, COMMIT, as BatchMode::atomic. The server runs them in order; after the
// first failure it runs nothing more of them. next() reads the answers in order; after it
// returned a failure the transactions after that one did not run, and next() is not called
// again. The items must outlive the pipeline.
class TransactionPipeline {
public:
    virtual ~TransactionPipeline() = default;
    virtual std::expected<Committed, BatchFailure> next() = 0;
};

// What outlives one call. libpq: a session (settings, session advisory locks, an open
// transaction carry over to the next call). The Management API: nothing; every call is
// its own session and transaction, so callers put what must be atomic in one call.
enum class Scope { session, call };

class Session {
public:
    virtual ~Session() = default;
    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Safe description of the target for messages: host:port/db as user.
    [[nodiscard]] virtual std::string describe() const = 0;
    // One SQL string, possibly several statements (simple protocol); rows of the last one.
    virtual Result<QueryResult> exec(std::string_view sql) = 0;
    // One statement with parameters (extended protocol, unnamed: pooler-safe).
    virtual Result<QueryResult> exec_params(std::string_view sql, std::span<const Value> params) = 0;
    // Runs the items in order in one round trip, stopping at the first failure.
    // Returns the number of items run, or the failure.
    virtual std::expected<std::size_t, BatchFailure> exec_batch(std::span<const BatchItem> items, BatchMode mode) = 0;
    // exec_batch for a caller that checks what the batch did by its answer: the rows of the
    // last statement that returned any (as the Management API answers), or why the answer of a
    // batch the server accepted cannot be read. A transport without such an answer says so:
    // the caller can prove nothing by it.
    virtual std::expected<Result<QueryResult>, BatchFailure> exec_batch_answer(std::span<const BatchItem> items,
                                                                               BatchMode mode) {
        auto ran = exec_batch(items, mode);
        if (!ran) return std::unexpected(std::move(ran.error()));
        return Result<QueryResult>(fail(ErrorKind::operation, describe() + " does not answer a batch with its rows"));
    }
    // COPY ... FROM STDIN: `sql` is the COPY statement, `data` its rows in COPY's text format;
    // the command status says how many rows ("COPY 12"). One statement: all rows or none.
    // Only libpq sessions can (can_copy()); the Management API has no COPY.
    [[nodiscard]] virtual bool can_copy() const { return false; }
    virtual Result<QueryResult> copy_in(std::string_view /*sql*/, std::string_view /*data*/) {
        return fail(ErrorKind::operation, "this connection cannot COPY: " + describe());
    }
    // Server notices (RAISE NOTICE, warnings) collected since the last call.
    virtual std::vector<std::string> take_notices() = 0;
    // Backend process id, for lock holder messages; 0 when unknown.
    [[nodiscard]] virtual int backend_pid() const = 0;
    [[nodiscard]] virtual Scope scope() const { return Scope::session; }
    // Starts `transactions` as one TransactionPipeline. This default runs each on its own,
    // one exec_batch per next(); libpq sends them all at once.
    virtual std::unique_ptr<TransactionPipeline> pipeline(std::span<const std::vector<BatchItem>> transactions);
    // pipeline(), then `after`: statements that run outside any transaction block whether or
    // not a transaction failed (releasing a session lock), once the transactions are done. libpq
    // sends them with the transactions, behind a Sync of their own (no round trip of their own);
    // this default runs them after the last answer or the failure. Their answers and notices
    // are dropped. The items must outlive the pipeline.
    virtual std::unique_ptr<TransactionPipeline> pipeline_then(std::span<const std::vector<BatchItem>> transactions,
                                                               std::span<const BatchItem> after);
    // pipeline_then, preceded by `before`: statements that run as exec_batch_answer runs them
    // (BatchMode::in_caller, one implicit transaction), whose answer goes to `before_answer`
    // before this returns. libpq sends `before` behind a Sync of its own, in the same flush as
    // the transactions: one round trip for both. The transactions run whatever `before` did, so
    // what they depend on of it they check themselves (the push's speculative first batch).
    virtual std::unique_ptr<TransactionPipeline> pipeline_after(
        std::span<const BatchItem> before, std::expected<Result<QueryResult>, BatchFailure>& before_answer,
        std::span<const std::vector<BatchItem>> transactions, std::span<const BatchItem> after);
};

} // namespace sbdeploy::db
