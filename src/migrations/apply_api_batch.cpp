// Pushing over the Management API with several files per request: one query of
// `BEGIN; <guard>; <file>; <history row>; COMMIT;` blocks, which the server runs in order and
// stops at the first error (one simple-query string), ending in a read of which of the
// versions are recorded. Whatever else happens (an SQL error, a 5xx after the server committed
// part of it, a timeout), the history, read again under the push lock, says which files
// committed; a retried request never applies a file twice (each block's guard refuses a
// recorded version). The first file that did not commit runs again alone, as
// apply_migration runs it, so that its error names the file and line as it always did.
#include <algorithm>
#include <set>

#include "db/history.hpp"
#include "db/management_api.hpp"
#include "migrations/apply_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations::detail {

namespace {

// Requests stay well under what an HTTP front end accepts; a 413 halves the batch anyway.
constexpr std::size_t kMaxRequestBytes = 1u << 20;

bool batchable(const Migration& m) { return m.plan.mode == FileMode::atomic || m.plan.mode == FileMode::self_wrapped; }

// What a file puts in the request, roughly: its statements, and again as the history row's array.
std::size_t request_bytes(const Migration& m) {
    std::size_t n = 512;  // the guard and the bookkeeping around it
    for (const auto& st : m.statements) n += 2 * st.text.size() + 8;
    return n;
}

std::string local_setting(std::string_view name, long ms) {
    return ms > 0 ? "SET LOCAL " + std::string(name) + " = '" + std::to_string(ms) + "ms'" : std::string();
}

} // namespace

ApiPusher::ApiPusher(db::Session& session, std::span<const Migration* const> pending, const Settings& settings)
    : session_(session),
      pending_(pending),
      settings_(settings),
      max_files_(std::max<std::size_t>(1, settings.batch_files)) {}

Result<Applied> ApiPusher::next() {
    if (ready_.empty()) fill();
    Result<Applied> r = std::move(ready_.front());
    ready_.pop_front();
    return r;
}

// The files from sent_ that go together: transactional ones, within the count and size bounds.
std::size_t ApiPusher::group_size() const {
    const std::size_t byte_limit = std::min(settings_.batch_bytes, kMaxRequestBytes);
    std::size_t n = 0, bytes = 0;
    for (std::size_t i = sent_; i < pending_.size() && n < max_files_; ++i) {
        const Migration& m = *pending_[i];
        if (!batchable(m) || (n > 0 && bytes + request_bytes(m) > byte_limit)) break;
        bytes += request_bytes(m);
        ++n;
    }
    return n;
}

void ApiPusher::fill() {
    const std::size_t count = group_size();
    if (count < 2) {  // alone, as apply_migration applies it (and refuses what the API cannot apply)
        ready_.push_back(apply_migration(session_, *pending_[sent_], settings_));
        ++sent_;
        return;
    }
    send(count);
}

void ApiPusher::send(std::size_t count) {
    const auto start = std::chrono::steady_clock::now();
    const auto check = settings_.include_all == IncludeAll::yes ? db::CheckNewer::no : db::CheckNewer::yes;
    const std::string lock_sql = local_setting("lock_timeout", settings_.lock_timeout_ms);
    const std::string statement_sql = local_setting("statement_timeout", settings_.statement_timeout_ms);
    const BookkeepingReset reset(settings_);
    std::vector<db::BatchItem> items;
    std::vector<std::string> versions;
    std::vector<std::pair<std::string, std::string>> written;
    for (std::size_t k = sent_; k < sent_ + count; ++k) {
        const Migration& m = *pending_[k];
        items.push_back({"BEGIN", {}});
        items.push_back({"RESET ALL", {}});
        items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});  // a SET ROLE survives RESET ALL
        for (auto& g : db::history_guard_items(settings_.lock_wait_ms, m.file.version, check))
            items.push_back(std::move(g));
        if (!lock_sql.empty()) items.push_back({lock_sql, {}});
        if (!statement_sql.empty()) items.push_back({statement_sql, {}});
        for (std::size_t i = 0; i < m.statements.size(); ++i)
            if (!m.plan.skip[i]) items.push_back({m.statements[i].text, {}});
        reset.append_to(items);
        items.push_back(db::insert_history_item(m.file.version, m.file.name, db::text_array_literal(m.texts())));
        items.push_back({"COMMIT", {}});
        versions.push_back(m.file.version);
        written.emplace_back(m.file.version, m.file.name);
    }
    items.push_back(db::recorded_rows_item(versions));
    auto answer = db::exec_script(session_, items);
    const double each = elapsed_ms(start) / static_cast<double>(count);
    if (answer && *answer) {
        auto proof = db::check_recorded_rows(**answer, written);
        if (proof) {
            for (std::size_t k = 0; k < count; ++k) ready_.push_back(Applied{each, {}, AppliedBy::this_run});
            sent_ += count;
            return;
        }
        return resolve(count, proof.error(), Answered::success, 1, each, start);
    }
    if (answer) return resolve(count, answer->error(), Answered::success, 1, each, start);
    return resolve(count, answer.error().error, Answered::failure, answer.error().attempts, each, start);
}

