// Workflow commands (::error::, ::add-mask::, ...) formatted and escaped exactly as
// @actions/core does, so that what the runner reads is what we meant.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbdeploy::github {

// Message data: % \r \n escaped.
std::string escape_data(std::string_view s);
// Property values: % \r \n : , escaped.
std::string escape_property(std::string_view s);

// "::name key=value,key=value::message" with empty properties left out.
std::string format_command(std::string_view name, const std::vector<std::pair<std::string, std::string>>& properties,
                           std::string_view message);

} // namespace sbdeploy::github
