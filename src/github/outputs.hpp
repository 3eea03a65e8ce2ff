// Step outputs (GITHUB_OUTPUT), exported variables (GITHUB_ENV) and the step summary
// (GITHUB_STEP_SUMMARY), written as @actions/core writes them: appended, each value in
// the `name<<ghadelimiter_<uuid v4>` form with a delimiter that occurs in no name or value.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::github {

// Where delimiters get their randomness; tests inject a fixed sequence.
using RandomSource = std::function<std::uint32_t()>;
// std::random_device.
RandomSource system_random();

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", from four draws.
std::string uuid_v4(const RandomSource& random);

using NameValues = std::vector<std::pair<std::string, std::string>>;

// The bytes that set `pairs` in a file command (`file_variable`, "GITHUB_OUTPUT" or
// "GITHUB_ENV", names it in errors): "name<<D\nvalue\nD\n" for each, one delimiter D
// for the whole batch, drawn again while it occurs in any name or value.
// Names must be non-empty and free of line breaks, "=" and "<<" (the runner would misread them).
Result<std::string> format_file_commands(const NameValues& pairs, std::string_view file_variable,
                                         const RandomSource& random);

// Appends `text` to the file at `path` in one write, creating it if needed.
Result<void> append_file_command(const std::string& path, std::string_view file_variable, std::string_view text);

Result<void> write_output(const std::string& path, std::string_view name, std::string_view value,
                          const RandomSource& random);
Result<void> export_variable(const std::string& path, std::string_view name, std::string_view value,
                             const RandomSource& random);
Result<void> append_step_summary(const std::string& path, std::string_view markdown);

// Backslash-escapes what Markdown would read as markup or HTML in user text.
std::string escape_markdown(std::string_view text);

// The outputs of one command, set as it goes and written once at the end, so that
// GITHUB_OUTPUT and --json carry the same names and values in the same order.
class Outputs {
public:
    // Setting a name again replaces its value in place.
    void set(std::string_view name, std::string value);
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] const NameValues& items() const { return items_; }
    // Appends every output to the GITHUB_OUTPUT file at `path`.
    [[nodiscard]] Result<void> flush(const std::string& path, const RandomSource& random) const;
    // One JSON object of strings, in order, without a trailing newline.
    [[nodiscard]] std::string to_json() const;

private:
    NameValues items_;
};

} // namespace sbdeploy::github
