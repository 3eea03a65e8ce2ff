// What a migration file's bytes must be before anything splits or sends them: UTF-8
// (a UTF-8 byte order mark is fine) without NUL bytes, which PostgreSQL cannot take and
// libpq would silently cut a statement short at.
#pragma once

#include <optional>
#include <string_view>

#include "util/error.hpp"

namespace sbdeploy::migrations {

// The first problem with `text` as a config Error with its line (and the column in the
// message), or nothing when the text is fine.
std::optional<Error> check_content(std::string_view text);

} // namespace sbdeploy::migrations
