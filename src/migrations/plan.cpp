#include "migrations/plan.hpp"

#include <algorithm>
#include <unordered_map>

namespace sbdeploy::migrations {

std::string_view state_name(State s) {
    switch (s) {
    case State::applied: return "applied";
    case State::pending: return "pending";
    case State::out_of_order: return "out of order";
    case State::missing_locally: return "missing locally";
    case State::edited: return "edited after apply";
    }
    return "?";
}

Plan make_plan(const std::vector<LocalEntry>& local, const std::vector<RemoteEntry>& remote, IncludeAll include_all) {
    Plan plan;
    plan.include_all = include_all;
    std::unordered_map<std::string_view, const RemoteEntry*> by_version;
    by_version.reserve(remote.size());
    for (const auto& r : remote) {
        by_version.emplace(r.version, &r);
        if (r.version > plan.last_remote) plan.last_remote = r.version;  // versions compare as text
    }
    plan.entries.reserve(local.size() + remote.size());  // no doubling at thousands of files
    std::unordered_map<std::string_view, std::size_t> local_index;
    local_index.reserve(local.size());
    for (std::size_t i = 0; i < local.size(); ++i) {
        const auto& l = local[i];
        local_index.emplace(l.version, i);
        PlanEntry e{l.version, l.name, State::pending, i};
        if (auto it = by_version.find(l.version); it != by_version.end()) {
            const RemoteEntry& r = *it->second;
            bool differs = l.statements && r.statements && *l.statements != *r.statements;
            e.state = differs ? State::edited : State::applied;
            if (differs) plan.edited.push_back(l.version);
        } else if (!plan.last_remote.empty() && l.version < plan.last_remote) {
            e.state = State::out_of_order;
            plan.out_of_order.push_back(l.version);
        }
        plan.entries.push_back(std::move(e));
    }
    std::vector<const RemoteEntry*> missing;
    for (const auto& r : remote)
        if (!local_index.contains(r.version)) missing.push_back(&r);
    std::sort(missing.begin(), missing.end(), [](auto* a, auto* b) { return a->version < b->version; });
    for (const auto* r : missing) {
        plan.entries.push_back(PlanEntry{r->version, r->name, State::missing_locally});
        plan.missing_locally.push_back(r->version);
    }
    // The CLI applies out-of-order files first (with --include-all), then the newer ones;
    // in file name order the older ones come first anyway.
    for (const auto& e : plan.entries) {
        if (e.state == State::pending) plan.to_apply.push_back(e.local_index);
        if (e.state == State::out_of_order && include_all == IncludeAll::yes) plan.to_apply.push_back(e.local_index);
    }
    if (include_all == IncludeAll::yes) {
        std::stable_sort(plan.to_apply.begin(), plan.to_apply.end(), [&](std::size_t a, std::size_t b) {
            bool ooa = plan.entries[a].state == State::out_of_order;
            bool oob = plan.entries[b].state == State::out_of_order;
            return ooa && !oob;
        });
    }
    return plan;
}

} // namespace sbdeploy::migrations
