#include "migrations/files.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace fs = std::filesystem;

bool parse_migration_name(std::string_view filename, std::string& version, std::string& name) {
    // ^([0-9]+)_(.*)\.sql$
    if (!filename.ends_with(".sql")) return false;
    std::size_t digits = 0;
    while (digits < filename.size() && filename[digits] >= '0' && filename[digits] <= '9') ++digits;
    if (digits == 0 || digits >= filename.size() || filename[digits] != '_') return false;
    if (digits + 1 > filename.size() - 4) return false;
    version.assign(filename.substr(0, digits));
    name.assign(filename.substr(digits + 1, filename.size() - 4 - digits - 1));
    return true;
}

Result<Listing> list_migrations(const std::string& dir, const std::string& display_dir) {
    std::error_code ec;
    auto st = fs::status(dir, ec);
    if (ec || !fs::exists(st))
        return fail(ErrorKind::config, "migrations folder " + util::quoted(display_dir) + " does not exist",
                    "create it with 'supabase migration new <name>', or point --migrations-dir at your migrations");
    if (!fs::is_directory(st))
        return fail(ErrorKind::config, "migrations folder " + util::quoted(display_dir) + " is not a folder",
                    "point --migrations-dir at the folder that holds the .sql files");

    std::vector<std::pair<std::string, fs::directory_entry>> entries;
    fs::directory_iterator it(dir, ec), end;
    if (ec)
        return fail(ErrorKind::config,
                    "cannot read migrations folder " + util::quoted(display_dir) + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) break;
        entries.emplace_back(it->path().filename().string(), *it);
    }
    if (ec)
        return fail(ErrorKind::config,
                    "cannot read migrations folder " + util::quoted(display_dir) + ": " + ec.message());
    // The CLI reads the folder in file name order.
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    Listing listing;
    std::map<std::string, std::string> by_version;
    std::set<std::size_t> widths;
    for (auto& [filename, entry] : entries) {
        std::string display = display_dir + "/" + filename;
        std::error_code sec;
        auto est = entry.status(sec);
        if (sec) {
            if (util::to_lower(filename).ends_with(".sql"))
                return fail(make_error(ErrorKind::config, "cannot read migration " + util::quoted(display) + ": " + sec.message(),
                                       "fix or remove the file (a broken link?)")
                                .at(display));
            listing.notices.push_back("ignored " + util::quoted(display) + ": " + sec.message());
            continue;
        }
        if (fs::is_directory(est)) {
            listing.notices.push_back("ignored subfolder " + util::quoted(display) + " (only files directly in the folder are migrations)");
            continue;
        }
        std::string version, name;
        bool is_sql_like = util::to_lower(filename).ends_with(".sql");
        if (!parse_migration_name(filename, version, name)) {
            if (is_sql_like)
                return fail(make_error(ErrorKind::config,
                                       "migration file " + util::quoted(display) +
                                           " does not match <version>_<name>.sql, so it would never be applied",
                                       "rename it to a digits-only version, an underscore and a name ending in .sql, "
                                       "e.g. 'supabase migration new <name>' makes 20250101120000_<name>.sql")
                                .at(display));
            listing.notices.push_back("ignored " + util::quoted(display) + " (not a .sql file)");
            continue;
        }
        if (!fs::is_regular_file(est))
            return fail(make_error(ErrorKind::config, "migration " + util::quoted(display) + " is not a regular file",
                                   "replace it with the .sql file itself")
                            .at(display));
        if (auto dup = by_version.find(version); dup != by_version.end())
            return fail(make_error(ErrorKind::config,
                                   "migrations " + util::quoted(dup->second) + " and " + util::quoted(display) +
                                       " share version " + util::quoted(version),
                                   "give one of them a new version (a later timestamp); the history table keys on the version")
                            .at(display));
        by_version.emplace(version, display);
        widths.insert(version.size());
        listing.files.push_back(MigrationFile{version, name, filename, entry.path().string(), display});
    }
    if (widths.size() > 1) {
        std::string list;
        for (auto w : widths) list += (list.empty() ? "" : ", ") + std::to_string(w);
        listing.warnings.push_back("migration versions have different widths (" + list +
                                   " digits); they are applied in file name order, as the Supabase CLI does");
    }
    return listing;
}

} // namespace sbdeploy::migrations
