// The migrations folder: <version>_<name>.sql files directly inside it, in the Supabase
// CLI's order (file name order). A .sql file that does not match, or a version used
// twice, is an error naming the file; subfolders and other files are ignored with a notice.
// down/<version>_<name>.sql, or <version>_<name>.down.sql beside it, is the down SQL of
// <version>_<name>.sql (migrations/down.hpp).
#pragma once

#include <string>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::migrations {

struct MigrationFile {
    std::string version;   // the leading digits
    std::string name;      // the rest of the name, without .sql
    std::string filename;  // 20250101000000_init.sql
    std::string path;      // path to open
    std::string display;   // path for messages and annotations (relative to the workdir)
    std::string down_path;     // down/<version>_<name>.sql or a sibling .down.sql (migrations/down.hpp), "" when none
    std::string down_display;  // that file for messages
};

struct Listing {
    std::vector<MigrationFile> files;
    std::vector<std::string> notices;   // ignored entries, one line each
    std::vector<std::string> warnings;  // e.g. versions of different widths
};

// `dir` is opened; `display_dir` prefixes file names in messages.
Result<Listing> list_migrations(const std::string& dir, const std::string& display_dir);

// Splits a file name into version and name; false when it is not a migration name.
bool parse_migration_name(std::string_view filename, std::string& version, std::string& name);

} // namespace sbdeploy::migrations
