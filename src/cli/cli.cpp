#include "cli/cli.hpp"

#include <iostream>
#include <sstream>
#include <vector>

#include "cli/commands.hpp"
#include "cli/secrets.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

#define COMMON_TARGET "workdir", "migrations-dir", "environment", "db-url", "project-ref", "transport", \
                      "event-path", "json", "verbose", "connect-timeout", "sslmode"

constexpr std::string_view kEnvOptions[] = {"event-path", "environment", "workdir", "json", "verbose"};
constexpr std::string_view kStatusOptions[] = {COMMON_TARGET, "include-all", "fail-on-pending"};
constexpr std::string_view kValidateOptions[] = {COMMON_TARGET, "include-all", "allow-edited", "lock-timeout",
                                                 "statement-timeout"};
constexpr std::string_view kPushOptions[] = {COMMON_TARGET,        "include-all", "allow-edited", "dry-run",
                                             "lock-timeout", "statement-timeout", "lock-wait"};
constexpr std::string_view kRepairOptions[] = {COMMON_TARGET, "status", "lock-wait"};
constexpr std::string_view kPathsFilterOptions[] = {"workdir",     "migrations-dir", "event-path",     "filters",
                                                    "list-files",  "base",           "fetch-limit",    "fail-on-edited",
                                                    "json",        "verbose"};
constexpr std::string_view kNoOptions[] = {"json", "verbose"};

constexpr CommandSpec kCommands[] = {
    {"env", "resolve the run: event, branch, environment and what applies", "[options]",
     "Reads the GitHub runner's environment and event payload and says which environment\n"
     "the run maps to and what sbdeploy does for it (push, validate or none), and why.\n\n"
     "Default mapping: push to main or master -> production; push to staging or develop\n"
     "-> staging; pull requests and merge groups validate against staging;\n"
     "workflow_dispatch uses its \"environment\" input; anything else -> none (exit 0).\n\n"
     "Step outputs (GITHUB_OUTPUT; the same object with --json): event, ref, branch,\n"
     "base_ref, base_sha, head_sha, sha, pr_number, fork, repository, environment,\n"
     "action, reason.",
     kEnvOptions, run_env},
    {"paths-filter", "decide whether migrations changed in this push or PR", "[options] [GLOB...]",
     "Compares the commits the event is about (push: since the previous push; pull request:\n"
     "from the merge-base; merge group: its base; else --base or the default branch) and\n"
     "says which changed files the filter selects (default: the migrations folder's *.sql;\n"
     "globs as picomatch with dot: true, a \"!glob\" line excludes). A shallow checkout is\n"
     "deepened step by step; without git history the GitHub API lists the files.\n\n"
     "Step outputs: changed, count, files, added, modified, deleted, renamed, migrations,\n"
     "migrations_count, migrations_files (with --list-files), changes, edited_existing,\n"
     "base, head, base_reason.",
     kPathsFilterOptions, run_paths_filter},
    {"status", "list local and remote migrations side by side", "[options]",
     "Compares the migration files with the history table of the target database:\n"
     "applied, pending, missing locally, out of order, edited after apply.",
     kStatusOptions, run_status},
    {"validate", "check everything push would, plus a real dry run", "[options]",
     "Runs every check of push, then executes the pending migrations inside one\n"
     "transaction (a savepoint per file) and rolls it back. Nothing is changed.",
     kValidateOptions, run_validate},
    {"push", "apply pending migrations to the resolved environment", "[options]",
     "Applies pending migrations in version order, each file with its history row in one\n"
     "transaction, under an advisory lock; stops at the first failure.",
     kPushOptions, run_push},
    {"repair", "mark versions applied or reverted in the history table", "--status applied|reverted VERSION...",
     "Records versions as applied (with the statements of their local files) or removes\n"
     "their history rows, in one transaction, without running any migration.",
     kRepairOptions, run_repair},
    {"rollback", "undo applied versions with their down SQL", "[options]", "", kNoOptions, nullptr},
    {"verify", "check that expected objects exist after a push", "[options]", "", kNoOptions, nullptr},
    {"record-metrics", "record the current GitHub event as development metrics", "[options]", "", kNoOptions,
     nullptr},
    {"metrics", "metrics schema, backfill and report", "schema|backfill|report [options]", "", kNoOptions, nullptr},
    {"lint", "static safety checks on migration files", "[options] [files...]", "", kNoOptions, nullptr},
};

