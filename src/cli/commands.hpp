// The handlers of the command table, one file each: cli/<name>.cpp.
#pragma once

#include "cli/cli.hpp"

namespace sbdeploy::cli {

int run_env(Context& ctx);
int run_paths_filter(Context& ctx);
int run_status(Context& ctx);
int run_validate(Context& ctx);
int run_push(Context& ctx);
int run_repair(Context& ctx);
int run_rollback(Context& ctx);
int run_record_metrics(Context& ctx);
int run_metrics(Context& ctx);
int run_lint(Context& ctx);
int run_verify(Context& ctx);
int run_new(Context& ctx);
int run_init(Context& ctx);

} // namespace sbdeploy::cli
