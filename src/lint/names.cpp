// File names as the Supabase CLI reads them: what it skips (a name that is not
// <version>_<name>.sql) and what makes it fail halfway (one version twice).
#include <filesystem>
#include <map>

#include "lint/lint.hpp"
#include "migrations/files.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint {

void check_file_names(std::span<SourceFile> files) {
    std::map<std::string, std::string> seen;  // version -> file
    for (auto& f : files) {
        std::string filename = std::filesystem::path(f.display).filename().string();
        std::string version, name;
        if (!migrations::parse_migration_name(filename, version, name)) {
            auto unmatched = migrations::describe_unmatched(filename, f.display);
            f.file_findings.push_back({Rule::file_name,
                                       util::quoted(filename) + " is not a migration name (" + unmatched.why +
                                           "): the Supabase CLI and push skip the file, so its SQL never runs",
                                       unmatched.rename.empty() ? "rename it to <version>_<name>.sql"
                                                                : "rename it to " + util::quoted(unmatched.rename)});
            continue;
        }
        auto [it, first] = seen.try_emplace(version, filename);
        if (!first)
            f.file_findings.push_back(
                {Rule::duplicate_version,
                 "version " + util::quoted(version) + " is also the version of " + util::quoted(it->second) +
                     ": push refuses both, and the Supabase CLI applies the first and fails on this one",
                 "give this file a new version: a timestamp after the newest migration's"});
    }
}

}  // namespace sbdeploy::lint
