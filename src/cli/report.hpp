// What a command leaves for later steps: its outputs (GITHUB_OUTPUT, --json) and its step
// summary (headline, mapping decision, body), written once by finish() (src/cli/project.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/cli.hpp"
#include "cli/target.hpp"

namespace sbdeploy::cli {

// What a command leaves for later steps: outputs and a Markdown step summary.
// The summary is written as: headline, decision, summary (github::md, ending with a blank line).
struct Report {
    std::vector<std::pair<std::string, std::string>> outputs;
    std::string headline;  // the outcome line, first (github::md::headline); "" for none
    std::string summary;
    std::string decision;  // one Markdown line: the mapping decision, written after the headline
    void set(std::string name, std::string value) { outputs.emplace_back(std::move(name), std::move(value)); }
};
// The mapping decision of `target`: outputs environment, action, reason, and the summary's
// decision line. Defined in src/cli/resolve.cpp.
void record_decision(Context& ctx, Report& report, const Target& target);
// Writes the report to GITHUB_OUTPUT and GITHUB_STEP_SUMMARY when they are set; returns
// `code`, or 1 when the files cannot be written.
int finish(Context& ctx, const Report& report, int code);

// "20250101120000" -> "2025-01-01 12:00:00"; "" for other widths.
std::string version_time(std::string_view version);
// JSON array of strings.
std::string json_array(const std::vector<std::string>& values);
// Runs with no target (mapping said none): the notice and exit 0.
int nothing_to_do(Context& ctx, const Target& target);

} // namespace sbdeploy::cli
