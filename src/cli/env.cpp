#include "cli/commands.hpp"

namespace sbdeploy::cli {
int run_env(Context& ctx) { return report(ctx, make_error(ErrorKind::usage, "env: not built yet")); }
} // namespace sbdeploy::cli
