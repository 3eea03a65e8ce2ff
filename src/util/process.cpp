#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/strings.hpp"

namespace sbdeploy::util {

namespace {

// Closes a descriptor once; -1 means closed.
void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

struct Pipe {
    int read = -1;
    int write = -1;
    ~Pipe() {
        close_fd(read);
        close_fd(write);
    }
};

std::string errno_text(int err) {
    std::string s = std::strerror(err);
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

Error start_error(const std::string& program, const std::string& cause) {
    return make_error(ErrorKind::io, "cannot run " + quoted(program) + ": " + cause);
}

// The program as posix_spawn wants it: a bare name is looked up in the child's PATH,
// so a test or a caller controls which binary runs.
std::optional<std::string> resolve_program(const ProcessSpec& spec) {
    if (spec.program.find('/') != std::string::npos) return spec.program;
    auto it = spec.env.find("PATH");
    std::string path = it != spec.env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
    for (const auto& dir : split(path, ':')) {
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + spec.program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

// SIGPIPE is blocked in this thread while we write the child's stdin, so a child that
// exits early gives EPIPE instead of killing us; a SIGPIPE left pending is consumed.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &block, &old_);
    }
    ~SigpipeGuard() {
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                sigset_t only;
                sigemptyset(&only);
                sigaddset(&only, SIGPIPE);
                timespec zero{};
                while (sigtimedwait(&only, nullptr, &zero) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t old_{};
    bool was_pending_ = false;
};

class SpawnSetup {
public:
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
};

} // namespace

Result<ProcessResult> run_process(const ProcessSpec& spec) {
    auto program = resolve_program(spec);
    if (!program) return fail(start_error(spec.program, "not found in PATH"));

    Pipe in, out, err;
    std::array<Pipe*, 3> pipes{&in, &out, &err};
    for (Pipe* p : pipes) {
        if (p == &in && !spec.stdin_text) continue;
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return fail(start_error(spec.program, errno_text(errno)));
        p->read = fds[0];
        p->write = fds[1];
    }

    SpawnSetup setup;
    if (spec.stdin_text)
        posix_spawn_file_actions_adddup2(&setup.actions, in.read, 0);
    else
        posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, out.write, 1);
    posix_spawn_file_actions_adddup2(&setup.actions, err.write, 2);
    if (spec.workdir) posix_spawn_file_actions_addchdir_np(&setup.actions, spec.workdir->c_str());

    // The child starts with no blocked signals, default SIGPIPE, and its own process
    // group so a timeout can kill whatever it started too.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<std::string> env_strings;
    env_strings.reserve(spec.env.size());
    for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_strings;
    arg_strings.push_back(spec.program);
    arg_strings.insert(arg_strings.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& s : arg_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    SigpipeGuard sigpipe_guard;
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, program->c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
    if (rc != 0) return fail(start_error(spec.program, errno_text(rc)));
    close_fd(in.read);
    close_fd(out.write);
    close_fd(err.write);
    if (in.write >= 0) ::fcntl(in.write, F_SETFL, ::fcntl(in.write, F_GETFL) | O_NONBLOCK);

    ProcessResult result;
    std::string_view to_write = spec.stdin_text ? std::string_view(*spec.stdin_text) : std::string_view();
    if (in.write >= 0 && to_write.empty()) close_fd(in.write);
    const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
    std::array<char, 65536> buffer{};

    while (out.read >= 0 || err.read >= 0 || in.write >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        std::array<pollfd, 3> pfds{};
        nfds_t n = 0;
        auto add = [&](int fd, short events) {
            if (fd >= 0) pfds[n++] = pollfd{fd, events, 0};
        };
        add(out.read, POLLIN);
        add(err.read, POLLIN);
        add(in.write, POLLOUT);
        int ready = ::poll(pfds.data(), n, static_cast<int>(std::min<long long>(left.count(), 1'000'000)));
        if (ready < 0) {
            if (errno == EINTR) continue;
            result.timed_out = false;
            ::kill(-pid, SIGKILL);
            break;
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (pfds[i].revents == 0) continue;
            int fd = pfds[i].fd;
            if (fd == in.write) {
                ssize_t w = ::write(fd, to_write.data(), to_write.size());
                if (w > 0) to_write.remove_prefix(static_cast<std::size_t>(w));
                // EPIPE: the child stopped reading; what it did not read is its business.
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || to_write.empty()) close_fd(in.write);
                continue;
            }
            ssize_t r = ::read(fd, buffer.data(), buffer.size());
            if (r > 0) {
                auto size = static_cast<std::size_t>(r);
                if (fd == out.read && spec.on_out)
                    spec.on_out(std::string_view(buffer.data(), size));
                else
                    (fd == out.read ? result.out : result.err).append(buffer.data(), size);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(fd == out.read ? out.read : err.read);
            }
        }
    }
    close_fd(in.write);
    close_fd(out.read);
    close_fd(err.read);

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return fail(start_error(spec.program, "waitpid: " + errno_text(errno)));
    }
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
        result.exit_code = -1;
    }
    return result;
}

} // namespace sbdeploy::util
