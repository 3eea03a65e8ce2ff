// What record-metrics and the metrics subcommands share: the metrics target (always
// production: --db-url, else the production environment's variables; or PostgREST with
// --supabase-url), the rules configured from the options, and test report files.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "db/session.hpp"
#include "metrics/records.hpp"
#include "metrics/rules.hpp"
#include "metrics/writer.hpp"

namespace sbdeploy::cli {

// Metrics are production data, whatever the branch or the environment of the run.
inline constexpr std::string_view kMetricsEnvironment = "production";

// A session to the metrics database: --db-url or --project-ref (flags, then SBDEPLOY_DB_URL,
// SBDEPLOY_PROJECT_REF) when given, else SBDEPLOY_PRODUCTION_DB_URL or
// SBDEPLOY_PRODUCTION_PROJECT_REF, else config.toml's [remotes.production]; never staging.
Result<std::unique_ptr<db::Session>> open_metrics_session(Context& ctx);

// Where rows go: PostgREST at --supabase-url (with SUPABASE_SECRET_KEY), else the session.
struct MetricsSink {
    std::unique_ptr<db::Session> session;  // null with PostgREST
    std::unique_ptr<metrics::Writer> writer;
};
Result<MetricsSink> open_metrics_sink(Context& ctx);

// --branch-rules, --hotfix-pattern and the branches of --environments' staging and
// production.
Result<metrics::Rules> configured_rules(Context& ctx);

// The environment a push to `branch` deploys to under --environments ("" for none).
Result<std::function<std::string(std::string_view)>> environment_of_branch(Context& ctx);

// The files under `workdir` that the globs (relative to it) match, sorted, as paths relative
// to the workdir (util/glob_files.hpp). `.git` and `node_modules` folders are not searched. A glob
// util::Glob refuses is its config error, prefixed with `--<option> "<glob>": `.
Result<std::vector<std::string>> find_files(const std::string& workdir, std::string_view option,
                                            const std::vector<std::string>& globs, std::vector<std::string>& unmatched);

std::string workdir_of(const Context& ctx);
std::int64_t now_seconds();

// `sbdeploy metrics backfill` (cli/metrics_backfill.cpp).
int run_metrics_backfill(Context& ctx);
// `sbdeploy metrics report` (cli/metrics_report.cpp).
int run_metrics_report(Context& ctx);
// `sbdeploy metrics prune` (cli/metrics_prune.cpp).
int run_metrics_prune(Context& ctx);

// "pr_events 1, rule_compliance_events 3" (tables with rows only).
std::string describe_counts(const metrics::WriteSummary& summary, bool inserted);

} // namespace sbdeploy::cli
