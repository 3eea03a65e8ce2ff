#include "migrations/files.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "migrations/down.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace fs = std::filesystem;

namespace {

// Folders a link in the migrations folder may point into (canonical); empty: links unchecked.
using Allowed = std::vector<fs::path>;

Allowed allowed_roots(const std::string& root, const std::string& dir) {
    Allowed out;
    if (root.empty()) return out;
    for (const auto& p : {root, dir}) {
        std::error_code ec;
        auto c = fs::canonical(p, ec);
        if (!ec) out.push_back(c);
    }
    return out;
}

// A link in the folder that resolves outside the project would run SQL from anywhere on the
// runner (another checkout, /etc, a secret mounted as a file) as if the pull request had it.
std::optional<Error> link_outside(const fs::directory_entry& entry, const std::string& display,
                                  const Allowed& allowed) {
    std::error_code ec;
    if (allowed.empty() || !entry.is_symlink(ec) || ec) return std::nullopt;
    auto target = fs::canonical(entry.path(), ec);
    if (ec) return std::nullopt;  // a broken link: reported as unreadable where it matters
    for (const auto& root : allowed) {
        auto rel = target.lexically_relative(root);
        if (!rel.empty() && *rel.begin() != "..") return std::nullopt;
    }
    return make_error(ErrorKind::config,
                      "migration " + util::quoted(display) + " is a link to " + util::quoted(target.string()) +
                          ", outside the project",
                      "copy the file into the project instead of linking to it: sbdeploy runs only SQL that is in "
                      "the repository")
        .at(display);
}

struct DownFolder {
    struct File {
        std::string up_name, path, display;
    };
    std::vector<File> files;
    std::vector<std::string> notices;
};

// down/: <version>_<name>.sql (or .down.sql) undoes <version>_<name>.sql of the folder
// above. A .sql file named otherwise is an error (it would never run); others are ignored.
Result<DownFolder> list_down_folder(const std::string& dir, const std::string& display_dir, const Allowed& allowed) {
    std::error_code ec;
    std::vector<std::pair<std::string, fs::directory_entry>> entries;
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) entries.emplace_back(it->path().filename().string(), *it);
    if (ec)
        return fail(ErrorKind::config,
                    "cannot read down migrations folder " + util::quoted(display_dir) + ": " + ec.message());
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    DownFolder out;
    std::set<std::string> ups;
    for (auto& [filename, entry] : entries) {
        std::string display = display_dir + "/" + filename;
        if (std::any_of(filename.begin(), filename.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
            return fail(make_error(ErrorKind::config,
                                   "a file name in " + util::quoted(display_dir) + " contains a control character",
                                   "rename it: names of down files are printed in logs and workflow commands"));
        if (auto outside = link_outside(entry, display, allowed)) return fail(std::move(*outside));
        std::error_code sec;
        auto est = entry.status(sec);
        const bool is_sql = util::to_lower(filename).ends_with(".sql");
        if (!is_sql || (!sec && fs::is_directory(est))) {
            out.notices.push_back("ignored " + util::quoted(display) + " (not a down migration)");
            continue;
        }
        std::string up_name = up_name_of_down(filename).value_or(filename);
        std::string version, name;
        if (!filename.ends_with(".sql") || !parse_migration_name(up_name, version, name))
            return fail(make_error(ErrorKind::config,
                                   "down migration " + util::quoted(display) +
                                       " does not match <version>_<name>.sql, so it would never run",
                                   "name it as the migration it undoes, e.g. " + display_dir +
                                       "/20250101120000_<name>.sql undoes 20250101120000_<name>.sql")
                            .at(display));
        if (sec || !fs::is_regular_file(est))
            return fail(make_error(ErrorKind::config,
                                   "down migration " + util::quoted(display) + " is not a regular file",
                                   "replace it with the .sql file itself")
                            .at(display));
        if (!ups.insert(up_name).second)
            return fail(make_error(ErrorKind::config,
                                   "two down files in " + util::quoted(display_dir) + " undo " + util::quoted(up_name),
                                   "keep one of them")
                            .at(display));
        out.files.push_back({up_name, entry.path().string(), display});
    }
    return out;
}

// std::error_code messages are capitalised ("No such file or directory"); ours are not.
std::string lower_first(std::string text) {
    if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return text;
}
} // namespace

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

Unmatched describe_unmatched(std::string_view filename, std::string display) {
    Unmatched u{std::move(display), {}, {}};
    auto stem = filename.substr(0, filename.size() - 4);
    std::string version, name;
    if (!filename.ends_with(".sql")) {
        u.why = "it ends in " + util::quoted(filename.substr(filename.size() - 4)) + ", not \".sql\"";
        if (parse_migration_name(std::string(stem) + ".sql", version, name)) u.rename = std::string(stem) + ".sql";
        return u;
    }
    std::size_t digits = 0;
    while (digits < stem.size() && stem[digits] >= '0' && stem[digits] <= '9') ++digits;
    auto is_digit = [&](std::size_t i) { return i < stem.size() && stem[i] >= '0' && stem[i] <= '9'; };
    // 2026-01-26_name.sql, 2026-01-26-name.sql: a date with dashes; the time is unknown, so 000000.
    if (digits == 4 && stem.size() > 11 && stem[4] == '-' && is_digit(5) && is_digit(6) && stem[7] == '-' &&
        is_digit(8) && is_digit(9) && (stem[10] == '_' || stem[10] == '-' || stem[10] == ' ')) {
        u.why = "its version is a date written with dashes, and a version is digits only";
        u.rename = std::string(stem.substr(0, 4)) + std::string(stem.substr(5, 2)) + std::string(stem.substr(8, 2)) +
                   "000000_" + std::string(stem.substr(11)) + ".sql";
        return u;
    }
    if (digits == 0) {
        u.why = stem.starts_with('.') ? "it is a hidden file (a macOS ._ file?), not a migration"
                                      : "it does not start with a version (digits)";
        auto first = stem.empty() ? '\0' : stem.front();
        if ((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))
            u.rename = "<YYYYMMDDHHMMSS>_" + std::string(stem) + ".sql";
        return u;
    }
    if (digits == stem.size()) {
        u.why = "it has no underscore and name after the version";
        u.rename = std::string(stem) + "_<name>.sql";
        return u;
    }
    u.why = "the version is followed by " + util::quoted(stem.substr(digits, 1)) + ", not an underscore";
    if (stem[digits] == '-' || stem[digits] == '.' || stem[digits] == ' ')
        u.rename = std::string(stem.substr(0, digits)) + "_" + std::string(stem.substr(digits + 1)) + ".sql";
    return u;
}

Result<Listing> list_migrations(const std::string& dir, const std::string& display_dir, const std::string& root,
                                Duplicates duplicates) {
    const Allowed allowed = allowed_roots(root, dir);
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
    struct Down {
        std::string up_name, path, display;
        bool in_folder = false;  // down/<version>_<name>.sql rather than a sibling .down.sql
    };
    std::vector<Down> downs;  // paired with their migrations after the loop
    for (auto& [filename, entry] : entries) {
        // A control character (a newline) in a name would let it forge log lines and
        // workflow commands (::error::, ::add-mask::) wherever the name is printed.
        if (std::any_of(filename.begin(), filename.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
            std::string shown;
            for (char c : filename) {
                auto u = static_cast<unsigned char>(c);
                if (u < 0x20 || u == 0x7f) {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "\\x%02x", u);
                    shown += hex;
                } else {
                    shown += c;
                }
            }
            return fail(make_error(ErrorKind::config,
                                   "file name " + util::quoted(display_dir + "/" + shown) +
                                       " contains a control character",
                                   "rename it: names of files in the migrations folder are printed in logs and "
                                   "workflow commands, where a newline would forge lines"));
        }
        std::string display = display_dir + "/" + filename;
        if (auto outside = link_outside(entry, display, allowed)) return fail(std::move(*outside));
        std::error_code sec;
        auto est = entry.status(sec);
        if (sec) {
            if (util::to_lower(filename).ends_with(".sql"))
                return fail(make_error(ErrorKind::config,
                                       "cannot read migration " + util::quoted(display) + ": " +
                                           lower_first(sec.message()),
                                       "fix or remove the file (a broken link?)")
                                .at(display));
            listing.notices.push_back("ignored " + util::quoted(display) + ": " + lower_first(sec.message()));
            continue;
        }
        bool is_sql_like = util::to_lower(filename).ends_with(".sql");
        // A folder named like a migration is a mistake (an unpacked archive, a tool's
        // output): its SQL would never be applied, so it is not ignored quietly.
        if (fs::is_directory(est) && is_sql_like)
            return fail(
                make_error(ErrorKind::config, "migration " + util::quoted(display) + " is a folder, not a file",
                           "move the .sql file out of it, or rename the folder so its name does not end in .sql")
                    .at(display));
        if (fs::is_directory(est) && filename == kDownFolder) {
            auto found = list_down_folder(entry.path().string(), display, allowed);
            if (!found) return fail(std::move(found.error()));
            for (auto& [up_name, path, shown] : found->files) downs.push_back(Down{up_name, path, shown, true});
            for (auto& n : found->notices) listing.notices.push_back(std::move(n));
            continue;
        }
        if (fs::is_directory(est)) {
            listing.notices.push_back("ignored subfolder " + util::quoted(display) +
                                      " (only files directly in the folder are migrations)");
            continue;
        }
        std::string version, name;
        if (auto up = up_name_of_down(filename); up && fs::is_regular_file(est)) {
            downs.push_back(Down{*up, entry.path().string(), display});
            continue;
        }
        if (!parse_migration_name(filename, version, name)) {
            if (is_sql_like && fs::is_regular_file(est))
                listing.unmatched.push_back(describe_unmatched(filename, display));
            else
                listing.notices.push_back("ignored " + util::quoted(display) + " (not a .sql file)");
            continue;
        }
        if (!fs::is_regular_file(est))
            return fail(make_error(ErrorKind::config, "migration " + util::quoted(display) + " is not a regular file",
                                   "replace it with the .sql file itself")
                            .at(display));
        if (auto dup = by_version.find(version); dup != by_version.end() && duplicates == Duplicates::refuse)
            return fail(
                make_error(ErrorKind::config,
                           "migrations " + util::quoted(dup->second) + " and " + util::quoted(display) +
                               " share version " + util::quoted(version),
                           "give one of them a new version (a later timestamp); the history table keys on the version")
                    .at(display));
        by_version.emplace(version, display);
        widths.insert(version.size());
        listing.files.push_back(MigrationFile{version, name, filename, entry.path().string(), display, {}, {}});
    }
    for (auto& down : downs) {
        auto up = std::find_if(listing.files.begin(), listing.files.end(),
                               [&](const MigrationFile& f) { return f.filename == down.up_name; });
        if (up == listing.files.end())
            return fail(make_error(ErrorKind::config,
                                   "down migration " + util::quoted(down.display) + " has no migration " +
                                       util::quoted(down.up_name) + " to undo",
                                   down.in_folder
                                       ? "name it as the migration it undoes: " + display_dir + "/" +
                                             std::string(kDownFolder) + "/<version>_<name>.sql for " + display_dir +
                                             "/<version>_<name>.sql"
                                       : "name it after the migration it undoes (<version>_<name>.down.sql beside "
                                         "<version>_<name>.sql); if it is a migration itself, drop the .down from "
                                         "its name")
                            .at(down.display));
        if (!up->down_path.empty())
            return fail(make_error(ErrorKind::config,
                                   "migration " + util::quoted(up->display) + " has two down files: " +
                                       util::quoted(up->down_display) + " and " + util::quoted(down.display),
                                   "keep one: the one in " + display_dir + "/" + std::string(kDownFolder) +
                                       "/, which the Supabase CLI ignores")
                            .at(down.display));
        up->down_path = std::move(down.path);
        up->down_display = std::move(down.display);
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
