#include "cli/options.hpp"

#include <algorithm>
#include <charconv>
// A list option is repeated, never split: a value may hold commas (function:f(int, text)).
#define CXXOPTS_VECTOR_DELIMITER '\n'
#include <cxxopts.hpp>

#include "util/closest.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

// Keep sorted by concept; `sbdeploy <command> --help` shows the ones a command takes.
constexpr OptionSpec kOptions[] = {
    // Common
    {"workdir", OptionKind::value, "DIR", "project root", "$GITHUB_WORKSPACE, else the current directory"},
    {"migrations-dir", OptionKind::value, "DIR", "folder of migration files", "supabase/migrations under the workdir"},
    {"environment", OptionKind::value, "NAME", "environment to use instead of the branch mapping", ""},
    {"db-url", OptionKind::value, "URL", "libpq connection URL of the target database", "$SBDEPLOY_<ENV>_DB_URL",
     Secret::yes},
    {"project-ref", OptionKind::value, "REF", "Supabase project ref of the target (Management API transport)", ""},
    {"transport", OptionKind::value, "auto|postgres|api", "how to reach the database", "auto"},
    {"api-url", OptionKind::value, "URL", "Supabase Management API base URL (transport api)",
     "https://api.supabase.com"},
    {"api-timeout", OptionKind::value, "DURATION", "time limit of one Management API request, its SQL included", "5m"},
    {"api-retry-budget", OptionKind::value, "DURATION",
     "total time for retrying one Management API request (429, 5xx, timeouts), waits included", "2m"},
    {"json", OptionKind::flag, "", "machine-readable output on stdout", ""},
    {"verbose", OptionKind::flag, "", "debug lines (also RUNNER_DEBUG=1)", ""},
    {"event-path", OptionKind::value, "FILE", "event payload", "$GITHUB_EVENT_PATH"},
    // Environments and promotion
    {"environments", OptionKind::value, "MAP",
     "branch mapping: ENV=BRANCH,BRANCH;ENV=... (branches may be globs: release/*)",
     "production=main,master;staging=staging,develop"},
    {"validate-against", OptionKind::value, "NAME|base",
     "environment pull requests are dry-run against; base: the one their base branch deploys to", "staging"},
    {"promote-from", OptionKind::value, "NAME|none",
     "environment that must have run a migration before production gets it; none: no gate", "staging"},
    {"allow-unpromoted", OptionKind::flag, "",
     "push to production what the promote-from environment has not run (loudly)", ""},
    {"hotfix-pattern", OptionKind::value, "GLOB",
     "hotfix branches: may merge into production's, and what their merged pull requests bring passes the promotion "
     "gate",
     "hotfix/*"},
    {"no-pr-guard", OptionKind::flag, "", "let any branch open a pull request into production's branch", ""},
    // verify
    {"expect", OptionKind::list, "KIND:OBJECT",
     "an object that must exist: table:, view:, column:, function:, policy:, rls:, index:, schema:, extension: "
     "(repeat the flag; one a line in the variable)",
     ""},
    {"expect-file", OptionKind::value, "FILE", "file of --expect lines (# comments)", ""},
    {"health-url", OptionKind::list, "URL", "URL that must answer with --health-status (repeat the flag; one a line)",
     ""},
    {"health-status", OptionKind::value, "CODES", "expected HTTP status: 200, 2xx, or a list: 200,204", "2xx"},
    {"health-timeout", OptionKind::value, "DURATION", "time for each URL, retries included", "30s"},
    {"health-retries", OptionKind::value, "N", "retries after a failed attempt, with exponential backoff", "5"},
    {"health-header", OptionKind::list, "'NAME: VALUE'", "request header for health checks (masked)", "", Secret::yes},
    // Database behaviour
    {"connect-timeout", OptionKind::value, "DURATION", "time to wait for a connection", "10s"},
    {"lock-timeout", OptionKind::value, "DURATION", "lock_timeout for each migration", "(server default)"},
    {"statement-timeout", OptionKind::value, "DURATION", "statement_timeout for each migration", "(server default)"},
    {"lock-wait", OptionKind::value, "DURATION", "how long to wait for another push to finish", "60s"},
    {"sslmode", OptionKind::value, "MODE", "libpq sslmode", "require for non-loopback hosts"},
    {"sslrootcert", OptionKind::value, "FILE",
     "CA certificates that sign the server's (sslmode verify-ca, verify-full)", ""},
    {"allow-insecure-transport", OptionKind::flag, "",
     "connect with an sslmode weaker than require (disable, allow, prefer) to a host that is not loopback: the "
     "password and the SQL may then cross the network in clear, readable and changeable by anyone on the path",
     ""},
    // Migrations
    {"include-all", OptionKind::flag, "", "also apply local versions older than the newest remote one", ""},
    {"allow-edited", OptionKind::flag, "", "push even when applied files were edited after apply", ""},
    {"strict-transactions", OptionKind::flag, "",
     "refuse migrations that COMMIT in the middle (by default each part runs in its own transaction)", ""},
    {"ignore-unmatched", OptionKind::flag, "",
     "validate: only warn about .sql files whose names the Supabase CLI skips, instead of failing", ""},
    {"shadow-db-url", OptionKind::value, "URL",
     "validate: instead of a dry run on the target, apply the pending files for real, file by file, on this empty "
     "PostgreSQL the job owns (prepared with Supabase's roles and schemas, then the migrations the target applied; no "
     "lock-table limit); the target gets one SELECT of its history at most",
     "", Secret::yes},
    {"allow-untrusted-sql", OptionKind::flag, "",
     "validate: run a fork pull request's SQL on the target when its secret is present (pull_request_target); by "
     "default refused without --shadow-db-url",
     ""},
    {"redact-errors", OptionKind::flag, "",
     "validate: report a failing dry run with SQLSTATE, file and line, without the server's message text; "
     "--redact-errors=false: the text, capped at 500 characters",
     "on for pull requests into production's branch"},
    {"no-down-check", OptionKind::flag, "",
     "validate: do not run the pending files' down SQL in the dry run (file, down SQL, file again)", ""},
    {"keep-going", OptionKind::flag, "",
     "validate: dry-run every pending file after a failure too, each with its own verdict (failures after the first "
     "are marked as possibly its consequence); default: stop at the first failure, as push does",
     ""},
    {"dry-run", OptionKind::flag, "", "show what would be done, change nothing", ""},
    {"fail-on-pending", OptionKind::flag, "", "exit 1 when migrations are pending", ""},
    {"status", OptionKind::value, "applied|reverted", "state to record", ""},
    {"versions", OptionKind::list, "VERSION",
     "repair: versions to mark, besides those given as arguments (separated by spaces, commas or lines)", ""},
    // rollback, and what push does after the migrations
    {"to", OptionKind::value, "VERSION", "roll back every applied version newer than this one (it stays applied)", ""},
    {"last", OptionKind::value, "N", "roll back the N newest applied versions", ""},
    {"record-only", OptionKind::flag, "", "delete the history rows only, run no down SQL (as repair --status reverted)",
     ""},
    {"include-seed", OptionKind::flag, "",
     "after the migrations, run supabase/seed.sql (or [db.seed] sql_paths of supabase/config.toml); a file runs "
     "again only when it changed (SHA-256 in supabase_migrations.seed_files)",
     ""},
    {"allow-production-seed", OptionKind::flag, "", "let --include-seed run on production", ""},
    {"rollback-on-verify-failure", OptionKind::flag, "",
     "after the push, run verify (--expect, --expect-file, --health-url); when it fails, roll back what this push "
     "applied with its down SQL",
     ""},
    {"no-rollback-on-revert", OptionKind::flag, "",
     "when the pushed diff (validate: the pull request) deletes applied migrations (a revert), fail as the Supabase "
     "CLI does (\"not found locally\") instead of rolling them back with the down SQL of the parent commit (validate: "
     "dry-running that)",
     ""},
    // paths-filter
    {"filters", OptionKind::value, "YAML|FILE|GLOBS",
     "named filters in dorny/paths-filter's YAML, a file of them, or one glob a line (a line starting with ! excludes)",
     "<migrations-dir>/*.sql"},
    {"list-files", OptionKind::value, "none|csv|json|shell|escape", "format of the <filter>_files outputs", "none"},
    {"predicate-quantifier", OptionKind::value, "some|every",
     "a file matches a named filter when some, or every, one of its globs matches", "some"},
    {"ref", OptionKind::value, "REF",
     "compare this branch, tag or commit instead of the event's head (not for pull requests)", ""},
    {"working-directory", OptionKind::value, "DIR",
     "dorny/paths-filter's name for --workdir, relative to $GITHUB_WORKSPACE", ""},
    {"initial-fetch-depth", OptionKind::value, "N",
     "commits of history fetched first when a shallow checkout lacks some", "16"},
    {"base", OptionKind::value, "REF", "compare with this branch, tag or commit instead of the event's base", ""},
    {"fetch-limit", OptionKind::value, "N",
     "commits of history that may be fetched beyond a shallow checkout (0: none)", "1000"},
    {"fail-on-edited", OptionKind::flag, "", "exit 1 when a migration that exists on the base was changed", ""},
    // record-metrics and metrics
    {"supabase-url", OptionKind::value, "URL",
     "write metrics through the project's PostgREST API (https://<ref>.supabase.co) with SUPABASE_SECRET_KEY", ""},
    {"repository", OptionKind::value, "OWNER/NAME", "repository the metrics are about", "$GITHUB_REPOSITORY"},
    {"deployment-status", OptionKind::value, "success|failure", "record this run's deployment with this outcome", ""},
    {"applied-count", OptionKind::value, "N", "migrations the deployment applied (push's applied_count)", ""},
    {"deployment-duration", OptionKind::value, "DURATION", "how long the deployment took", ""},
    {"junit", OptionKind::list, "GLOB", "JUnit XML test reports to record (repeat the flag; one a line)", ""},
    {"test-results", OptionKind::list, "GLOB", "test result JSON files (the development-metrics format)",
     "backfill: development-metrics/tests/*.json"},
    {"test-type", OptionKind::value, "NAME", "test_type of the JUnit reports (unit, integration, ...)", "junit"},
    {"branch-rules", OptionKind::list, "GLOB", "branch names that follow the naming rule (one a line)",
     "feature/*, fix/*, hotfix/*"},
    {"apply", OptionKind::flag, "",
     "metrics schema: apply the schema to the metrics database instead of printing it; init: set branch protection "
     "through the GitHub API",
     ""},
    {"days", OptionKind::value, "N", "days of history", "backfill 90, report 30"},
    {"until", OptionKind::value, "TIME", "end of the report's window (2025-01-31 or an ISO 8601 time)", "now"},
    {"sources", OptionKind::value, "LIST", "what backfill reads: github, git, files (comma-separated)",
     "github,git,files"},
    {"workflow", OptionKind::list, "FILE|NAME", "deployment workflow whose runs backfill records (deploy.yml)", ""},
    {"pulls-file", OptionKind::value, "FILE",
     "pull requests saved with gh api --paginate 'repos/O/R/pulls?state=all', read instead of asking", ""},
    {"older-than", OptionKind::value, "AGE", "prune rows older than this: 730d, 104w", ""},
    {"min-test-pass-rate", OptionKind::value, "PERCENT", "warn (or fail) below this test pass rate", ""},
    {"min-rule-compliance", OptionKind::value, "PERCENT", "warn (or fail) below this rule compliance", ""},
    {"max-change-failure-rate", OptionKind::value, "PERCENT", "warn (or fail) above this change failure rate", ""},
    {"min-deployment-frequency", OptionKind::value, "PER-DAY", "warn (or fail) below this many deployments a day", ""},
    {"max-lead-time", OptionKind::value, "DURATION", "warn (or fail) above this median lead time (36h, 2d)", ""},
    {"max-pr-cycle-time", OptionKind::value, "DURATION", "warn (or fail) above this median PR cycle time", ""},
    {"max-time-to-restore", OptionKind::value, "DURATION", "warn (or fail) above this median time to restore", ""},
    {"fail-on-threshold", OptionKind::flag, "", "exit 1 when a threshold is not met (else a warning)", ""},
    {"no-thresholds", OptionKind::flag, "",
     "metrics report: no default thresholds (seed 001's test pass rate of 80%); thresholds given still apply", ""},
    {"archive", OptionKind::value, "FILE",
     "metrics prune: write the deleted rows to FILE first (JSON Lines, gzip when it ends in .gz)", ""},
    // lint (also in validate)
    {"lint-disable", OptionKind::list, "RULE",
     "lint rule to skip (repeat the flag, or comma-separated; all: every rule)", ""},
    {"lint-fail-on", OptionKind::value, "error|warning|never", "least severity of a lint finding that fails the check",
     "error"},
    {"lint-exposed-schemas", OptionKind::list, "SCHEMA",
     "schemas the project's API exposes, for rls-missing (repeat the flag, or comma-separated)", "public"},
    // new and init
    {"down", OptionKind::flag, "", "new: also create the down file, supabase/migrations/down/<version>_<name>.sql", ""},
    {"force", OptionKind::flag, "", "init: overwrite files that exist", ""},
    {"actions", OptionKind::value, "OWNER/NAME@REF", "init: where the workflows take sbdeploy's actions from",
     "org/sbdeploy@v1"},
    {"repo", OptionKind::value, "OWNER/NAME", "init --apply: the GitHub repository whose branches to protect",
     "$GITHUB_REPOSITORY, else the git remote origin"},
    {"token", OptionKind::value, "TOKEN", "init --apply: GitHub token with administration write on the repository",
     "$GITHUB_TOKEN", Secret::yes},
};

