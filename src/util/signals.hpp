// SIGINT, SIGTERM and SIGHUP as an orderly stop. The handler only records the signal; a watcher
// thread runs what the work in flight registered: `cancel` at once, `cut` after a grace
// period, and after a second one it ends the process (exit 1). A second signal ends it at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace sbdeploy::util {

// How to stop one piece of work in flight (a database connection).
struct InterruptActions {
    // Asks the other side to stop (libpq's cancel request). May block; runs on a thread of
    // its own, so it must own everything it uses.
    std::function<void()> cancel;
    // Cuts the connection (shutdown of the socket). Must not block; runs under the
    // registry's lock, so it never runs after remove() returned.
    std::function<void()> cut;
};

class InterruptRegistry {
public:
    using Id = std::uint64_t;
    Id add(InterruptActions actions);
    void remove(Id id);
    [[nodiscard]] bool empty() const;
    // Starts every cancel on a detached thread of its own.
    void cancel_all() const;
    void cut_all() const;

private:
    mutable std::mutex mutex_;
    std::map<Id, InterruptActions> entries_;
    Id next_ = 1;
};

// The registry the signal watcher works on: one per process.
InterruptRegistry& process_interrupts();

// Registers `actions` for the lifetime of the object (nothing when `registry` is null).
class InterruptScope {
public:
    InterruptScope(InterruptRegistry* registry, InterruptActions actions);
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

private:
    InterruptRegistry* registry_;
    InterruptRegistry::Id id_ = 0;
};

struct InterruptPolicy {
    std::chrono::milliseconds cancel_grace{5'000};  // from cancel to cut
    std::chrono::milliseconds cut_grace{2'000};     // from cut to the forced exit
    // The last words before a forced exit (signal number, whether work was in flight);
    // called on the watcher thread: write with ::write, not through a stream.
    std::function<void(int, bool)> on_forced_exit;
};

// Installs the SIGINT, SIGTERM and SIGHUP handlers and starts the watcher (once; later calls do
// nothing). With nothing registered when a signal arrives the process ends at once.
void install_interrupt_handlers(InterruptPolicy policy);

// The signal that asked the process to stop (SIGINT or SIGTERM), or 0.
int interrupt_signal();

// "SIGINT", "SIGTERM", "SIGHUP", else "signal N".
std::string signal_name(int signal);

} // namespace sbdeploy::util
