// Runs a program to completion: arguments, a full environment, optional stdin text,
// stdout and stderr captured (both drained together, so large output cannot deadlock),
// and a timeout after which the program and its process group are killed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::util {

struct ProcessSpec {
    // A path, or a bare name looked up in the PATH of `env` (else of this process).
    std::string program;
    std::vector<std::string> args;  // without argv[0]
    // The child's whole environment; nothing is inherited.
    std::map<std::string, std::string, std::less<>> env;
    std::optional<std::string> stdin_text;  // nothing: stdin is /dev/null
    std::optional<std::string> workdir;     // nothing: the current directory
    std::chrono::milliseconds timeout{60'000};
    // When set, stdout is handed to it piece by piece as it arrives instead of being kept
    // in ProcessResult::out (which stays empty): large output is read in constant memory.
    std::function<void(std::string_view)> on_out;
};

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;      // the signal that ended it, 0 if it exited
    bool timed_out = false;
    std::string out;
    std::string err;

    [[nodiscard]] bool ok() const { return exit_code == 0; }
};

// Fails (ErrorKind::io) only when the program cannot be started; a program that
// runs and fails, or times out, is a ProcessResult saying so.
Result<ProcessResult> run_process(const ProcessSpec& spec);

} // namespace sbdeploy::util
