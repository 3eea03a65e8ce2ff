// The push's bet on the history (src/cli/push_bet.hpp): which history, and the batch sent on it.
#include "cli/push_bet.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <span>
#include <utility>

#include "db/history.hpp"
#include "github/runner.hpp"
#include "policy/promotion.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

constexpr std::size_t kFreshBytes = 32u * 1024u;    // TCP's first window (10 segments)
constexpr std::size_t kEventBytes = 1024u * 1024u;  // a wrong bet: a database behind the branch

} // namespace

std::optional<std::set<std::string>> migrations_added_by_push(const Context& ctx) {
    auto runner = github::RunnerContext::from(ctx.env);
    auto event = github::load_event(runner, ctx.options.get_or("event-path", runner.event_path));
    if (!event || event->name != "push" || !event->document || !event->document->IsObject()) return std::nullopt;
    auto commits = event->document->FindMember("commits");
    if (commits == event->document->MemberEnd() || !commits->value.IsArray() || commits->value.Empty())
        return std::nullopt;
    std::set<std::string> added;
    for (const auto& commit : commits->value.GetArray()) {
        if (!commit.IsObject()) continue;
        auto files = commit.FindMember("added");
        if (files == commit.MemberEnd() || !files->value.IsArray()) continue;
        for (const auto& f : files->value.GetArray())
            if (f.IsString()) added.insert(std::filesystem::path(f.GetString()).filename().string());
    }
    return added;
}

bool adds_migrations(const std::optional<std::set<std::string>>& added, const Project& project) {
    return added && std::ranges::any_of(project.migrations, [&](const migrations::Migration& m) {
               return added->contains(m.file.filename);
           });
}

std::optional<HistoryBet> history_bet(const PushRun& run) {
    if (run.dry_run || run.session->scope() != db::Scope::session || run.extras.seed || run.extras.rollback_on_verify ||
        run.target.environment == policy::kProtectedEnvironment)
        return std::nullopt;
    const auto& added = run.added;
    HistoryBet bet{
        {}, {}, added ? kEventBytes : kFreshBytes, added ? "the files the push event added" : "a fresh database"};
    // The history bet on: every local file the event did not add, with its statements.
    std::vector<db::HistoryRow> rows;
    for (const auto& m : run.project.migrations)
        if (added && !added->contains(m.file.filename)) rows.push_back({m.file.version, m.file.name, m.texts()});
    auto plan = plan_for(run.project, rows, run.settings.include_all);
    if (plan_problem(run.project, plan, AllowEdited::no) || plan.to_apply.empty()) return std::nullopt;
    std::size_t bytes = 0;
    for (auto i : plan.to_apply) {
        const auto& m = run.project.migrations[i];
        if (m.plan.mode == migrations::FileMode::parts) return std::nullopt;  // its warning comes with the plan
        bytes += migrations::wire_bytes(m);
        bet.pending.push_back(&m);
    }
    if (!added && bytes > kFreshBytes) return std::nullopt;  // a wrong bet would cost round trips
    std::vector<std::pair<std::string, std::span<const std::string>>> digest_rows;
    digest_rows.reserve(rows.size());
    for (const auto& r : rows) digest_rows.emplace_back(r.version, *r.statements);
    bet.digest = db::history_digest(std::move(digest_rows));
    return bet;
}

Result<std::vector<db::HistoryRow>> start_push(Context& ctx, PushRun& run) {
    auto bet = history_bet(run);
    if (!bet) return db::lock_and_read_history(*run.session, run.settings.lock_wait_ms);
    run.bet_pending = std::move(bet->pending);
    auto pusher = std::make_unique<migrations::Pusher>(*run.session, run.bet_pending, run.settings);
    pusher->send_after_last({db::release_push_lock_item()});  // a bet is made only when nothing follows
    auto history = pusher->speculate(bet->digest, bet->max_bytes, run.settings.lock_wait_ms);
    ctx.console.debug("push: bet on " + bet->basis + " (" + util::plural(run.bet_pending.size(), "file") + "): " +
                      (pusher->taken() ? "won, the first batch went with the history read"
                                       : "lost, nothing of it ran"));
    if (!pusher->taken()) return history;
    run.pusher = std::move(pusher);
    run.pending = run.bet_pending;
    // The server ran the batch under the history bet on, whatever the read said.
    return history ? std::move(history) : std::vector<db::HistoryRow>{};
}

} // namespace sbdeploy::cli