std::string join_names(const std::vector<std::string>& names) {
    std::string r;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) r += ", ";
        r += names[i];
    }
    return r;
}

} // namespace

std::span<const OptionSpec> option_table() { return kOptions; }

const OptionSpec* find_option(std::string_view name) {
    for (const auto& o : kOptions)
        if (o.name == name) return &o;
    return nullptr;
}

std::string env_var_for(std::string_view option) {
    return "SBDEPLOY_" + util::replace_all(util::to_upper(option), "-", "_");
}

std::optional<std::string> Options::get(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.values.empty()) return std::nullopt;
    return it->second.values.back();
}

std::string Options::get_or(std::string_view name, std::string_view fallback) const {
    auto v = get(name);
    return v ? *v : std::string(fallback);
}

bool Options::flag(std::string_view name) const {
    auto v = get(name);
    return v && *v == "true";
}

std::vector<std::string> Options::list(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second.values;
}

Source Options::source(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? Source::unset : it->second.source;
}

void Options::set(std::string_view name, std::vector<std::string> values, Source src) {
    auto& v = values_[std::string(name)];
    v.values = std::move(values);
    v.source = src;
}

Result<long> Options::integer(std::string_view name, long fallback, long min, long max) const {
    auto v = get(name);
    if (!v) return fallback;
    long n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < min || n > max)
        return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) +
                                          " is not a whole number from " + std::to_string(min) + " to " +
                                          std::to_string(max));
    return n;
}

