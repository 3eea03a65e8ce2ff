// The command table: each subcommand's name, usage, summary, help text and options, and what
// reads it (finding a command, the program's and a command's --help, "did you mean").
#include "cli/command_table.hpp"

#include <ostream>
#include <string>

#include "cli/commands.hpp"
#include "util/closest.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

#define COMMON_TARGET                                                                                           \
    "workdir", "migrations-dir", "environment", "db-url", "project-ref", "transport", "api-url", "api-timeout", \
        "api-retry-budget", "event-path", "json", "verbose", "connect-timeout", "sslmode", "sslrootcert",       \
        "allow-insecure-transport", "environments", "validate-against"

constexpr std::string_view kEnvOptions[] = {"event-path", "environment",  "workdir",         "json",
                                            "verbose",    "environments", "validate-against"};
constexpr std::string_view kStatusOptions[] = {COMMON_TARGET, "include-all", "fail-on-pending"};
constexpr std::string_view kValidateOptions[] = {
    COMMON_TARGET,          "include-all",    "allow-edited",        "lock-timeout",          "strict-transactions",
    "ignore-unmatched",     "no-down-check",  "keep-going",          "no-rollback-on-revert", "statement-timeout",
    "promote-from",         "hotfix-pattern", "no-pr-guard",         "lint-disable",          "lint-fail-on",
    "lint-exposed-schemas", "shadow-db-url",  "allow-untrusted-sql", "redact-errors"};
constexpr std::string_view kPushOptions[] = {COMMON_TARGET,           "include-all",
                                             "allow-edited",          "dry-run",
                                             "strict-transactions",   "lock-timeout",
                                             "statement-timeout",     "lock-wait",
                                             "promote-from",          "allow-unpromoted",
                                             "hotfix-pattern",        "include-seed",
                                             "allow-production-seed", "rollback-on-verify-failure",
                                             "no-rollback-on-revert", "expect",
                                             "expect-file",           "health-url",
                                             "health-status",         "health-timeout",
                                             "health-retries",        "health-header"};
constexpr std::string_view kVerifyOptions[] = {COMMON_TARGET,    "expect",        "expect-file",
                                               "health-url",     "health-status", "health-timeout",
                                               "health-retries", "health-header", "dry-run"};
constexpr std::string_view kLintOptions[] = {COMMON_TARGET, "lint-disable", "lint-fail-on", "lint-exposed-schemas"};
constexpr std::string_view kRepairOptions[] = {COMMON_TARGET, "status", "versions", "lock-wait"};
constexpr std::string_view kRollbackOptions[] = {
    COMMON_TARGET, "to", "last", "record-only", "dry-run", "lock-timeout", "statement-timeout", "lock-wait"};
constexpr std::string_view kPathsFilterOptions[] = {"workdir",
                                                    "migrations-dir",
                                                    "event-path",
                                                    "filters",
                                                    "list-files",
                                                    "predicate-quantifier",
                                                    "base",
                                                    "ref",
                                                    "working-directory",
                                                    "initial-fetch-depth",
                                                    "fetch-limit",
                                                    "fail-on-edited",
                                                    "json",
                                                    "verbose"};
constexpr std::string_view kRecordMetricsOptions[] = {"workdir",
                                                      "event-path",
                                                      "environment",
                                                      "db-url",
                                                      "project-ref",
                                                      "transport",
                                                      "api-url",
                                                      "api-timeout",
                                                      "api-retry-budget",
                                                      "connect-timeout",
                                                      "sslmode",
                                                      "sslrootcert",
                                                      "allow-insecure-transport",
                                                      "environments",
                                                      "supabase-url",
                                                      "repository",
                                                      "deployment-status",
                                                      "applied-count",
                                                      "deployment-duration",
                                                      "junit",
                                                      "test-results",
                                                      "test-type",
                                                      "branch-rules",
                                                      "hotfix-pattern",
                                                      "json",
                                                      "verbose"};
