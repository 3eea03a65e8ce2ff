#include "support/workflow_step.hpp"

#include "support/file_commands.hpp"

namespace sbdeploy::test {

std::string describe(const StepRun& r) { return describe(r.result) + "\nsummary:\n" + r.summary; }

std::string unmasked(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        auto eol = text.find('\n', i);
        auto line = text.substr(i, eol == std::string::npos ? std::string::npos : eol + 1 - i);
        if (!line.starts_with("::add-mask::")) out += line;
        i = eol == std::string::npos ? text.size() : eol + 1;
    }
    return out;
}

StepRun run_step(TempProject& project, int n, const std::string& event, const std::string& payload,
                 const std::vector<std::string>& args, const Env& env) {
    const std::string step = std::to_string(n);
    const std::string event_file = "runner/event" + step + ".json";
    const std::string output_file = "runner/output" + step;
    const std::string summary_file = "runner/summary" + step;
    project.file(event_file, payload);
    project.file(output_file, "");
    project.file(summary_file, "");
    Env full{{"GITHUB_ACTIONS", "true"},
             {"GITHUB_EVENT_NAME", event},
             {"GITHUB_EVENT_PATH", project.path(event_file)},
             {"GITHUB_OUTPUT", project.path(output_file)},
             {"GITHUB_STEP_SUMMARY", project.path(summary_file)},
             {"GITHUB_WORKSPACE", project.root().string()}};
    for (const auto& [key, value] : env) full[key] = value;
    for (auto it = full.begin(); it != full.end();) it = it->second.empty() ? full.erase(it) : std::next(it);
    StepRun r{run_sbdeploy(args, full), {}, slurp(project.path(summary_file))};
    r.result.out = unmasked(r.result.out);
    for (auto& [name, value] : parse_file_commands(slurp(project.path(output_file)))) r.outputs[name] = value;
    return r;
}

} // namespace sbdeploy::test
