// The libpq session (over 500 lines: one class whose simple, extended and pipelined calls share
// the connection's state and answer reading; connecting lives in pg_connect.cpp).
#include "db/pg_session.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <memory>
#include <optional>

#include "db/pg_session_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string field(const PGresult* res, int code) {
    const char* v = PQresultErrorField(res, code);
    return v ? std::string(v) : std::string();
}

// libpq's last error as one line: its first line, without the server's "FATAL:  " (the
// tab-indented lines after it are libpq's guesses: "This probably means the server ...").
std::string libpq_cause(PGconn* conn) {
    std::string_view text = util::trim(PQerrorMessage(conn));
    text = text.substr(0, text.find('\n'));
    for (std::string_view prefix : {"FATAL:  ", "ERROR:  ", "PANIC:  "})
        if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
    std::string out(util::trim(text));
    return out.empty() ? std::string("the connection was closed") : out;
}

// A server error as an Error: message, SQLSTATE, detail, hint, context, and the
// error position within the statement in `column`.
Error server_error(const PGresult* res, PGconn* conn) {
    Error e;
    e.kind = ErrorKind::database;
    e.sqlstate = field(res, PG_DIAG_SQLSTATE);
    e.message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    if (e.message.empty()) e.message = libpq_cause(conn);
    e.detail = field(res, PG_DIAG_MESSAGE_DETAIL);
    e.hint = field(res, PG_DIAG_MESSAGE_HINT);
    e.context = field(res, PG_DIAG_CONTEXT);
    auto pos = field(res, PG_DIAG_STATEMENT_POSITION);
    if (!pos.empty()) e.column = std::atoi(pos.c_str());
    if (e.sqlstate.empty() && PQstatus(conn) == CONNECTION_BAD) {
        e.kind = ErrorKind::connection;
        e.message = "lost the connection to the database: " + libpq_cause(conn);
    }
    // A FATAL error (the backend terminated, the server shutting down or restarting) ends
    // the session: the server reported it, so the statement failed and its transaction
    // rolled back, but nothing more can run on this connection.
    auto severity = field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity == "FATAL" || severity == "PANIC") e.kind = ErrorKind::connection;
    // A timeout says nothing about the migration: name the setting and how to raise it.
    if (e.sqlstate == "55P03" && e.hint.empty())
        e.hint = "the migration itself may be fine: another session held a lock it needs for longer than lock_timeout "
                 "(--lock-timeout, else the server's setting); run again when that session is done, or raise "
                 "--lock-timeout (e.g. --lock-timeout 30s)";
    if (e.sqlstate == "57014" && e.message.find("statement timeout") != std::string::npos && e.hint.empty())
        e.hint = "the migration itself may be fine: it ran longer than statement_timeout (--statement-timeout, else "
                 "the server's or the role's setting); raise --statement-timeout (e.g. --statement-timeout 30m) and "
                 "run again";
    return e;
}

Error connection_lost(PGconn* conn) {
    // The server may still have committed what it had received (a whole file with its
    // history row, never part of one): the fix is a re-run, which skips what is recorded.
    return make_error(ErrorKind::connection, "lost the connection to the database: " + libpq_cause(conn),
                      "a migration in flight was either committed whole with its history row or rolled back; run the "
                      "command again to apply what is still pending");
}

bool ok_status(ExecStatusType st) { return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY; }

QueryResult to_result(const PGresult* res) {
    QueryResult r;
    int ncols = PQnfields(res);
    int nrows = PQntuples(res);
    r.columns.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) r.columns.emplace_back(PQfname(res, c));
    r.rows.reserve(static_cast<std::size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
        Row row;
        row.reserve(static_cast<std::size_t>(ncols));
        for (int c = 0; c < ncols; ++c) {
            if (PQgetisnull(res, i, c))
                row.emplace_back(std::nullopt);
            else
                row.emplace_back(std::string(PQgetvalue(res, i, c), static_cast<std::size_t>(PQgetlength(res, i, c))));
        }
        r.rows.push_back(std::move(row));
    }
    r.command_status = PQcmdStatus(const_cast<PGresult*>(res));
    return r;
}

