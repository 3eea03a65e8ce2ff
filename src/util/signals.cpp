#include "util/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <thread>
#include <vector>

namespace sbdeploy::util {

namespace {

std::atomic<int> g_signal{0};
int g_pipe[2] = {-1, -1};
pid_t g_owner = 0;

// Async-signal-safe: record the first signal, wake the watcher. A child between fork and
// exec (util::run_process) shares the pipe: there the signal takes its default action.
extern "C" void on_signal(int sig) {
    int saved = errno;
    if (::getpid() != g_owner) {
        struct sigaction dfl{};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(sig, &dfl, nullptr);
        ::raise(sig);
        errno = saved;
        return;
    }
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);
    auto byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] auto written = ::write(g_pipe[1], &byte, 1);
    errno = saved;
}

// Waits up to `timeout` for a signal byte; true when one came.
bool next_signal(std::chrono::milliseconds timeout, int& sig) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (timeout.count() >= 0 && left.count() <= 0) return false;
        pollfd pfd{g_pipe[0], POLLIN, 0};
        int r = ::poll(&pfd, 1, timeout.count() < 0 ? -1 : static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        unsigned char byte = 0;
        ssize_t n = ::read(g_pipe[0], &byte, 1);
        if (n == 1) {
            sig = byte;
            return true;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return false;
    }
}

[[noreturn]] void forced_exit(const InterruptPolicy& policy, int sig, bool in_flight) {
    if (policy.on_forced_exit) policy.on_forced_exit(sig, in_flight);
    ::_exit(1);
}

void watch(InterruptPolicy policy) {
    int sig = 0;
    if (!next_signal(std::chrono::milliseconds(-1), sig)) return;
    const InterruptRegistry& registry = process_interrupts();
    // Nothing in flight (reading files, waiting for a connection): nothing to wind down.
    if (registry.empty()) forced_exit(policy, sig, false);
    registry.cancel_all();
    int again = 0;
    if (next_signal(policy.cancel_grace, again)) forced_exit(policy, sig, true);
    registry.cut_all();
    next_signal(policy.cut_grace, again);
    forced_exit(policy, sig, true);
}

} // namespace

InterruptRegistry::Id InterruptRegistry::add(InterruptActions actions) {
    std::lock_guard lock(mutex_);
    Id id = next_++;
    entries_.emplace(id, std::move(actions));
    return id;
}

void InterruptRegistry::remove(Id id) {
    std::lock_guard lock(mutex_);
    entries_.erase(id);
}

bool InterruptRegistry::empty() const {
    std::lock_guard lock(mutex_);
    return entries_.empty();
}

void InterruptRegistry::cancel_all() const {
    std::vector<std::function<void()>> cancels;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, a] : entries_)
            if (a.cancel) cancels.push_back(a.cancel);
    }
    for (auto& c : cancels) {
        try {
            std::thread(std::move(c)).detach();
        } catch (const std::system_error&) {
            // No thread: the cut after the grace period still stops the work.
        }
    }
}

void InterruptRegistry::cut_all() const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, a] : entries_)
        if (a.cut) a.cut();
}

InterruptRegistry& process_interrupts() {
    // Never destroyed: the watcher may use it while the process exits.
    static auto* registry = new InterruptRegistry;
    return *registry;
}

InterruptScope::InterruptScope(InterruptRegistry* registry, InterruptActions actions) : registry_(registry) {
    if (registry_) id_ = registry_->add(std::move(actions));
}

InterruptScope::~InterruptScope() {
    if (registry_) registry_->remove(id_);
}

void install_interrupt_handlers(InterruptPolicy policy) {
    static std::atomic<bool> installed{false};
    if (installed.exchange(true)) return;
    if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;  // no pipe: default signal behaviour
    g_owner = ::getpid();
    try {
        std::thread(watch, std::move(policy)).detach();
    } catch (const std::system_error&) {
        return;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    // A closed terminal or a runner that hangs up: stop in the same orderly way.
    ::sigaction(SIGHUP, &sa, nullptr);
}

int interrupt_signal() { return g_signal.load(); }

std::string signal_name(int signal) {
    switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
    }
}

} // namespace sbdeploy::util
