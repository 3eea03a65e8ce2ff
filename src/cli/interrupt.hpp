// SIGINT and SIGTERM for the commands: the process-wide handlers (installed by main), and
// the messages that say what a signal stopped and what it left behind.
#pragma once

#include <optional>
#include <string>

#include "migrations/apply.hpp"
#include "util/env.hpp"
#include "util/error.hpp"

namespace sbdeploy::cli {

// Installs the handlers; a forced exit writes its error line in the console's style
// (plain, or a workflow command when GITHUB_ACTIONS=true).
void install_interrupts(const util::Environment& env);

// The signal that asked sbdeploy to stop, or 0.
int interrupted();

// `e` as the result of a signal, when one arrived and `e` is what it caused (a cancelled
// statement, a cut connection); else nothing. `what` says what was stopped ("push").
std::optional<Error> interruption(const Error& e, std::string_view what);

// Push stopped by a signal in `m` (its apply failed with `e`), after `applied` files.
// Nothing when no signal arrived or `e` is a real failure of the file.
std::optional<Error> push_interruption(const migrations::Migration& m, const Error& e, std::size_t applied);

// Push stopped by a signal before it began `next`, after `applied` of `total` files.
Error push_stopped_before(const migrations::Migration& next, std::size_t applied, std::size_t total);

} // namespace sbdeploy::cli
