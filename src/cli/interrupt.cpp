#include "cli/interrupt.hpp"

#include <unistd.h>

#include "github/workflow_commands.hpp"
#include "util/signals.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

// The server's code for a statement stopped by a cancel request.
constexpr std::string_view kQueryCanceled = "57014";

using util::plural;

std::string applied_before(std::size_t applied) {
    return applied == 0 ? std::string("no migration was applied before it")
                        : plural(applied, "migration") + " applied before it stay applied";
}

} // namespace

void install_interrupts(const util::Environment& env) {
    const bool actions = env.get("GITHUB_ACTIONS") == std::optional<std::string>("true");
    util::InterruptPolicy policy;
    // On the watcher thread while the main thread may be printing: one write(2) each.
    policy.on_forced_exit = [actions](int sig, bool in_flight) {
        std::string message = "interrupted by " + util::signal_name(sig);
        std::string hint;
        if (in_flight) {
            message += ", and the database did not confirm in time that the work in flight stopped: a migration in "
                       "flight is committed whole with its history row or rolled back, never half-applied";
            hint = "run 'sbdeploy status' to see what was applied, then run the command again";
        }
        std::string text =
            actions ? github::format_command("error", {}, hint.empty() ? message : message + "\nhint: " + hint) + "\n"
                    : "sbdeploy: error: " + message + "\n" + (hint.empty() ? "" : "hint: " + hint + "\n");
        [[maybe_unused]] auto n = ::write(2, text.data(), text.size());
    };
    util::install_interrupt_handlers(std::move(policy));
}

int interrupted() { return util::interrupt_signal(); }

std::optional<Error> interruption(const Error& e, std::string_view what) {
    int sig = interrupted();
    if (sig == 0) return std::nullopt;
    std::string by = std::string(what) + " interrupted by " + util::signal_name(sig);
    if (e.sqlstate == kQueryCanceled)
        return make_error(ErrorKind::operation, by + ": the statement in flight was cancelled and rolled back",
                          "nothing was left half-done; run the command again");
    if (e.kind == ErrorKind::connection)
        return make_error(ErrorKind::operation, by + ": the connection was cut before the database answered",
                          "a migration in flight is committed whole with its history row or rolled back; run "
                          "'sbdeploy status' to see which, then run the command again");
    return std::nullopt;
}

std::optional<Error> push_interruption(const migrations::Migration& m, const Error& e, std::size_t applied) {
    int sig = interrupted();
    if (sig == 0 || (e.sqlstate != kQueryCanceled && e.kind != ErrorKind::connection)) return std::nullopt;
    const std::string by = "push interrupted by " + util::signal_name(sig) + " in " + util::quoted(m.file.filename);
    Error out;
    out.kind = ErrorKind::operation;
    out.file = m.file.display;
    if (m.plan.mode == migrations::FileMode::non_transactional) {
        out.message = by + ", which runs outside a transaction: the statements it completed stay, and it is not "
                           "recorded as applied";
        out.hint = applied_before(applied) + "; run the command again: the file runs again from its first statement";
    } else if (e.sqlstate == kQueryCanceled) {
        out.message = by + ": its transaction was rolled back, nothing of it was applied";
        out.hint = applied_before(applied) + "; run the command again to apply the rest";
    } else {
        out.message = by + ": the connection was cut before the database answered, so the file is either committed "
                           "whole with its history row or rolled back";
        out.hint = applied_before(applied) + "; run 'sbdeploy status' to see which, then run the command again";
    }
    return out;
}

Error push_stopped_before(const migrations::Migration& next, std::size_t applied, std::size_t total) {
    return make_error(ErrorKind::operation,
                      "push interrupted by " + util::signal_name(interrupted()) + " before " +
                          util::quoted(next.file.filename) + ": " + std::to_string(applied) + " of " +
                          plural(total, "migration") + " applied",
                      "nothing was left half-done; run the command again to apply the rest");
}

} // namespace sbdeploy::cli
