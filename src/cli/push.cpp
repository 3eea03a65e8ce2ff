#include "cli/commands.hpp"

namespace sbdeploy::cli {
int run_push(Context& ctx) { return report(ctx, make_error(ErrorKind::usage, "push: not built yet")); }
} // namespace sbdeploy::cli
