// Where a server error lies in a migration: the file line of the failing statement, shown
// with a caret under the server's error position (or the statement's first line of code),
// its number among the file's statements, and the server's detail and context.
#pragma once

#include <cstddef>

#include "migrations/load.hpp"
#include "util/error.hpp"

namespace sbdeploy::migrations {

// The file line of a server error inside statement `index` (position in error.column).
Error locate_failure(const Migration& m, std::size_t index, Error server_error);

} // namespace sbdeploy::migrations
