// The Session interface's default TransactionPipeline: each transaction on its own, one
// exec_batch (one round trip) per next(), for transports that cannot send several at once.
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

} // namespace

std::unique_ptr<TransactionPipeline> Session::pipeline(std::span<const std::vector<BatchItem>> transactions) {
    return std::make_unique<OneByOne>(*this, transactions);
}

} // namespace sbdeploy::db