// The request of `count` files from sent_ did not prove them all applied (`why`): the history,
// read again under the push lock (a transaction still running finishes first), says which did.
void ApiPusher::resolve(std::size_t count, const Error& why, Answered answered, int attempts, double each,
                        std::chrono::steady_clock::time_point start) {
    const Migration& first = *pending_[sent_];
    auto history = db::read_history_locked(session_, settings_.lock_wait_ms);
    if (!history && history.error().sqlstate == db::kLockBusy) {
        ready_.push_back(fail(*guard_refusal(session_, first, settings_, history.error())));
        sent_ = pending_.size();
        return;
    }
    if (!history) {
        Error e = why;
        e.detail.clear();
        e.message = "applying " + util::quoted(first.file.filename) + " and the " + util::plural(count - 1, "file") +
                    " after it in one request: " + why.message +
                    "; reading the history again to find out what committed failed: " + history.error().message;
        e.hint = "run 'sbdeploy status' to see what is recorded: a push applies what is not recorded, never a file "
                 "twice";
        e.file = first.file.display;
        ready_.push_back(fail(std::move(e)));
        sent_ = pending_.size();
        return;
    }
    std::set<std::string> recorded;
    for (const auto& row : *history) recorded.insert(row.version);
    // The guard that stopped the request names its file (detail): the files before it committed
    // in this request; it and the recorded ones after it, elsewhere: in an earlier attempt of
    // this request (retried) or, while this one waited for the lock, in another run.
    const bool recorded_before = why.sqlstate == db::kAlreadyRecorded && !why.detail.empty();
    const bool lock_busy = why.sqlstate == db::kLockBusy && !why.detail.empty();
    const AppliedBy elsewhere = recorded_before && attempts > 1 ? AppliedBy::earlier_attempt : AppliedBy::another_run;
    AppliedBy by = AppliedBy::this_run;
    const std::size_t end = sent_ + count;
    const std::size_t before = sent_;
    for (; sent_ < end && recorded.contains(pending_[sent_]->file.version); ++sent_) {
        if ((recorded_before || lock_busy) && pending_[sent_]->file.version == why.detail) by = elsewhere;
        Applied a{each, {}, by};
        if (answered == Answered::success)
            a.warning = "the management api's answer does not show the history rows the request wrote (" + why.message +
                        "); the history, read again, records version " + pending_[sent_]->file.version +
                        ": it was applied";
        ready_.push_back(std::move(a));
    }
    if (sent_ == end) return;
    const Migration& m = *pending_[sent_];
    if (answered == Answered::success) {  // the whole request ran, and yet this file is not recorded
        ready_.push_back(settle_unproven(session_, m, settings_, start, why));
        sent_ = pending_.size();
        return;
    }
    if (why.kind == ErrorKind::connection) {  // too large or too slow for one request: smaller ones
        max_files_ = std::max<std::size_t>(1, count / 2);
        if (sent_ > before) return;
    } else if (recorded_before && sent_ > before) {
        return;  // the next request goes on from the first file not recorded
    }
    // The file that stopped the request, alone: its error located as it always was (or, when
    // what stopped it has passed, applied).
    ready_.push_back(apply_migration(session_, m, settings_));
    ++sent_;
}

} // namespace sbdeploy::migrations::detail
