// A program run in the background for fault tests: started, signalled and waited for,
// its stdout and stderr kept in temp files that can be read while it runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "support/project.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

class BackgroundProcess {
public:
    // Starts `program` with `args` and exactly `env` (plus PATH) in `workdir`.
    BackgroundProcess(const std::string& program, const std::vector<std::string>& args, const Env& env,
                      const std::string& workdir = ".");
    // SIGKILLs the program if it still runs, and removes the output files.
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Waits for the end (throws after `timeout`); exit code or signal, and the output.
    util::ProcessResult wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(120'000));
    [[nodiscard]] std::string out_so_far() const;
    [[nodiscard]] std::string err_so_far() const;

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    util::ProcessResult result_;
    std::string out_path_;
    std::string err_path_;
};

// sbdeploy in the background, as run_sbdeploy runs it.
BackgroundProcess start_sbdeploy(const std::vector<std::string>& args, const Env& env = {},
                                 const std::string& workdir = ".");

// Calls `condition` every few milliseconds until it is true; throws std::runtime_error
// naming `what` after `timeout`. For states a test waits for, never a fixed sleep.
void wait_until(const std::function<bool()>& condition, const std::string& what,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000));

} // namespace sbdeploy::test
