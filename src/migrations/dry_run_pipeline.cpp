// validate's dry run over libpq, pipelined like push (issue 21): inside the dry run's one
// transaction, many files go in one round trip, each SAVEPOINT, the session setup, its
// statements, the history row, the commit's deferred-constraint check, RELEASE. After an error
// PostgreSQL skips everything up to the Sync, so the failing item tells the failing file: the
// files before it ran and were released, nothing after it ran, and ROLLBACK TO its savepoint
// leaves the transaction as it was before it, as the file-by-file dry run does.
#include <algorithm>
#include <chrono>

#include "db/history.hpp"
#include "migrations/apply_internal.hpp"

namespace sbdeploy::migrations::detail {

namespace {

constexpr std::string_view kSavepoint = "SAVEPOINT sbdeploy_dry_run";
constexpr std::string_view kRelease = "RELEASE SAVEPOINT sbdeploy_dry_run";

// One file's place in the batch: items [first, first + count), the savepoint first and the
// release last; count 0 for a file that is not dry-run.
struct Placed {
    const Migration* m = nullptr;
    std::size_t first = 0, count = 0, setup = 0;
    std::vector<std::size_t> item_to_statement;
};

// Appends `m`'s items; returns its place.
Placed place(const Migration& m, const std::vector<db::BatchItem>& setup, const BookkeepingReset& reset,
             std::vector<db::BatchItem>& items) {
    Placed p{&m, items.size(), 0, setup.size(), {}};
    items.push_back({kSavepoint, {}});
    items.insert(items.end(), setup.begin(), setup.end());
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
        if (m.plan.skip[i]) continue;
        items.push_back({m.statements[i].text, {}});
        p.item_to_statement.push_back(i);
    }
    reset.append_to(items);
    items.push_back(db::insert_history_item(m.file.version, m.file.name, db::text_array_literal(m.texts())));
    // What the commit would check: deferred constraints. The savepoint restores their mode
    // afterwards, so later files see their constraints deferred as in a push.
    items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
    items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
    items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
    items.push_back({kRelease, {}});
    p.count = items.size() - p.first;
    return p;
}

} // namespace

// Inside the dry run's transaction: SET LOCAL, so the dry run's short lock timeout holds for
// each file and ends with the transaction.
void add_local_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage) {
    items.push_back({"RESET ALL", {}});
    items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});  // a SET ROLE survives RESET ALL
    if (s.lock_timeout_ms > 0) {
        storage.push_back("SET LOCAL lock_timeout = '" + std::to_string(s.lock_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
    if (s.statement_timeout_ms > 0) {
        storage.push_back("SET LOCAL statement_timeout = '" + std::to_string(s.statement_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
}

Result<std::size_t> dry_run_batch(db::Session& session, std::span<const Migration* const> files,
                                  const Settings& settings, std::vector<DryRun>& out) {
    const auto start = std::chrono::steady_clock::now();
    const BookkeepingReset reset(settings);
    std::vector<std::string> storage;
    storage.reserve(2);  // setup holds views into it
    std::vector<db::BatchItem> setup;
    add_local_setup(setup, settings, storage);
    std::vector<db::BatchItem> items;
    std::vector<Placed> placed;
    std::size_t bytes = 0, sent = 0;
    for (const Migration* m : files) {
        if (m->plan.mode == FileMode::non_transactional) {
            placed.push_back(Placed{m, items.size(), 0, 0, {}});
            continue;
        }
        std::size_t size = 0;
        for (const auto& st : m->statements) size += 2 * st.text.size() + 8;
        if (sent >= std::max<std::size_t>(1, settings.batch_files) || (sent > 0 && bytes + size > settings.batch_bytes))
            break;
        bytes += size;
        ++sent;
        placed.push_back(place(*m, setup, reset, items));
    }
    auto r = items.empty() ? std::expected<std::size_t, db::BatchFailure>(0)
                           : session.exec_batch(items, db::BatchMode::in_caller);
    session.take_notices();
    if (!r && r.error().error.kind == ErrorKind::connection) return fail(std::move(r.error().error));
    const std::size_t failed_at = r ? items.size() : r.error().index;
    const double share = sent == 0 ? 0 : elapsed_ms(start) / static_cast<double>(sent);  // one round trip for all
    std::size_t taken = 0;
    for (const Placed& p : placed) {
        if (p.first > failed_at || (p.first == failed_at && p.count > 0)) break;  // skipped by the server
        ++taken;
        DryRun d{p.m, Verdict::ok, std::nullopt, share, {}};
        if (p.count == 0) {
            d.verdict = Verdict::not_dry_run;
            d.why_not = kNotInTransaction;
            d.ms = 0;
            out.push_back(std::move(d));
            continue;
        }
        if (failed_at >= p.first + p.count) {
            out.push_back(std::move(d));
            continue;
        }
        // This file failed. Its savepoint or release itself failing is no verdict on the file.
        const std::size_t at = failed_at - p.first;
        if (at == 0 || at + 1 == p.count) {
            (void)session.exec("ROLLBACK");
            return fail(std::move(r.error().error));
        }
        const db::BatchFailure f{at - 1, r.error().error, r.error().attempts};
        d.why_not = unfaithful_failure(*p.m, f.error);
        d.verdict = d.why_not.empty() ? Verdict::failed : Verdict::not_dry_run;
        if (d.why_not.empty()) d.error = batch_error(*p.m, p.item_to_statement, p.setup, f);
        out.push_back(std::move(d));
        if (auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_dry_run"); !back) return fail(back.error());
        break;
    }
    return taken;
}

} // namespace sbdeploy::migrations::detail