std::optional<long> parse_duration_ms(std::string_view text) {
    text = util::trim(text);
    if (text.empty()) return std::nullopt;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9) return std::nullopt;
    long n = 0;
    std::from_chars(text.data(), text.data() + digits, n);
    auto unit = text.substr(digits);
    if (unit.empty() || unit == "s") return n * 1000;
    if (unit == "ms") return n;
    if (unit == "m" || unit == "min") return n * 60'000;
    if (unit == "h") return n * 3'600'000;
    return std::nullopt;
}

Result<long> Options::duration_ms(std::string_view name, long fallback_ms) const {
    auto v = get(name);
    if (!v) return fallback_ms;
    auto ms = parse_duration_ms(*v);
    if (!ms)
        return fail(ErrorKind::usage, "option --" + std::string(name) + ": " + util::quoted(*v) + " is not a duration",
                    "write it as 500ms, 30s, 5m or 1h");
    // Postgres takes timeouts as an int of milliseconds, and so does the poll(2) that bounds
    // each wait on a socket: a longer duration would overflow into a failure at run time.
    if (*ms > kMaxDurationMs)
        return fail(ErrorKind::usage,
                    "option --" + std::string(name) + ": " + util::quoted(*v) + " is longer than " +
                        std::to_string(kMaxDurationMs) + "ms (about 24 days), the most PostgreSQL and libcurl accept",
                    "give a shorter duration, e.g. 1h");
    return *ms;
}

