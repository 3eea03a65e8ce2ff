// sbdeploy run as a workflow step runs it: GITHUB_* variables, the event payload in a file,
// fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and what the step left in them read back.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/project.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

struct StepRun {
    util::ProcessResult result;  // stdout without the ::add-mask:: lines
    std::map<std::string, std::string> outputs;
    std::string summary;
};

// "exit N", stdout, stderr and the step summary: for INFO() when a check fails.
std::string describe(const StepRun& r);

// `text` without its ::add-mask:: lines (the runner is told the secrets first).
std::string unmasked(const std::string& text);

// Runs `sbdeploy args...` for `event` with `payload`, as step number `n` of `project` (its files
// go under runner/ in the project). `env` is added to the GITHUB_* variables; an entry with an
// empty value removes that variable.
StepRun run_step(TempProject& project, int n, const std::string& event, const std::string& payload,
                 const std::vector<std::string>& args, const Env& env);

} // namespace sbdeploy::test
