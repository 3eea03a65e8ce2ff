// Which values are secrets in this run: tokens, keys and the passwords inside
// database URLs, from the environment and the options. Masked before any output.
#pragma once

#include <string>
#include <vector>

#include "cli/options.hpp"
#include "util/env.hpp"

namespace sbdeploy::cli {

std::vector<std::string> collect_secrets(const util::Environment& env, const Options* options);

} // namespace sbdeploy::cli
