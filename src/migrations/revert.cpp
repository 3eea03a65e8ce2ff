#include "migrations/revert.hpp"

#include <algorithm>

#include "migrations/content.hpp"
#include "migrations/down.hpp"

namespace sbdeploy::migrations {

namespace {

// The removed file as the parent commit had it, with its down SQL from there.
Result<std::shared_ptr<const Migration>> load_removed(const RemovedFile& removed, MigrationFile file,
                                                      const std::string& folder_display) {
    file.filename = removed.filename;
    file.display = folder_display + "/" + removed.filename;
    if (!removed.down_name.empty()) file.down_display = folder_display + "/" + removed.down_name;
    if (auto bad = check_content(removed.content)) {
        bad->file = file.display;
        return fail(std::move(*bad));
    }
    const DownSection section = split_down_section(removed.content);
    auto m = parse_migration(file, section.up, Splits::parts);
    if (!m) return fail(std::move(m.error()));
    std::optional<std::string_view> down_file;
    if (removed.down_content) down_file = *removed.down_content;
    auto down = load_down_text(file, section, down_file);
    if (!down) return fail(std::move(down.error()));
    m->down = std::move(*down);
    return std::make_shared<const Migration>(std::move(*m));
}

} // namespace

std::vector<std::string> down_candidates(std::string_view filename) {
    std::string stem(filename.substr(0, filename.size() - (filename.ends_with(".sql") ? 4 : 0)));
    return {std::string(kDownFolder) + "/" + std::string(filename),
            std::string(kDownFolder) + "/" + stem + std::string(kDownSuffix), stem + std::string(kDownSuffix)};
}

Result<RevertPlan> plan_revert(std::span<const RemovedFile> removed, const std::string& folder_display,
                               std::span<const Migration> local, std::span<const RemoteEntry> applied) {
    RevertPlan plan;
    for (const auto& r : removed) {
        if (up_name_of_down(r.filename)) continue;  // a down file: read with its migration
        MigrationFile file;
        if (!parse_migration_name(r.filename, file.version, file.name)) continue;
        auto row = std::find_if(applied.begin(), applied.end(),
                                [&](const RemoteEntry& e) { return e.version == file.version; });
        if (row == applied.end()) continue;  // never applied: nothing to undo
        if (std::any_of(local.begin(), local.end(), [&](const Migration& m) { return m.file.version == file.version; }))
            continue;  // renamed, not reverted: the version is still here
        auto m = load_removed(r, std::move(file), folder_display);
        if (!m) return fail(std::move(m.error()));
        RollbackStep step{row->version, row->name.empty() ? (*m)->file.name : row->name, m->get(), false};
        if (row->statements) step.edited = *row->statements != (*m)->texts();
        plan.files.push_back(std::move(*m));
        plan.steps.push_back(std::move(step));
    }
    std::sort(plan.steps.begin(), plan.steps.end(),
              [](const RollbackStep& a, const RollbackStep& b) { return a.version > b.version; });
    return plan;
}

} // namespace sbdeploy::migrations