namespace {

// Unknown and value-less options are found here, so the message can name them and suggest
// the nearest one (cxxopts' own messages do neither). So are contradictions cxxopts would
// settle silently by taking the last one (--dry-run --dry-run=false).
Result<void> check_args(std::string_view command, std::span<const std::string_view> allowed,
                        std::span<const std::string> args) {
    std::map<std::string, std::string, std::less<>> given;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "--") break;
        if (a.size() < 2 || a[0] != '-') continue;
        std::string_view name = a.starts_with("--") ? a.substr(2) : a.substr(1);
        auto eq = name.find('=');
        bool has_value = eq != std::string_view::npos;
        if (has_value) name = name.substr(0, eq);
        bool known = a.starts_with("--") && std::find(allowed.begin(), allowed.end(), name) != allowed.end();
        if (!known) {
            const auto near = util::closest(name, allowed, 3);
            const std::string hint = near.empty() ? "see 'sbdeploy " + std::string(command) + " --help'"
                                                  : "did you mean --" + near + "?";
            return fail(ErrorKind::usage,
                        std::string(command) + ": unknown option " +
                            util::quoted(std::string(a.substr(0, a.find('=')))),
                        hint);
        }
        const OptionSpec* spec = find_option(name);
        if (spec->kind != OptionKind::flag && !has_value && (i + 1 >= args.size() || args[i + 1].starts_with("--")))
            return fail(ErrorKind::usage, std::string(command) + ": option --" + std::string(name) +
                                              " needs a value (" + std::string(spec->value_name) + ")");
        const std::string flag = "--" + std::string(name);
        std::string value = has_value                        ? std::string(a.substr(a.find('=') + 1))
                            : spec->kind == OptionKind::flag ? std::string("true")
                                                             : args[i + 1];
        if (spec->kind == OptionKind::flag && value != "true" && value != "false")
            return fail(ErrorKind::usage,
                        std::string(command) + ": option " + flag + " is a yes/no flag: " + util::quoted(value) +
                            " is not true or false",
                        "write " + flag + ", or " + flag + "=false");
        // An unset secret or variable expands to nothing: say so instead of using "".
        if (spec->kind != OptionKind::flag && util::trim(value).empty())
            return fail(ErrorKind::usage, std::string(command) + ": option " + flag + " is empty",
                        "give it a value (" + std::string(spec->value_name) +
                            ") or leave it out; a secret or variable that is not set expands to nothing");
        if (spec->kind != OptionKind::list) {
            auto [it, first] = given.emplace(std::string(name), value);
            if (!first && it->second != value)
                return fail(ErrorKind::usage,
                            std::string(command) + ": option " + flag + " is given twice with different values",
                            "give it once");
        }
        if (spec->kind != OptionKind::flag && !has_value) ++i;  // its value is not an option
    }

    return {};
}

