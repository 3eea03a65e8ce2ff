// Reading a whole file into a string: the one reader of whole files (as ccache's
// util/file.hpp). A failure is an ErrorKind::io Error whose message is the cause ("No such
// file or directory"), for the caller to say which file it is and what it was for.
#pragma once

#include <string>

#include "util/error.hpp"

namespace sbdeploy::util {

Result<std::string> read_file(const std::string& path);

// read_file for a file of the project (a migration, a seed, a config file): a failure is a
// config error (exit 2) "cannot read <what>: <cause>" at `display`, with the fix.
Result<std::string> read_project_file(const std::string& path, const std::string& what, const std::string& display);

} // namespace sbdeploy::util