// What a SIGINT or SIGTERM does to the session: a cancel request (owns its PGcancel, so it
// outlives the session safely) and a cut of the socket (only while the session lives).
util::InterruptActions interrupt_actions(PGconn* conn) {
    util::InterruptActions a;
    if (PGcancel* raw = PQgetCancel(conn)) {
        std::shared_ptr<PGcancel> cancel(raw, &PQfreeCancel);
        a.cancel = [cancel] {
            char error[256];
            PQcancel(cancel.get(), error, sizeof error);
        };
    }
    a.cut = [fd = PQsocket(conn)] {
        if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    };
    return a;
}

class PgSession final : public Session {
public:
    PgSession(PGconn* conn, std::string description, util::InterruptRegistry* interrupts,
              std::chrono::milliseconds silence_limit, std::vector<std::pair<std::string, std::string>> params)
        : conn_(conn), description_(std::move(description)), silence_limit_(silence_limit), params_(std::move(params)) {
        PQsetNoticeReceiver(conn_, &PgSession::on_notice, this);
        if (interrupts) interrupt_.emplace(interrupts, interrupt_actions(conn_));
    }
    ~PgSession() override {
        interrupt_.reset();  // no cut of a socket that PQfinish closes
        PQfinish(conn_);
    }

    [[nodiscard]] std::string describe() const override { return description_; }

    Result<QueryResult> exec(std::string_view sql) override {
        std::string text(sql);
        holders_.clear();
        if (PQsendQuery(conn_, text.c_str()) != 1) return fail(connection_lost(conn_));
        return finish(last_result());
    }

    Result<QueryResult> exec_params(std::string_view sql, std::span<const Value> params) override {
        std::string text(sql);
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        holders_.clear();
        if (PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                              nullptr, 0) != 1)
            return fail(connection_lost(conn_));
        return finish(last_result());
    }

    [[nodiscard]] bool can_copy() const override { return true; }

    Result<QueryResult> copy_in(std::string_view sql, std::string_view data) override {
        std::string text(sql);
        if (PQsendQuery(conn_, text.c_str()) != 1) return fail(connection_lost(conn_));
        ResultPtr start = last_result();
        if (!start) return fail(connection_lost(conn_));
        if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
            if (!ok_status(PQresultStatus(start.get()))) return fail(server_error(start.get(), conn_));
            return fail(ErrorKind::operation, "copy_in needs a COPY ... FROM STDIN statement");
        }
        // The server reads on after a failing row (a unique violation) until the end of the
        // data, then reports it: send everything, then read the one result.
        constexpr std::size_t kChunk = 1 << 16;
        for (std::size_t at = 0; at < data.size(); at += kChunk) {
            const auto n = static_cast<int>(std::min(kChunk, data.size() - at));
            if (PQputCopyData(conn_, data.data() + at, n) != 1) return fail(connection_lost(conn_));
        }
        if (PQputCopyEnd(conn_, nullptr) != 1) return fail(connection_lost(conn_));
        return finish(last_result());
    }

    std::expected<std::size_t, BatchFailure> exec_batch(std::span<const BatchItem> items, BatchMode mode) override {
        return run_batch(items, mode, nullptr);
    }

    // The rows of the last statement that returned rows, as the Management API answers.
    std::expected<Result<QueryResult>, BatchFailure> exec_batch_answer(std::span<const BatchItem> items,
                                                                       BatchMode mode) override {
        std::optional<QueryResult> answer;
        auto ran = run_batch(items, mode, &answer);
        if (!ran) return std::unexpected(std::move(ran.error()));
        if (!answer) return Result<QueryResult>(fail(ErrorKind::operation, "no statement of the batch returned rows"));
        return Result<QueryResult>(std::move(*answer));
    }

    std::unique_ptr<TransactionPipeline> pipeline(std::span<const std::vector<BatchItem>> transactions) override {
        return std::make_unique<Pipelined>(*this, transactions, std::span<const BatchItem>());
    }

    std::unique_ptr<TransactionPipeline> pipeline_then(std::span<const std::vector<BatchItem>> transactions,
                                                       std::span<const BatchItem> after) override {
        return std::make_unique<Pipelined>(*this, transactions, after);
    }

    std::unique_ptr<TransactionPipeline> pipeline_after(std::span<const BatchItem> before,
                                                        std::expected<Result<QueryResult>, BatchFailure>& before_answer,
                                                        std::span<const std::vector<BatchItem>> transactions,
                                                        std::span<const BatchItem> after) override {
        return std::make_unique<Pipelined>(*this, transactions, after, Before{before, &before_answer});
    }

    std::vector<std::string> take_notices() override { return std::exchange(notices_, {}); }

    [[nodiscard]] int backend_pid() const override { return PQbackendPID(conn_); }

