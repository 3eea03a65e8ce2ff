// The migrations folder: <version>_<name>.sql files directly inside it, in the Supabase
// CLI's order (file name order). A .sql file whose name does not match is skipped, as the CLI
// skips it, and listed as unmatched (push warns, validate fails); a version used twice is an
// error naming the file; subfolders and other files are ignored with a notice.
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

// A .sql file the Supabase CLI skips ("file name must match pattern"): never applied.
struct Unmatched {
    std::string display;  // the file, for messages and annotations
    std::string why;      // what is wrong with the name
    std::string rename;   // the name that fixes it, when one is plain to see; else empty
};

struct Listing {
    std::vector<MigrationFile> files;
    std::vector<Unmatched> unmatched;
    std::vector<std::string> notices;   // ignored entries, one line each
    std::vector<std::string> warnings;  // e.g. versions of different widths
};

// `dir` is opened; `display_dir` prefixes file names in messages. An entry that is a link
// resolving outside both `root` (the project) and `dir` is a config error; "" checks no link.
// Duplicates::list keeps both files of a version in `files` (lint reports them; push refuses).
enum class Duplicates { refuse, list };
Result<Listing> list_migrations(const std::string& dir, const std::string& display_dir, const std::string& root = {},
                                Duplicates duplicates = Duplicates::refuse);

// Splits a file name into version and name; false when it is not a migration name.
bool parse_migration_name(std::string_view filename, std::string& version, std::string& name);

// For a .sql file name that is not a migration name: what is wrong with it, and the name that
// fixes it where one is plain to see (a dash after the version, a date written with dashes,
// .SQL in capitals).
Unmatched describe_unmatched(std::string_view filename, std::string display);

} // namespace sbdeploy::migrations
