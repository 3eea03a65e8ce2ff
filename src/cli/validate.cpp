#include "cli/commands.hpp"

namespace sbdeploy::cli {
int run_validate(Context& ctx) { return report(ctx, make_error(ErrorKind::usage, "validate: not built yet")); }
} // namespace sbdeploy::cli
