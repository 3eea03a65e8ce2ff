// The command line: a static table of subcommands drives dispatch, --help and
// "did you mean". Subcommands only wire: parse, call modules, report.
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "cli/options.hpp"
#include "github/console.hpp"
#include "util/env.hpp"

namespace sbdeploy::cli {

struct Context {
    std::string_view command;
    const util::Environment& env;
    Options options;
    github::Console& console;
    std::ostream& out;  // stdout: results, and JSON with --json
    bool json = false;
};

using Handler = int (*)(Context&);

struct CommandSpec {
    std::string_view name;
    std::string_view summary;
    std::string_view usage;        // after "sbdeploy <name> "
    std::string_view description;  // a paragraph for --help
    std::span<const std::string_view> options;
    Handler run;  // nullptr: not built yet
};

std::span<const CommandSpec> command_table();

// Runs sbdeploy with `args` (without the program name); returns the exit code.
int run(std::span<const std::string> args, const util::Environment& env, std::ostream& out, std::ostream& err);

int main(int argc, char** argv);

// Reports an error through the console and returns its exit code.
int report(Context& ctx, const Error& e);

} // namespace sbdeploy::cli