constexpr std::string_view kMetricsOptions[] = {"workdir",
                                                "db-url",
                                                "project-ref",
                                                "transport",
                                                "api-url",
                                                "api-timeout",
                                                "api-retry-budget",
                                                "connect-timeout",
                                                "sslmode",
                                                "sslrootcert",
                                                "allow-insecure-transport",
                                                "environments",
                                                "environment",
                                                "supabase-url",
                                                "repository",
                                                "apply",
                                                "days",
                                                "until",
                                                "sources",
                                                "workflow",
                                                "pulls-file",
                                                "test-results",
                                                "branch-rules",
                                                "hotfix-pattern",
                                                "older-than",
                                                "dry-run",
                                                "min-test-pass-rate",
                                                "min-rule-compliance",
                                                "max-change-failure-rate",
                                                "min-deployment-frequency",
                                                "max-lead-time",
                                                "max-pr-cycle-time",
                                                "max-time-to-restore",
                                                "fail-on-threshold",
                                                "no-thresholds",
                                                "archive",
                                                "json",
                                                "verbose"};
constexpr std::string_view kNoOptions[] = {"json", "verbose"};
constexpr std::string_view kNewOptions[] = {"workdir", "migrations-dir", "down", "verbose"};
constexpr std::string_view kInitOptions[] = {"workdir", "actions", "force", "dry-run", "apply",
                                             "repo",    "token",   "json",  "verbose"};

