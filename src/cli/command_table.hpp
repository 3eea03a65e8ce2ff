// The command table's readers (src/cli/command_table.cpp): a command by name, the program's and
// a command's --help, and the nearest command name for "did you mean".
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "cli/cli.hpp"

namespace sbdeploy::cli {

// The command named `name`, or nullptr.
const CommandSpec* find_command(std::string_view name);
void print_program_help(std::ostream& os);
void print_command_help(std::ostream& os, const CommandSpec& c);
// The nearest command name, else the first that starts with `bad` ("sta" -> "status"); "" for none.
std::string suggest(std::string_view bad);

} // namespace sbdeploy::cli
