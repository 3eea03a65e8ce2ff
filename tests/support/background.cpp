#include "support/background.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

namespace sbdeploy::test {

namespace fs = std::filesystem;

BackgroundProcess::BackgroundProcess(const std::string& program, const std::vector<std::string>& args, const Env& env,
                                     const std::string& workdir) {
    std::random_device rd;
    std::string base =
        (fs::temp_directory_path() / ("sbdeploy-bg-" + std::to_string(rd()) + std::to_string(rd()))).string();
    out_path_ = base + ".out";
    err_path_ = base + ".err";

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addchdir_np(&actions, workdir.c_str());

    std::vector<std::string> argv_storage{program};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    Env full = env;
    if (!full.contains("PATH")) full["PATH"] = "/usr/bin:/bin";
    std::vector<std::string> env_storage;
    for (auto& [k, v] : full) env_storage.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
}

BackgroundProcess::~BackgroundProcess() {
    if (!reaped_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove(out_path_, ec);
    fs::remove(err_path_, ec);
}

void BackgroundProcess::signal(int sig) const {
    if (!reaped_ && ::kill(pid_, sig) != 0) throw std::runtime_error(std::string("kill: ") + std::strerror(errno));
}

util::ProcessResult BackgroundProcess::wait(std::chrono::milliseconds timeout) {
    if (reaped_) return result_;
    int status = 0;
    wait_until(
        [&] {
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
            return r == pid_;
        },
        "the background process to end", timeout);
    reaped_ = true;
    if (WIFEXITED(status)) {
        result_.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result_.exit_code = -1;
        result_.signal = WTERMSIG(status);
    }
    result_.out = out_so_far();
    result_.err = err_so_far();
    return result_;
}

std::string BackgroundProcess::out_so_far() const { return slurp(out_path_); }
std::string BackgroundProcess::err_so_far() const { return slurp(err_path_); }

BackgroundProcess start_sbdeploy(const std::vector<std::string>& args, const Env& env, const std::string& workdir) {
    return BackgroundProcess(SBDEPLOY_BINARY, args, env, workdir);
}

void wait_until(const std::function<bool()>& condition, const std::string& what, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("timed out waiting for " + what);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace sbdeploy::test
