// Pusher: pending files pushed in order, the ones that run in one transaction sent in batches
// (one round trip per batch over libpq) with the guarantees apply_migration gives one by one.
// Stop-at-first-failure rests on the server: a batch is one pipeline with one Sync, and after
// an error PostgreSQL skips every message up to the Sync, so no transaction after a failed one
// runs (those before it committed, each with its history row).
#include <algorithm>
#include <deque>

#include "db/history.hpp"
#include "migrations/apply.hpp"
#include "migrations/apply_internal.hpp"

namespace sbdeploy::migrations {

namespace {

// Whether a file can share a batch: it runs as one transaction of our own.
bool batchable(const Migration& m) { return m.plan.mode == FileMode::atomic || m.plan.mode == FileMode::self_wrapped; }

} // namespace

std::size_t wire_bytes(const Migration& m) {
    std::size_t n = 0;
    for (const auto& st : m.statements) n += 2 * st.text.size() + 8;
    return n;
}

struct Pusher::Batch {
    Batch(std::size_t first_file, const Settings& settings) : first(first_file), reset(settings) {}
    std::size_t first;  // index in pending of its first file
    const BookkeepingReset reset;  // the transactions' items point into it
    std::vector<std::vector<db::BatchItem>> transactions;  // per file
    std::vector<std::vector<std::size_t>> item_to_statement;  // per file
    std::size_t guard_items = 0;  // a speculative batch's history_is_items, before its first file's
    std::deque<std::expected<db::Committed, db::BatchFailure>> ready;  // answers read ahead (speculate)
    std::unique_ptr<db::TransactionPipeline> pipeline;  // last: gone before what it points into
};

Pusher::Pusher(db::Session& session, std::span<const Migration* const> pending, const Settings& settings)
    : session_(session), pending_(pending), settings_(settings) {
    setup_storage_.reserve(4);  // setup_ points into it
    detail::add_setup(setup_, settings_, setup_storage_);
}

Pusher::~Pusher() = default;

void Pusher::flush_wal() {
    // A synchronous commit waits for the WAL up to its own record, which holds every earlier
    // commit; but PostgreSQL commits a transaction that wrote no WAL asynchronously, so this one
    // rewrites the last applied file's history row unchanged (a real write, to a row the push
    // just made). Best effort: the push is failing already.
    const db::Value version = pending_[next_ - 2]->file.version;
    const db::Value params[] = {version};
    (void)session_.exec_params("UPDATE supabase_migrations.schema_migrations SET version = version WHERE version = $1",
                               params);
}

bool Pusher::in_flight() const { return batch_ != nullptr || (api_ && api_->in_flight()); }

std::unique_ptr<Pusher::Batch> Pusher::make_batch(std::size_t max_bytes) const {
    auto batch = std::make_unique<Batch>(next_, settings_);
    std::size_t bytes = 0;
    for (std::size_t i = next_; i < pending_.size(); ++i) {
        const Migration& m = *pending_[i];
        const std::size_t size = wire_bytes(m);
        if (!batchable(m) || batch->transactions.size() >= std::max<std::size_t>(1, settings_.batch_files) ||
            (!batch->transactions.empty() && bytes + size > max_bytes))
            break;
        bytes += size;
        std::vector<db::BatchItem> items = setup_;
        std::vector<std::size_t> to_statement = detail::append_statements(items, m);
        batch->reset.append_to(items);
        items.push_back(db::insert_history_item(m.file.version, m.file.name, db::text_array_literal(m.texts())));
        // Every file but the push's last commits without waiting for the WAL flush (one fsync per
        // file otherwise). The last one's COMMIT waits for the WAL up to it, which makes all the
        // earlier ones durable before success is reported; a crash before then loses a suffix of
        // whole files, as commits reach the WAL in order. Last: an index past the history row
        // counts as the commit (batch_error).
        if (i + 1 < pending_.size()) items.push_back({"SET LOCAL synchronous_commit = off", {}});
        batch->item_to_statement.push_back(std::move(to_statement));
        batch->transactions.push_back(std::move(items));
    }
    return batch;
}

bool Pusher::last(const Batch& batch) const { return batch.first + batch.transactions.size() == pending_.size(); }

void Pusher::start_batch() {
    auto batch = make_batch(settings_.batch_bytes);
    sent_after_ = last(*batch) && !after_.empty();
    batch->pipeline = sent_after_ ? session_.pipeline_then(batch->transactions, after_)
                                  : session_.pipeline(batch->transactions);
    batch_ = std::move(batch);
}

Result<std::vector<db::HistoryRow>> Pusher::speculate(std::string expected, std::size_t max_bytes, long wait_ms) {
    taken_ = false;
    if (session_.scope() != db::Scope::session || next_ != 0 || pending_.empty() || !batchable(*pending_[0]) ||
        wire_bytes(*pending_[0]) > max_bytes)
        return db::lock_and_read_history(session_, wait_ms);
    auto batch = make_batch(std::min(max_bytes, settings_.batch_bytes));
    auto guard = db::history_is_items(std::move(expected));
    batch->guard_items = guard.size();
    batch->transactions[0].insert(batch->transactions[0].begin(), guard.begin(), guard.end());
    // When the batch holds every file, the lock's release (send_after_last) goes behind it, for
    // a bet won only. Something goes behind it in any case: it ends the block a failed guard
    // leaves open, which would otherwise cost a round trip of its own.
    const bool whole = last(*batch) && !after_.empty();
    const db::BatchItem after[] = {whole ? db::release_push_lock_if_won_item() : db::forget_won_item()};
    auto sent = db::lock_and_read_history_then(session_, wait_ms, batch->transactions, after);
    batch->pipeline = std::move(sent.pipeline);
    // Every answer is read now (the timings are the answers' own), so the session is free for
    // whatever the caller does before next().
    for (std::size_t i = 0; i < batch->transactions.size(); ++i) {
        batch->ready.push_back(batch->pipeline->next());
        if (!batch->ready.back()) break;
    }
    const auto& first = batch->ready.front();
    taken_ = first || first.error().index >= batch->guard_items;
    if (taken_) {
        sent_after_ = whole;
        batch_ = std::move(batch);
    }
    return db::speculated_history(session_, wait_ms, std::move(sent.answer));
}

Result<Applied> Pusher::next() {
    if (session_.scope() == db::Scope::call) {  // several files per request (apply_api_batch.cpp)
        if (!api_) api_ = std::make_unique<detail::ApiPusher>(session_, pending_, settings_);
        ++next_;
        return api_->next();
    }
    const Migration& m = *pending_[next_];
    if (!batch_ && !batchable(m)) {
        ++next_;
        auto alone = apply_migration(session_, m, settings_);
        if (!alone && alone.error().kind != ErrorKind::connection && next_ > 1) flush_wal();
        return alone;
    }
    if (!batch_) start_batch();
    const std::size_t k = next_ - batch_->first;
    const std::size_t end = batch_->first + batch_->transactions.size();
    ++next_;
    auto r = batch_->ready.empty() ? batch_->pipeline->next() : std::move(batch_->ready.front());
    if (!batch_->ready.empty()) batch_->ready.pop_front();
    if (!r) {
        const db::BatchFailure& f = r.error();
        const bool lost = f.error.kind == ErrorKind::connection;
        const std::size_t lead = setup_.size() + (k == 0 ? batch_->guard_items : 0);
        Error e = lost ? detail::connection_failure(m, f.error, end - next_)
                       : detail::batch_error(m, batch_->item_to_statement[k], lead, f);
        batch_.reset();
        // The files before this one committed without waiting for the WAL flush; the push
        // reports them applied, so they are made durable first, as a success's last commit would.
        if (!lost && next_ > 1) flush_wal();
        return fail(std::move(e));
    }
    if (next_ == end) batch_.reset();
    return Applied{r->ms, std::move(r->notices)};
}

} // namespace sbdeploy::migrations