private:
    // exec_batch; `answer`, when given, gets the rows of the last statement that returned rows.
    std::expected<std::size_t, BatchFailure> run_batch(std::span<const BatchItem> items, BatchMode mode,
                                                       std::optional<QueryResult>* answer) {
        // Both modes are one pipeline ended by one Sync, so one round trip. Atomic mode
        // brackets the items with an explicit BEGIN and COMMIT: the implicit transaction of
        // a pipeline would be all or nothing too, but it is not a transaction block, and
        // SAVEPOINT (which migrations use) refuses to run outside one. Inside the caller's
        // block the items just run, and a failure aborts the block.
        if (items.empty()) return 0;
        holders_.clear();
        const bool wrap = mode == BatchMode::atomic || mode == BatchMode::rolled_back;
        if (!start_pipeline()) return std::unexpected(BatchFailure{0, connection_lost(conn_)});
        bool send_failed = wrap && !send("BEGIN", {});
        for (std::size_t i = 0; i < items.size() && !send_failed; ++i)
            send_failed = !send(items[i].sql, items[i].params);
        if (wrap && !send_failed) send_failed = !send(mode == BatchMode::atomic ? "COMMIT" : "ROLLBACK", {});
        if (auto lost = sync_pipeline(send_failed)) return std::unexpected(BatchFailure{0, std::move(*lost)});

        std::optional<BatchFailure> failure;
        if (!read_answers(items.size(), wrap, failure, answer)) return std::unexpected(std::move(*failure));
        end_pipeline(wrap, items.size() - 1, failure);
        if (failure) return std::unexpected(std::move(*failure));
        return items.size();
    }

    // Transactions in one pipeline with one Sync: BEGIN, the items, COMMIT and a flush request
    // each, so that the server sends every COMMIT's answer as it happens (the answers pace the
    // timings and the console). After an error the server skips every message up to the Sync:
    // the transactions after a failed one never run, so none can commit after it.
    // pipeline_then's statements follow that Sync: a ROLLBACK (a failed transaction's block
    // stays open in the aborted state past the Sync; without one it only warns), them, and a
    // Sync of their own, so they run whatever the transactions did, in the same flush.
    // pipeline_after's statements go first, behind a Sync of their own: their answer is read
    // before the constructor returns (the transactions' come after it).
    struct Before {
        std::span<const BatchItem> items;
        std::expected<Result<QueryResult>, BatchFailure>* answer;
    };
    class Pipelined final : public TransactionPipeline {
    public:
        Pipelined(PgSession& s, std::span<const std::vector<BatchItem>> transactions, std::span<const BatchItem> after,
                  Before before = Before{{}, nullptr})
            : s_(s), syncs_(after.empty() ? 1 : 2) {
            s_.holders_.clear();
            bool failed = !s_.start_pipeline();
            for (std::size_t i = 0; i < before.items.size() && !failed; ++i)
                failed = !s_.send(before.items[i].sql, before.items[i].params);
            if (!before.items.empty()) failed = failed || PQpipelineSync(s_.conn_) != 1;
            for (const auto& t : transactions) {
                sizes_.push_back(t.size());
                failed = failed || !s_.send("BEGIN", {});
                for (std::size_t i = 0; i < t.size() && !failed; ++i) failed = !s_.send(t[i].sql, t[i].params);
                failed = failed || !s_.send("COMMIT", {}) || PQsendFlushRequest(s_.conn_) != 1 || !s_.flush();
            }
            if (!after.empty()) {
                failed = failed || PQpipelineSync(s_.conn_) != 1 || !s_.send("ROLLBACK", {});
                for (std::size_t i = 0; i < after.size() && !failed; ++i)
                    failed = !s_.send(after[i].sql, after[i].params);
            }
            send_error_ = s_.sync_pipeline(failed);
            open_ = !send_error_;
            if (before.answer) *before.answer = read_before(before.items.size());
            since_ = std::chrono::steady_clock::now();
        }
        ~Pipelined() override {
            // Answers the caller did not read: read, so that the session is ready again.
            std::optional<BatchFailure> ignored;
            while (open_ && next_ < sizes_.size() && s_.read_answers(sizes_[next_++], true, ignored)) {
            }
            if (open_) end(0, ignored);
        }
        Pipelined(const Pipelined&) = delete;
        Pipelined& operator=(const Pipelined&) = delete;

        std::expected<Committed, BatchFailure> next() override {
            if (send_error_) return std::unexpected(BatchFailure{0, *send_error_});
            std::optional<BatchFailure> failure;
            if (!s_.read_answers(sizes_[next_++], true, failure)) {
                open_ = false;
                return std::unexpected(std::move(*failure));
            }
            const auto now = std::chrono::steady_clock::now();
            Committed done{std::chrono::duration<double, std::milli>(now - since_).count(), s_.take_notices()};
            since_ = now;
            if (failure) {  // the rest were skipped: read their answers, then the Sync
                std::optional<BatchFailure> skipped;
                while (next_ < sizes_.size() && s_.read_answers(sizes_[next_++], true, skipped)) {
                }
            }
            if (failure) {
                end(sizes_[next_ - 1], failure);
                return std::unexpected(std::move(*failure));
            }
            if (next_ == sizes_.size()) {
                // Its COMMIT answered: a connection lost now is for the next call to find.
                std::optional<BatchFailure> after;
                end(0, after);
            }
            return done;
        }

    private:
        // The answer to pipeline_after's statements, up to their Sync: as exec_batch_answer's.
        std::expected<Result<QueryResult>, BatchFailure> read_before(std::size_t items) {
            if (send_error_) return std::unexpected(BatchFailure{0, *send_error_});
            std::optional<BatchFailure> failure;
            std::optional<QueryResult> answer;
            if (!s_.read_answers(items, false, failure, &answer) || !s_.read_sync()) {
                open_ = false;
                std::optional<BatchFailure> lost;
                s_.end_pipeline(true, 0, lost, 0);
                if (!failure) failure = lost ? std::move(*lost) : BatchFailure{0, s_.connection_lost_now()};
                send_error_ = failure->error;
                return std::unexpected(std::move(*failure));
            }
            if (failure) return std::unexpected(std::move(*failure));
            if (!answer) return Result<QueryResult>(fail(ErrorKind::operation, "no statement returned rows"));
            return Result<QueryResult>(std::move(*answer));
        }

        // Reads up to the last Sync; what the statements after the transactions raised is dropped.
        void end(std::size_t last, std::optional<BatchFailure>& failure) {
            open_ = false;
            s_.end_pipeline(true, last, failure, syncs_);
            if (syncs_ > 1) s_.notices_.clear();
        }

        PgSession& s_;
        int syncs_;  // 2 with statements after the transactions
        std::vector<std::size_t> sizes_;  // items per transaction
        std::size_t next_ = 0;
        std::optional<Error> send_error_;  // sending failed: the connection is gone
        bool open_ = true;                 // in pipeline mode, answers left to read
        std::chrono::steady_clock::time_point since_;
    };

    bool start_pipeline() {
        if (PQenterPipelineMode(conn_) != 1) return false;
        PQsetnonblocking(conn_, 1);
        return true;
    }

    // Queues one statement; libpq sends once 8 KB are buffered, and flush() sends the rest (one
    // packet per transaction rather than per statement).
    bool send(std::string_view sql, const std::vector<Value>& params) {
        send_buffer_.assign(sql);
        send_values_.clear();
        for (const auto& p : params) send_values_.push_back(p ? p->c_str() : nullptr);
        return PQsendQueryParams(conn_, send_buffer_.c_str(), static_cast<int>(send_values_.size()), nullptr,
                                 send_values_.data(), nullptr, nullptr, 0) == 1;
    }

    // Ends what was sent with the Sync. When sending failed: why (read before leaving pipeline
    // mode, which has its own say in libpq's error message).
    std::optional<Error> sync_pipeline(bool send_failed) {
        if (send_failed || PQpipelineSync(conn_) != 1 || !flush()) {
            PQsetnonblocking(conn_, 0);
            auto e = connection_lost_now();
            PQexitPipelineMode(conn_);
            return e;
        }
        PQsetnonblocking(conn_, 0);
        return std::nullopt;
    }

    [[nodiscard]] Error connection_lost_now() const { return silent_ ? silence_error() : connection_lost(conn_); }

    // Reads the answers of `items` items (wrapped: plus our BEGIN, counted as item 0, and our
    // COMMIT, counted as item `items`); the first error goes to `failure`. False when the
    // connection is gone (then `failure` says so).
    bool read_answers(std::size_t items, bool wrapped, std::optional<BatchFailure>& failure,
                      std::optional<QueryResult>* answer = nullptr) {
        const std::size_t queries = items + (wrapped ? 2 : 0);
        for (std::size_t q = 0; q < queries; ++q) {
            std::size_t i = wrapped ? (q == 0 ? 0 : q - 1) : q;
            bool got_any = false;
            while (true) {
                if (!await_result()) break;
                ResultPtr res(PQgetResult(conn_), &PQclear);
                if (!res) break;
                got_any = true;
                if (PQresultStatus(res.get()) == PGRES_FATAL_ERROR && !failure)
                    failure = BatchFailure{i, with_holders(server_error(res.get(), conn_))};
                if (answer && PQresultStatus(res.get()) == PGRES_TUPLES_OK) *answer = to_result(res.get());
            }
            if (!got_any && PQstatus(conn_) == CONNECTION_BAD) {
                if (!failure) failure = BatchFailure{i, connection_lost_now()};
                return false;
            }
        }
        return true;
    }

    // Reads the answers up to the next Sync, staying in pipeline mode. False when no Sync came:
    // the connection is gone, or three reads in a row found nothing.
    bool read_sync() {
        for (int empty = 0; empty < 3;) {
            if (!await_result()) return false;
            ResultPtr res(PQgetResult(conn_), &PQclear);
            if (!res) {
                if (PQstatus(conn_) == CONNECTION_BAD) return false;
                ++empty;
                continue;
            }
            empty = 0;
            if (PQresultStatus(res.get()) == PGRES_PIPELINE_SYNC) return true;
        }
        return false;
    }

    // Reads up to the `syncs`th Sync and leaves pipeline mode; after a failure an explicit block
    // stays open in the aborted state: it is rolled back. `last` is the index a lost connection gets.
    void end_pipeline(bool wrapped, std::size_t last, std::optional<BatchFailure>& failure, int syncs = 1) {
        while (syncs-- > 0 && read_sync()) {
        }
        PQexitPipelineMode(conn_);
        if (PQstatus(conn_) == CONNECTION_BAD && !failure) failure = BatchFailure{last, connection_lost(conn_)};
        if (failure && silent_ && failure->error.kind == ErrorKind::connection) failure->error = silence_error();
        if (failure && wrapped && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE)
            (void)exec("ROLLBACK");
    }

    // The one result of a statement: its rows, the server's error, or the lost connection.
    Result<QueryResult> finish(const ResultPtr& res) const {
        if (silent_ && (!res || PQstatus(conn_) == CONNECTION_BAD)) return fail(silence_error());
        if (!res) return fail(connection_lost(conn_));
        if (!ok_status(PQresultStatus(res.get()))) return fail(with_holders(server_error(res.get(), conn_)));
        return to_result(res.get());
    }

    // Sends what libpq has buffered, reading the server's answers meanwhile so that
    // neither side blocks on a full socket buffer.
    bool flush() {
        while (true) {
            int r = PQflush(conn_);
            if (r == 0) return true;
            if (r < 0) return false;
            pollfd pfd{PQsocket(conn_), POLLIN | POLLOUT, 0};
            int n = poll(&pfd, 1, poll_timeout());
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                give_up();
                return false;
            }
            if (n < 0) return false;
            if ((pfd.revents & POLLIN) && PQconsumeInput(conn_) != 1) return false;
        }
    }

    // What PQexec does (the last result of the query sent, an error kept over later ones,
    // stopping at COPY), with every wait on the socket bounded by await_result.
    ResultPtr last_result() {
        ResultPtr last(nullptr, &PQclear);
        while (await_result()) {
            ResultPtr res(PQgetResult(conn_), &PQclear);
            if (!res) break;
            auto st = PQresultStatus(res.get());
            if (!(last && PQresultStatus(last.get()) == PGRES_FATAL_ERROR && st != PGRES_FATAL_ERROR))
                last = std::move(res);
            if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH ||
                PQstatus(conn_) == CONNECTION_BAD)
                break;
        }
        return last;
    }

    // Waits until PQgetResult would not block. A connection that stays open but passes no
    // data (a stalled proxy, a frozen server; TCP keepalives see nothing wrong) would make
    // libpq wait for ever: after silence_limit_ without a byte, the statement is cancelled
    // and the connection closed. False then, and the session is done.
    // While it waits, who blocks the statement is read on a side connection now and then, so
    // that a lock timeout can name the session that held the lock.
    bool await_result() {
        using Clock = std::chrono::steady_clock;
        auto silent_since = Clock::now();
        auto next_sample = silent_since + std::chrono::milliseconds(500);
        while (PQisBusy(conn_)) {
            pollfd pfd{PQsocket(conn_), POLLIN, 0};
            if (pfd.fd < 0) return true;  // PQgetResult reports the closed connection
            auto now = Clock::now();
            long long wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_sample - now).count();
            if (silence_limit_.count() > 0)
                wait = std::min<long long>(
                    wait,
                    std::chrono::duration_cast<std::chrono::milliseconds>(silent_since + silence_limit_ - now).count());
            int n = poll(&pfd, 1, static_cast<int>(std::clamp<long long>(wait, 0, INT_MAX)));
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) {
                if (silence_limit_.count() > 0 && Clock::now() - silent_since >= silence_limit_) {
                    give_up();
                    return false;
                }
                if (Clock::now() >= next_sample) {
                    sample_holders();
                    next_sample = Clock::now() + std::chrono::seconds(5);
                }
                continue;
            }
            if (n < 0 || PQconsumeInput(conn_) != 1) return true;
            silent_since = Clock::now();
        }
        return true;
    }

    // The sessions that block this one's statement (pg_blocking_pids), read on a connection of
    // their own with the same settings, within 2 s in all (never while a signal stops the run).
    void sample_holders() {
        if (util::interrupt_signal() != 0) return;
        using Clock = std::chrono::steady_clock;
        const auto deadline = Clock::now() + std::chrono::seconds(2);
        auto wait_for = [&](PGconn* c, short events) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            pollfd pfd{PQsocket(c), events, 0};
            return left > 0 && pfd.fd >= 0 && poll(&pfd, 1, static_cast<int>(left)) > 0;
        };
        std::vector<std::pair<std::string, std::string>> params = params_;
        params.emplace_back("application_name", "sbdeploy (lock holder check)");
        const ParamArrays arrays(params);
        std::unique_ptr<PGconn, decltype(&PQfinish)> side(PQconnectStartParams(arrays.keys.data(), arrays.values.data(),
                                                                               1),
                                                          &PQfinish);
        if (!side || PQstatus(side.get()) == CONNECTION_BAD) return;
        for (auto st = PGRES_POLLING_WRITING; st != PGRES_POLLING_OK;) {
            if (st == PGRES_POLLING_FAILED) return;
            if (!wait_for(side.get(), st == PGRES_POLLING_READING ? POLLIN : POLLOUT)) return;
            st = PQconnectPoll(side.get());
        }
        const std::string pid = std::to_string(PQbackendPID(conn_));
        const char* args[] = {pid.c_str()};
        if (PQsendQueryParams(side.get(),
                              "SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(a.state, '') "
                              "FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1::int)) ORDER BY a.pid",
                              1, nullptr, args, nullptr, nullptr, 0) != 1)
            return;
        while (PQisBusy(side.get()))
            if (!wait_for(side.get(), POLLIN) || PQconsumeInput(side.get()) != 1) return;
        ResultPtr res(PQgetResult(side.get()), &PQclear);
        if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) == 0) return;
        std::string found;
        for (int i = 0; i < PQntuples(res.get()); ++i)
            found += std::string(found.empty() ? "" : ", ") + "pid " + PQgetvalue(res.get(), i, 0) +
                     " (application_name " + util::quoted(PQgetvalue(res.get(), i, 1)) + ", " +
                     util::quoted(PQgetvalue(res.get(), i, 2)) + ")";
        holders_ = "the session" + std::string(PQntuples(res.get()) > 1 ? "s " : " ") + found;
    }

    // A lock timeout names the sessions seen blocking the statement, when they were seen.
    [[nodiscard]] Error with_holders(Error e) const {
        if (e.sqlstate == "55P03" && !holders_.empty()) e.hint = util::replace_all(e.hint, "another session", holders_);
        return e;
    }

    [[nodiscard]] int poll_timeout() const {
        return silence_limit_.count() > 0 ? static_cast<int>(std::min<long long>(silence_limit_.count(), INT_MAX)) : -1;
    }

    // No cancel request: it could stall on the same path (PQcancel waits without a bound), and
    // the server's statement_timeout, shorter than the silence, ends the statement anyway; the
    // closed socket rolls back what is in flight.
    void give_up() {
        silent_ = true;
        if (int fd = PQsocket(conn_); fd >= 0) ::shutdown(fd, SHUT_RDWR);
        PQconsumeInput(conn_);  // sees the closed socket: CONNECTION_BAD
    }

    [[nodiscard]] Error silence_error() const {
        const auto seconds = std::to_string((silence_limit_.count() + 999) / 1000);
        return make_error(ErrorKind::connection,
                          "the database sent nothing for " + seconds +
                              " s, longer than --statement-timeout allows (plus a margin): the connection was closed",
                          "the server or a proxy on the way stalled; a migration in flight was either committed whole "
                          "with its history row or rolled back: run 'sbdeploy status', then the command again");
    }

    static void on_notice(void* self, const PGresult* res) {
        auto* s = static_cast<PgSession*>(self);
        std::string severity = field(res, PG_DIAG_SEVERITY);
        std::string msg = field(res, PG_DIAG_MESSAGE_PRIMARY);
        s->notices_.push_back(severity.empty() ? msg : util::to_lower(severity) + ": " + msg);
    }

    PGconn* conn_;
    std::string description_;
    std::chrono::milliseconds silence_limit_;  // 0: wait as long as the server takes
    bool silent_ = false;                       // the limit ran out: the connection is closed
    std::vector<std::pair<std::string, std::string>> params_;  // to open a side connection
    std::string holders_;  // who blocked the statement in flight, when a sample saw it
    std::optional<util::InterruptScope> interrupt_;
    std::vector<std::string> notices_;
    std::string send_buffer_;  // the statement being sent (libpq copies it)
    std::vector<const char*> send_values_;
};

} // namespace

std::unique_ptr<Session> make_pg_session(PGconn* conn, std::string description, util::InterruptRegistry* interrupts,
                                         std::chrono::milliseconds silence_limit,
                                         std::vector<std::pair<std::string, std::string>> params) {
    return std::make_unique<PgSession>(conn, std::move(description), interrupts, silence_limit, std::move(params));
}

} // namespace sbdeploy::db
