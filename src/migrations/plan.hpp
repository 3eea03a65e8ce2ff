// The plan: local migration files x remote history rows -> what is applied, pending,
// missing locally, out of order, or edited after apply. A pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sbdeploy::migrations {

enum class State {
    applied,          // in both, statements equal (or not recorded)
    pending,          // local only, newer than the newest remote version
    out_of_order,     // local only, older than the newest remote version
    missing_locally,  // remote only
    edited,           // in both, local statements differ from the recorded ones
};

std::string_view state_name(State s);

struct LocalEntry {
    std::string version;
    std::string name;
    std::optional<std::vector<std::string>> statements;  // nullopt: not read (no edit check)
};

struct RemoteEntry {
    std::string version;
    std::string name;
    std::optional<std::vector<std::string>> statements;  // nullopt: not recorded
};

struct PlanEntry {
    std::string version;
    std::string name;
    State state;
    std::size_t local_index = SIZE_MAX;  // index into the local list, SIZE_MAX if remote only
};

enum class IncludeAll { no, yes };

struct Plan {
    std::vector<PlanEntry> entries;  // every version: local order, then remote-only ones in version order
    std::vector<std::size_t> to_apply;  // local indexes, in apply order
    std::vector<std::string> missing_locally;
    std::vector<std::string> out_of_order;
    std::vector<std::string> edited;
    std::string last_remote;  // newest remote version, "" when none
    IncludeAll include_all = IncludeAll::no;  // out_of_order entries are in to_apply when yes
};

// `local` in the CLI's order (file name order); `remote` in any order.
Plan make_plan(const std::vector<LocalEntry>& local, const std::vector<RemoteEntry>& remote, IncludeAll include_all);

} // namespace sbdeploy::migrations
