#include "cli/cli.hpp"

#include <filesystem>
#include <iostream>
#include <sstream>
#include <vector>

#include "cli/command_table.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/secrets.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "github/summary.hpp"
#include "util/closest.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

int report(Context& ctx, const Error& e) {
    // What a SIGINT or SIGTERM caused (a cancelled statement) is reported as the interruption.
    auto shown = interruption(e, ctx.command).value_or(e);
    ctx.console.error(shown);
    // A failed operation (exit 1) also tells the step summary why, so the run's page shows
    // it; usage and configuration errors (exit 2) stay on stderr.
    const auto runner = github::RunnerContext::from(ctx.env);
    if (shown.exit_code() == 1 && !runner.step_summary_path.empty()) {
        github::md::Summary text;
        std::string where = shown.file.empty()
                                ? std::string()
                                : github::md::code(shown.file) +
                                      (shown.line > 0 ? " line " + std::to_string(shown.line) : "") + ": ";
        text.headline(github::md::Outcome::failed, std::string(ctx.command) + " failed",
                      where + github::md::text(shown.message));
        if (!shown.hint.empty()) text.block("hint: " + github::md::text(shown.hint));
        (void)github::append_step_summary(runner.step_summary_path, ctx.console.redact(text.str()));
    }
    return shown.exit_code();
}

namespace {

// Neither a command nor --help/--version: the nearest command, exit 2.
int unknown_command(const std::string& first, github::Console&& console) {
    Error e;
    e.kind = ErrorKind::usage;
    e.message = first.starts_with("-") ? "unknown option " + util::quoted(first) + " before the command"
                                       : "unknown command " + util::quoted(first);
    auto s = suggest(first);
    e.hint = s.empty() ? "run 'sbdeploy --help' for the list of commands" : "did you mean 'sbdeploy " + s + "'?";
    console.error(e);
    return 2;
}

// Paths in annotations are from the repository root; sbdeploy names files from the project's
// folder (--workdir), which may be a subfolder of the workspace.
void set_annotation_root(github::Console& console, const util::Environment& env, const Options& options) {
    auto workspace = env.get("GITHUB_WORKSPACE");
    auto workdir = options.get("workdir");
    if (!workspace || !workdir) return;
    std::error_code ec;
    auto base = std::filesystem::weakly_canonical(*workspace, ec);
    auto dir = ec ? std::filesystem::path() : std::filesystem::weakly_canonical(*workdir, ec);
    auto rel = ec ? std::filesystem::path() : dir.lexically_relative(base);
    if (!rel.empty() && rel != "." && *rel.begin() != "..") console.set_annotation_root(rel.generic_string());
}

int run_command(std::span<const std::string> args, const util::Environment& env, std::ostream& out, std::ostream& err) {
    auto mode = env.get("GITHUB_ACTIONS") == std::optional<std::string>("true") ? github::ConsoleMode::actions
                                                                                : github::ConsoleMode::terminal;
    if (args.empty()) {
        print_program_help(err);
        return 2;
    }
    const std::string& first = args[0];
    if (first == "--version" || first == "-V" || first == "version") {
        out << "sbdeploy " SBDEPLOY_VERSION "\n";
        return 0;
    }
    if (first == "--help" || first == "-h" || first == "help") {
        if (args.size() > 1 && first == "help") {
            if (const auto* c = find_command(args[1])) {
                print_command_help(out, *c);
                return 0;
            }
        }
        print_program_help(out);
        return 0;
    }
    const CommandSpec* cmd = find_command(first);
    if (cmd == nullptr) return unknown_command(first, github::Console(out, err, mode));
    std::vector<std::string> rest(args.begin() + 1, args.end());
    for (const auto& a : rest) {
        if (a == "--") break;
        if (a == "--help" || a == "-h") {
            print_command_help(out, *cmd);
            return 0;
        }
    }

    auto parsed = parse_options(cmd->name, cmd->options, rest, env);
    bool json = parsed && parsed->flag("json");
    bool debug = env.get("RUNNER_DEBUG") == std::optional<std::string>("1") || (parsed && parsed->flag("verbose"));
    // With --json, stdout carries only the JSON document; people read stderr.
    github::Console console(json ? err : out, err, mode, debug ? github::Debug::on : github::Debug::off);
    // Masks go out before anything else is printed.
    for (const auto& s : collect_secrets(env, parsed ? &*parsed : nullptr)) console.add_secret(s);
    if (!parsed) {
        console.error(parsed.error());
        return parsed.error().exit_code();
    }
    // A command whose usage is only "[options]" takes no arguments: a stray word
    // ("push staging") must not be ignored while the default target is used.
    if (cmd->usage == "[options]" && !parsed->positional().empty()) {
        console.error(make_error(ErrorKind::usage,
                                 std::string(cmd->name) + ": unexpected argument " +
                                     util::quoted(parsed->positional().front()),
                                 std::string(cmd->name) +
                                     " takes options only (an environment is --environment NAME); "
                                     "see 'sbdeploy " +
                                     std::string(cmd->name) + " --help'"));
        return 2;
    }
    if (mode == github::ConsoleMode::actions) set_annotation_root(console, env, *parsed);
    Context ctx{cmd->name, env, std::move(*parsed), console, out, json};
    if (cmd->run == nullptr) {
        return report(ctx, make_error(ErrorKind::usage,
                                      "command " + util::quoted(cmd->name) +
                                          " is not built yet in sbdeploy " SBDEPLOY_VERSION,
                                      "see 'sbdeploy --help' for the commands this version has"));
    }
    return cmd->run(ctx);
}

// A result nobody could read is a failure: stdout on a full disk, a closed pipe or a
// broken terminal makes the run exit 1, said on stderr (when stderr itself fails, the
// exit code is all there is).
int checked_exit(int code, std::ostream& out, std::ostream& err) {
    out.flush();
    if (!out) {
        err << "sbdeploy: error: cannot write to standard output (a full disk, or a closed pipe?): the command's "
               "output is incomplete\n";
        err.flush();
        return code == 0 ? 1 : code;
    }
    err.flush();
    if (!err) return code == 0 ? 1 : code;
    return code;
}

} // namespace

int run(std::span<const std::string> args, const util::Environment& env, std::ostream& out, std::ostream& err) {
    return checked_exit(run_command(args, env, out, err), out, err);
}

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args;
    args.reserve(static_cast<std::size_t>(argc));
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    if (args.size() == 1 && args[0] == "--version") {  // fast path: no environment snapshot
        std::cout << "sbdeploy " SBDEPLOY_VERSION "\n";
        return checked_exit(0, std::cout, std::cerr);
    }
    auto env = util::Environment::from_process();
    install_interrupts(env);  // SIGINT/SIGTERM roll back the transaction in flight (cli/interrupt.hpp)
    return run(args, env, std::cout, std::cerr);
}

} // namespace sbdeploy::cli