// The command line as cxxopts reads it, once check_args passed it.
Result<Options> parse_flags(std::string_view command, std::span<const std::string_view> allowed,
                            std::span<const std::string> args) {
    cxxopts::Options parser("sbdeploy " + std::string(command));
    auto adder = parser.add_options();
    for (auto name : allowed) {
        const OptionSpec* spec = find_option(name);
        if (spec == nullptr) continue;
        std::string n(spec->name);
        switch (spec->kind) {
        case OptionKind::flag: adder(n, std::string(spec->help), cxxopts::value<bool>()); break;
        case OptionKind::value: adder(n, std::string(spec->help), cxxopts::value<std::string>()); break;
        case OptionKind::list: adder(n, std::string(spec->help), cxxopts::value<std::vector<std::string>>()); break;
        }
    }
    adder("positional", "", cxxopts::value<std::vector<std::string>>());
    parser.parse_positional({"positional"});

    std::vector<const char*> argv;
    std::string program = "sbdeploy";
    argv.push_back(program.c_str());
    for (const auto& a : args) argv.push_back(a.c_str());

    Options out;
    try {
        auto result = parser.parse(static_cast<int>(argv.size()), argv.data());
        for (auto name : allowed) {
            const OptionSpec* spec = find_option(name);
            if (spec == nullptr || result.count(std::string(name)) == 0) continue;
            switch (spec->kind) {
            case OptionKind::flag:
                out.set(name, {result[std::string(name)].as<bool>() ? "true" : "false"}, Source::flag);
                break;
            case OptionKind::value: out.set(name, {result[std::string(name)].as<std::string>()}, Source::flag); break;
            case OptionKind::list:
                out.set(name, result[std::string(name)].as<std::vector<std::string>>(), Source::flag);
                break;
            }
        }
        if (result.count("positional"))
            for (auto& p : result["positional"].as<std::vector<std::string>>()) out.add_positional(p);
    } catch (const cxxopts::exceptions::exception& e) {
        return fail(ErrorKind::usage, std::string(command) + ": " + util::to_lower(e.what()),
                    "see 'sbdeploy " + std::string(command) + " --help'");
    }

    return out;
}

