// A new migration file as `supabase migration new <name>` makes it: <version>_<name>.sql with
// the UTC time as YYYYMMDDHHMMSS for version, in the migrations folder (created when
// missing); optionally its down file in down/. Names are checked so the file is one the
// Supabase CLI and sbdeploy both read as <version>_<name>.sql.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sbdeploy::migrations {

// "20250102030405" for a time in seconds since the epoch, in UTC.
std::string timestamp_version(std::time_t epoch_seconds);

// What is wrong with `name` as a migration name (empty: nothing): path separators, spaces and
// other characters outside letters, digits, `_`, `-` and `.`, an empty name, or a name ending
// in `.sql` or `.down` (which would read as another file's name).
std::string bad_name_reason(std::string_view name);

// `name` with every run of characters bad_name_reason refuses turned into one `_`, and the
// endings it refuses dropped: what to suggest instead ("add users table" -> "add_users_table").
std::string suggested_name(std::string_view name);

struct NewFiles {
    std::string version;
    std::string up;    // path of the migration written
    std::string down;  // path of the down file written, or ""
};

// Writes <dir>/<version>_<name>.sql holding `content` and, when `down_content` is given,
// <dir>/down/<version>_<name>.sql holding it; version is timestamp_version(now), or the next
// second no file of `dir` uses (two files with one version are refused by push: two `new` in
// one second must not make them). Refuses (nothing written) when the down file exists.
Result<NewFiles> write_new_migration(const std::string& dir, std::time_t now, const std::string& name,
                                     std::string_view content, std::optional<std::string_view> down_content);

} // namespace sbdeploy::migrations
