// The Session interface's default TransactionPipeline: each transaction on its own, one
// exec_batch (one round trip) per next(), for transports that cannot send several at once;
// pipeline_then's statements run after it, pipeline_after's before it.
#include "db/session.hpp"

#include <chrono>

namespace sbdeploy::db {

namespace {

class OneByOne final : public TransactionPipeline {
public:
    OneByOne(Session& session, std::span<const std::vector<BatchItem>> transactions)
        : session_(session), transactions_(transactions) {}

    std::expected<Committed, BatchFailure> next() override {
        const auto start = std::chrono::steady_clock::now();
        auto r = session_.exec_batch(transactions_[next_++], BatchMode::atomic);
        if (!r) return std::unexpected(std::move(r.error()));
        return Committed{std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
                         session_.take_notices()};
    }

private:
    Session& session_;
    std::span<const std::vector<BatchItem>> transactions_;
    std::size_t next_ = 0;
};

// A pipeline, then `after` run on the session once the last transaction answered or one
// failed (or the caller stopped reading).
class Then final : public TransactionPipeline {
public:
    Then(Session& session, std::span<const std::vector<BatchItem>> transactions, std::span<const BatchItem> after)
        : session_(session), inner_(session.pipeline(transactions)), left_(transactions.size()), after_(after) {}
    ~Then() override { run_after(); }
    Then(const Then&) = delete;
    Then& operator=(const Then&) = delete;

    std::expected<Committed, BatchFailure> next() override {
        auto r = inner_->next();
        if (!r || --left_ == 0) run_after();
        return r;
    }

private:
    void run_after() {
        if (!inner_) return;
        inner_.reset();  // its answers read first
        for (const auto& item : after_) (void)session_.exec_params(item.sql, item.params);
        (void)session_.take_notices();
    }

    Session& session_;
    std::unique_ptr<TransactionPipeline> inner_;
    std::size_t left_;
    std::span<const BatchItem> after_;
};

} // namespace

std::unique_ptr<TransactionPipeline> Session::pipeline_then(std::span<const std::vector<BatchItem>> transactions,
                                                            std::span<const BatchItem> after) {
    if (after.empty()) return pipeline(transactions);
    return std::make_unique<Then>(*this, transactions, after);
}

std::unique_ptr<TransactionPipeline> Session::pipeline_after(
    std::span<const BatchItem> before, std::expected<Result<QueryResult>, BatchFailure>& before_answer,
    std::span<const std::vector<BatchItem>> transactions, std::span<const BatchItem> after) {
    before_answer = exec_batch_answer(before, BatchMode::in_caller);
    return pipeline_then(transactions, after);
}

std::unique_ptr<TransactionPipeline> Session::pipeline(std::span<const std::vector<BatchItem>> transactions) {
    return std::make_unique<OneByOne>(*this, transactions);
}

} // namespace sbdeploy::db
