#include "cli/commands.hpp"

namespace sbdeploy::cli {
int run_status(Context& ctx) { return report(ctx, make_error(ErrorKind::usage, "status: not built yet")); }
} // namespace sbdeploy::cli
