#include "cli/commands.hpp"

namespace sbdeploy::cli {
int run_repair(Context& ctx) { return report(ctx, make_error(ErrorKind::usage, "repair: not built yet")); }
} // namespace sbdeploy::cli
