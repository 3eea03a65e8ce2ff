// validate on a fork pull request whose secrets GitHub withholds: the checks that need no
// database (names, order, statement splitting, transaction rules, lint).
#pragma once

#include "cli/project.hpp"

namespace sbdeploy::cli {

// The file checks, the plan against an empty history, lint; says what it skipped. Returns the
// exit code; errors (bad --lint-* values, --strict-transactions refusals) are the caller's to report.
Result<int> validate_offline(Context& ctx, const Project& project, const Target& target);

} // namespace sbdeploy::cli
