// The migrations folder: <version>_<name>.sql files directly inside it, in the Supabase
// CLI's order (file name order). A .sql file that does not match, or a version used
// twice, is an error naming the file; subfolders and other files are ignored with a notice.
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
