// Down migrations: the undo of a migration, from down/<version>_<name>.sql in the migrations
// folder (a subfolder the Supabase CLI ignores), its sibling <version>_<name>.down.sql, or
// a `-- sbdeploy:down` section at the end of the file. The section is never applied by
// push and never stored in the history, so rows stay the Supabase CLI's for other files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "migrations/files.hpp"
#include "util/error.hpp"

namespace sbdeploy::migrations {

inline constexpr std::string_view kDownSuffix = ".down.sql";
inline constexpr std::string_view kDownFolder = "down";  // supabase/migrations/down/
inline constexpr std::string_view kDownMarker = "-- sbdeploy:down";

// "<version>_<name>.down.sql" -> "<version>_<name>.sql" (the migration it undoes);
// nullopt for any other name.
std::optional<std::string> up_name_of_down(std::string_view filename);

// A line that is the marker: `-- sbdeploy:down`, any case, spaces around and after `--`.
bool is_down_marker(std::string_view line);

// `up` views the text given to split_down_section: keep that text alive while using it.
struct DownSection {
    std::string_view up;  // the migration: everything before the marker line
    // The section with every line before it blank, so that statements keep their file
    // lines; nullopt when the file has no marker.
    std::optional<std::string> down;
    int marker_line = 0;  // 1-based; 0 without a marker
};

// Splits at the first marker line that stands between statements: not inside a quote, a
// comment or a statement (the up part must split on its own, and no statement of the
// file may have code on both sides of it). Other marker lines are plain comments.
DownSection split_down_section(std::string_view content);

struct Migration;  // migrations/apply.hpp

// The down SQL of `file`, whose section (if any) is `section`: its sibling file
// (file.down_path), else the section; null when it has neither. Both at once is a config
// error, as are down SQL that cannot be split or applied safely (named at file and line).
Result<std::shared_ptr<const Migration>> load_down(const MigrationFile& file, const DownSection& section);

// As load_down, with the down file's text given instead of read from file.down_path (a file
// read from git: push reads the down SQL of a reverted migration from the parent commit);
// nullopt when there is no down file.
Result<std::shared_ptr<const Migration>> load_down_text(const MigrationFile& file, const DownSection& section,
                                                        std::optional<std::string_view> down_file);

} // namespace sbdeploy::migrations