constexpr CommandSpec kCommands[] = {
    {"env", "resolve the run: event, branch, environment and what applies", "[options]",
     "Reads the GitHub runner's environment and event payload and says which environment\n"
     "the run maps to and what sbdeploy does for it (push, validate or none), and why.\n\n"
     "Default mapping: push to main or master -> production; push to staging or develop\n"
     "-> staging; pull requests and merge groups validate against staging;\n"
     "workflow_dispatch uses its \"environment\" input; anything else -> none (exit 0).\n"
     "--environments 'production=main;staging=staging,release/*' and --validate-against\n"
     "(an environment, or base) change it; --environment overrides it.\n\n"
     "Step outputs (GITHUB_OUTPUT; the same object with --json): event, ref, branch,\n"
     "base_ref, base_sha, head_sha, sha, pr_number, fork, repository, environment,\n"
     "action, reason.",
     kEnvOptions, run_env},
    {"paths-filter", "decide whether migrations changed in this push or PR", "[options] [GLOB...]",
     "Compares the commits the event is about (push: since the previous push; pull request:\n"
     "from the merge-base; merge group: its base; else --base or the default branch) and\n"
     "says which changed files the filters select (default: the migrations folder's *.sql;\n"
     "globs as picomatch with dot: true, a \"!glob\" line excludes). --filters also takes\n"
     "dorny/paths-filter's YAML (named filters, anchors, 'added|modified: glob') or a file of\n"
     "it. A shallow checkout is deepened step by step; without git history the GitHub API\n"
     "lists the files. A filter that matches no file of the repository is warned about.\n\n"
     "Step outputs: changed, count, files, added, modified, deleted, renamed (any filter),\n"
     "per filter <name>, <name>_count, <name>_files (with --list-files), and changes, as\n"
     "dorny/paths-filter writes them (without named filters the filter is \"migrations\"),\n"
     "filter_outputs (those per-filter outputs as one JSON object), edited_existing, base,\n"
     "head, base_reason.",
     kPathsFilterOptions, run_paths_filter},
    {"status", "list local and remote migrations side by side", "[options]",
     "Compares the migration files with the history table of the target database:\n"
     "applied, pending, missing locally, out of order, edited after apply. The DOWN column\n"
     "says which files carry down SQL: applied ones with it can be rolled back\n"
     "(output rollback_ready).",
     kStatusOptions, run_status},
    {"validate", "check everything push would, plus a real dry run", "[options]",
     "Runs every check of push, then executes the pending migrations inside one\n"
     "transaction (a savepoint per file) and rolls it back. Nothing is changed.\n"
     "The dry run stops at the first failing file, as push does: the files after it are\n"
     "listed as \"not run\" (--keep-going: every file gets a verdict, and failures after\n"
     "the first are marked as possibly its consequence). It takes only as many files as the\n"
     "server's lock table holds in one transaction (max_locks_per_transaction x\n"
     "(max_connections + max_prepared_transactions), less room for other sessions); when\n"
     "the rest do not fit, validation fails with one error naming the files that passed.\n"
     "The pending files are linted too ('sbdeploy lint --help'); a finding at or above\n"
     "--lint-fail-on fails validation. Down SQL the Supabase CLI would run as a migration\n"
     "(a sibling .down.sql, a -- sbdeploy:down section) gets a warning: move it to\n"
     "supabase/migrations/down/<version>_<name>.sql.\n"
     "Each pending file with down SQL runs, then its down SQL, then again: validation\n"
     "fails when the down SQL errs, leaves the schema (the catalog: tables, columns,\n"
     "indexes, constraints, functions, policies, grants...) different from before the\n"
     "file, or the file cannot run again after it (--no-down-check: off).\n"
     "A pull request into a branch that deploys to production must come from the\n"
     "--promote-from environment's branch or match --hotfix-pattern (--no-pr-guard: off),\n"
     "and fails when the promotion gate would refuse the push after the merge (the same\n"
     "gate, hotfix route included; output promotion).\n"
     "--shadow-db-url: the dry run runs on that empty PostgreSQL instead of the target,\n"
     "prepared with Supabase's roles and schemas (auth, storage, extensions) and the\n"
     "migrations the target applied (its history, read with one SELECT; SBDEPLOY_<ENV>_READ_URL\n"
     "for a read-only role), or, without the target, the base commit's migrations.\n"
     "A fork pull request without the target's secrets gets the offline checks only, or the\n"
     "real dry run on the shadow database; pull_request_target from a fork is refused\n"
     "without one (--allow-untrusted-sql: run it on the target).\n"
     "Server error texts are capped at 500 characters; --redact-errors (on for pull requests\n"
     "into production's branch) reports SQLSTATE, file and line only.",
     kValidateOptions, run_validate},
    {"push", "apply pending migrations to the resolved environment", "[options]",
     "Applies pending migrations in version order, each file with its history row in one\n"
     "transaction, under an advisory lock; stops at the first failure.\n"
     "A push to production first reads the --promote-from environment's history (default\n"
     "staging; SBDEPLOY_STAGING_READ_URL, a read-only role's URL, comes before\n"
     "SBDEPLOY_STAGING_DB_URL) and refuses what it has not run with the same statements (exit 1);\n"
     "--allow-unpromoted pushes anyway with a warning. Hotfix route: the migrations a\n"
     "merged pull request from a --hotfix-pattern branch (or labelled hotfix) brought pass\n"
     "with a warning to merge it back into staging (output merge_back); the pull request\n"
     "of the pushed commit is found through the GitHub API (GITHUB_TOKEN).\n"
     "A revert: applied migrations whose files the pushed commits delete (before..after of\n"
     "the push event) are first rolled back, newest first, with the down SQL of the parent\n"
     "commit (git show), each with its history row in one transaction; without down SQL the\n"
     "push is refused before anything changes (--no-rollback-on-revert: the CLI's error).\n"
     "--include-seed then runs supabase/seed.sql (or [db.seed] sql_paths of\n"
     "supabase/config.toml), recorded in supabase_migrations.seed_files as the Supabase CLI\n"
     "does; a file runs again only when it changed; refused for production unless\n"
     "--allow-production-seed. --rollback-on-verify-failure then runs verify (--expect,\n"
     "--expect-file, --health-url) and, when it fails, rolls back this push's migrations with\n"
     "their down SQL (all pending ones must have it).\n\n"
     "Step outputs: environment, action, reason, applied, applied_count, pending_count,\n"
     "promotion, merge_back; seeded, seeded_count (--include-seed); rolled_back, verified, missing,\n"
     "failing (--rollback-on-verify-failure); reverted, reverted_count (a revert).",
     kPushOptions, run_push},
    {"repair", "mark versions applied or reverted in the history table", "--status applied|reverted VERSION...",
     "Records versions as applied (with the statements of their local files) or removes\n"
     "their history rows, in one transaction, without running any migration.",
     kRepairOptions, run_repair},
    {"rollback", "undo applied versions with their down SQL", "--to VERSION | --last N [options]",
     "Runs the down SQL of every applied version newer than --to VERSION (or of the --last N\n"
     "newest), newest first, each with the deletion of its history row in one transaction,\n"
     "under the push lock; stops at the first failure. Down SQL is the file\n"
     "supabase/migrations/down/<version>_<name>.sql (a folder the Supabase CLI ignores);\n"
     "also read: a sibling <version>_<name>.down.sql, or the part of the migration after a\n"
     "line `-- sbdeploy:down` (push never applies it; the CLI does: validate warns about\n"
     "both). Refuses before changing anything when a version has no down\n"
     "SQL, naming it, unless --record-only (delete the history rows only, as repair --status\n"
     "reverted). --dry-run runs it all in a transaction that is rolled back. Rolled-back\n"
     "files are pending again: the next push applies them unless they are removed or fixed.\n\n"
     "Step outputs: environment, action, reason, rolled_back, rolled_back_count, remaining\n"
     "(would_roll_back with --dry-run).",
     kRollbackOptions, run_rollback},
    {"verify", "check that expected objects exist after a push, and health URLs answer", "[options]",
     "Checks the resolved environment's database for every --expect (or --expect-file line):\n"
     "  table:public.moods   view:public.v   column:public.moods.mood   index:public.moods_pkey\n"
     "  function:public.f    function:public.f(integer, text)   schema:metrics\n"
     "  policy:public.moods  policy:public.moods:Policy name     rls:public.moods\n"
     "  extension:pgcrypto\n"
     "(unquoted names fold to lower case, schema public when omitted), then asks every\n"
     "--health-url until it answers with --health-status, retrying with exponential backoff\n"
     "within --health-timeout. Exit 1 listing what is missing or failing. With --dry-run\n"
     "(after push --dry-run, which applied nothing) it checks the lines and URLs, lists\n"
     "them and skips the checks with a notice.\n\n"
     "Step outputs: environment, action, reason, verified, missing, failing.",
     kVerifyOptions, run_verify},
    {"record-metrics", "record the current GitHub event as development metrics", "[options]",
     "Records the event in the metrics schema of the production database, whatever the branch:\n"
     "pull_request opened, reopened, ready_for_review, closed or merged (with cycle time) ->\n"
     "pr_events; deployment_status and workflow_run (finished, on a branch that deploys) and\n"
     "this run's own deployment (--deployment-status, with lead time from the commits) ->\n"
     "deployment_events; --junit and --test-results reports -> test_runs; branch naming,\n"
     "conventional titles and commit subjects, pull request bases -> rule_compliance_events.\n"
     "Recording the same event again adds nothing.\n\n"
     "Target: --db-url, else SBDEPLOY_PRODUCTION_DB_URL (or SBDEPLOY_PRODUCTION_PROJECT_REF);\n"
     "or PostgREST with --supabase-url and SUPABASE_SECRET_KEY.\n\n"
     "Step outputs: recorded, skipped, pr_events, deployment_events, test_runs,\n"
     "rule_compliance_events.",
     kRecordMetricsOptions, run_record_metrics},
    {"metrics", "metrics schema, backfill, report and prune", "schema|backfill|report|prune [options]",
     "  schema [--apply]          print the metrics schema as a migration file to commit, or\n"
     "                            apply it (idempotent); --apply adopts tables made from\n"
     "                            seed 001 (in public or metrics) in place, one line per\n"
     "                            change, and refuses with a plan when it cannot\n"
     "  backfill [--days 90]      pull requests, deployments and --workflow runs from the\n"
     "                            GitHub API, commit subjects from git log, --pulls-file and\n"
     "                            --test-results files (--sources github,git,files)\n"
     "  report [--days 30]        deployment frequency, lead time, change failure rate, time\n"
     "                            to restore, PR cycle time, test pass rate, rule compliance;\n"
     "                            a table, --json, and a step summary opening with the\n"
     "                            outcome, with a chart of deployments per day (up to 21\n"
     "                            days; then per week, month or year); the last N days are\n"
     "                            N UTC days, the day of --until included;\n"
     "                            --min-*/--max-* thresholds warn, or fail with\n"
     "                            --fail-on-threshold; a test pass rate under 80% warns\n"
     "                            unless --no-thresholds\n"
     "  prune --older-than 730d   delete older rows (--dry-run counts them; --archive FILE\n"
     "                            writes them first, JSON Lines, gzip for .gz)\n\n"
     "The metrics database is production's: --db-url, else SBDEPLOY_PRODUCTION_DB_URL (or\n"
     "SBDEPLOY_PRODUCTION_PROJECT_REF); backfill may also write through --supabase-url.",
     kMetricsOptions, run_metrics},
    {"lint", "static safety checks on migration files", "[options] [FILE...]",
     "Reads migrations with PostgreSQL's parser and reports what would lock a busy table,\n"
     "fail on existing rows, break running clients or open data to the API. Without FILEs:\n"
     "the migrations pending (or edited) on the target database when one is configured\n"
     "(--db-url, or the environment's SBDEPLOY_<ENV>_DB_URL), else every file in the\n"
     "migrations folder. The other files are read as context, never reported: a table an\n"
     "applied file created exists, and RLS enabled in any file of the set counts.\n\n"
     "Rules, errors: parse-error, transaction-control, rls-missing, policy-always-true,\n"
     "add-column-not-null, file-name, duplicate-version; warnings: transaction-wrapper,\n"
     "mid-file-commit, security-definer-search-path, index-not-concurrent, set-not-null,\n"
     "column-type-rewrite, constraint-not-valid, drop-table, drop-column, truncate, rename-table,\n"
     "rename-column, constraint-without-index, validate-same-file, add-column-references,\n"
     "add-column-rewrite, unknown-ignore (security-definer-search-path is an error when the\n"
     "body names a table without a schema; policy-always-true a warning for an insert-only\n"
     "policy of anon on a table anon cannot read).\n"
     "Skip rules for one statement with a comment on the line(s) right above it:\n"
     "  -- sbdeploy-lint-ignore: drop-table, truncate  the reason\n"
     "Per project, supabase/sbdeploy.toml's [lint] table sets exposed_schemas, rule levels\n"
     "([lint.rules] <rule> = \"error\"|\"warning\"|\"off\") and tables whose always-true\n"
     "policies are meant ([lint.public_policies] \"public.contact\" = [\"insert\"]); the\n"
     "exposed schemas default to supabase/config.toml's [api] schemas, else public.\n"
     "Findings: file:line:column lines (annotations under GitHub Actions), a table in the\n"
     "step summary, --json. Exit 1 when a finding is at or above --lint-fail-on (default\n"
     "error), 2 on a bad option or an unreadable file. validate runs the same checks.\n\n"
     "Step outputs: errors, warnings, passed, files, findings.",
     kLintOptions, run_lint},
    {"new", "create a migration file, as 'supabase migration new' does", "NAME [options]",
     "Writes supabase/migrations/<version>_NAME.sql, the version being the UTC time as\n"
     "YYYYMMDDHHMMSS, and prints \"Created new migration at <path>\" as the Supabase CLI does.\n"
     "The file is empty, or holds what is piped to stdin (pg_dump ... | sbdeploy new x).\n"
     "NAME is letters, digits, _, - and . (no spaces or slashes; not ending in .sql or\n"
     ".down). When a file already has that version, the next free second is taken (push\n"
     "refuses two files of one version). --down also writes\n"
     "supabase/migrations/down/<version>_NAME.sql, the down SQL 'sbdeploy rollback' runs.",
     kNewOptions, run_new},
    {"init", "write the release process's workflows and set branch protection", "[options]",
     "Reads the repository (main or master, staging or develop, locally or on origin;\n"
     "supabase/config.toml) and writes .github/workflows/migrations-validate.yml (pull\n"
     "requests and merge queues), migrations-staging.yml and migrations-production.yml\n"
     "(pushes, behind the GitHub environments staging and production: push, verify,\n"
     "pending check, and production's deployment recorded as metrics),\n"
     "migrations-metrics.yml, and supabase/verify.txt (what verify checks). Files that\n"
     "exist are kept unless --force; --dry-run prints them instead. Then prints the secrets\n"
     "to create per GitHub environment and the required status checks. --apply sets those\n"
     "checks as branch protection of both branches through the GitHub API (GITHUB_API_URL),\n"
     "keeping what they already require; it needs --token (or GITHUB_TOKEN) with\n"
     "administration write and --repo (or GITHUB_REPOSITORY, or the origin remote).",
     kInitOptions, run_init},
};

} // namespace

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

// The nearest command name, else the first that starts with `bad` ("sta" -> "status").
std::string suggest(std::string_view bad) {
    if (auto near = util::closest(bad, kCommands, 3, &CommandSpec::name); !near.empty()) return near;
    for (const auto& c : kCommands)
        if (!bad.empty() && c.name.starts_with(bad)) return std::string(c.name);
    return {};
}

std::span<const CommandSpec> command_table() { return kCommands; }

} // namespace sbdeploy::cli