const CommandSpec* find_command(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

void print_program_help(std::ostream& os) {
    os << "sbdeploy " SBDEPLOY_VERSION " - ship SQL migrations from a pull request through staging to production\n\n"
          "usage: sbdeploy <command> [options]\n\ncommands:\n";
    for (const auto& c : kCommands) {
        std::string name(c.name);
        name.resize(16, ' ');
        os << "  " << name << c.summary << (c.run ? "" : " (not built yet)") << '\n';
    }
    os << "\nEvery option is a flag or an environment variable SBDEPLOY_<OPTION> (upper case,\n"
          "dashes to underscores); a flag wins. Exit codes: 0 success or nothing to do,\n"
          "1 the operation failed, 2 usage or configuration error.\n\n"
          "Run 'sbdeploy <command> --help' for a command's options; 'sbdeploy --version'.\n";
}

void print_command_help(std::ostream& os, const CommandSpec& c) {
    os << "usage: sbdeploy " << c.name << ' ' << c.usage << "\n\n" << c.summary << '\n';
    if (!c.description.empty()) os << '\n' << c.description << '\n';
    if (!c.run) os << "\nThis command is not built yet in this version.\n";
    os << "\noptions:\n";
    for (auto name : c.options) {
        const OptionSpec* spec = find_option(name);
        if (!spec) continue;
        std::string flag = "--" + std::string(spec->name);
        if (!spec->value_name.empty()) flag += " " + std::string(spec->value_name);
        os << "  " << flag << '\n' << "      " << spec->help;
        if (!spec->default_text.empty()) os << " (default: " << spec->default_text << ')';
        os << "\n      env: " << env_var_for(spec->name) << '\n';
    }
    os << "  --help\n      this help\n";
}

std::string suggest(std::string_view bad) {
    std::size_t best = 3;
    std::string_view pick;
    for (const auto& c : kCommands) {
        auto d = util::edit_distance(bad, c.name);
        if (d < best || (d == best && pick.empty() && c.name.starts_with(bad) && !bad.empty())) {
            best = d;
            pick = c.name;
        }
    }
    if (pick.empty())
        for (const auto& c : kCommands)
            if (!bad.empty() && c.name.starts_with(bad)) return std::string(c.name);
    return std::string(pick);
}

} // namespace

std::span<const CommandSpec> command_table() { return kCommands; }

int report(Context& ctx, const Error& e) {
    ctx.console.error(e);
    return e.exit_code();
}

int run(std::span<const std::string> args, const util::Environment& env, std::ostream& out, std::ostream& err) {
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
    if (cmd == nullptr) {
        github::Console console(out, err, mode);
        Error e;
        e.kind = ErrorKind::usage;
        e.message = first.starts_with("-") ? "unknown option " + util::quoted(first) + " before the command"
                                           : "unknown command " + util::quoted(first);
        auto s = suggest(first);
        e.hint = s.empty() ? "run 'sbdeploy --help' for the list of commands" : "did you mean 'sbdeploy " + s + "'?";
        console.error(e);
        return 2;
    }
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
    Context ctx{cmd->name, env, std::move(*parsed), console, out, json};
    if (cmd->run == nullptr) {
        return report(ctx, make_error(ErrorKind::usage, "command " + util::quoted(cmd->name) + " is not built yet in sbdeploy " SBDEPLOY_VERSION,
                                 "see 'sbdeploy --help' for the commands this version has"));
    }
    return cmd->run(ctx);
}

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args;
    args.reserve(static_cast<std::size_t>(argc));
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    if (args.size() == 1 && args[0] == "--version") {  // fast path: no environment snapshot
        std::cout << "sbdeploy " SBDEPLOY_VERSION "\n";
        return 0;
    }
    return run(args, util::Environment::from_process(), std::cout, std::cerr);
}

} // namespace sbdeploy::cli