// Environment variables fill in what the command line did not give.
Result<void> fill_from_env(std::span<const std::string_view> allowed, const util::Environment& env, Options& out) {
    std::vector<std::string> bad_flags;
    for (auto name : allowed) {
        const OptionSpec* spec = find_option(name);
        if (spec == nullptr || out.source(name) != Source::unset) continue;
        auto value = env.get(env_var_for(name));
        if (!value) continue;
        switch (spec->kind) {
        case OptionKind::flag: {
            auto v = util::to_lower(util::trim(*value));
            if (v == "true" || v == "1" || v == "yes")
                out.set(name, {"true"}, Source::env);
            else if (v == "false" || v == "0" || v == "no")
                out.set(name, {"false"}, Source::env);
            else
                bad_flags.push_back(env_var_for(name) + "=" + util::quoted(*value));
            break;
        }
        case OptionKind::value: out.set(name, {*value}, Source::env); break;
        case OptionKind::list: {
            // One value a line (multi-line action inputs) or comma separated.
            std::vector<std::string> items;
            for (auto& line : util::split(*value, '\n')) {
                auto t = util::trim(line);
                if (!t.empty()) items.emplace_back(t);
            }
            out.set(name, std::move(items), Source::env);
            break;
        }
        }
    }
    if (!bad_flags.empty())
        return fail(ErrorKind::usage, "not a yes/no value: " + join_names(bad_flags), "use true or false");
    return {};
}

} // namespace

Result<Options> parse_options(std::string_view command, std::span<const std::string_view> allowed,
                              std::span<const std::string> args, const util::Environment& env) {
    TRY(check_args(command, allowed, args));
    TRY_ASSIGN(auto out, parse_flags(command, allowed, args));
    TRY(fill_from_env(allowed, env, out));
    return out;
}

} // namespace sbdeploy::cli
