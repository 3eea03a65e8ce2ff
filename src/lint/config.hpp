// The project's lint settings, supabase/sbdeploy.toml's [lint] table (toml++): rule levels,
// the exposed schemas, and the tables whose always-true policies are meant to be public.
// A malformed file is a config error naming "supabase/sbdeploy.toml:<line>".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lint/lint.hpp"
#include "util/error.hpp"

namespace sbdeploy::lint {

// Beside supabase/config.toml, relative to the project root.
inline constexpr std::string_view kProjectConfigPath = "supabase/sbdeploy.toml";

struct ProjectConfig {
    std::optional<std::vector<std::string>> exposed_schemas;  // [lint] exposed_schemas
    std::map<Rule, Level> levels;                             // [lint.rules] <rule id> = "error" | "warning" | "off"
    // [lint.public_policies] "<schema.table>" = ["insert", ...]; a table without a schema is in public.
    std::map<std::string, std::vector<std::string>> public_policies;
};

Result<ProjectConfig> parse_project_config(std::string_view toml, const std::string& display);

// Reads <workdir>/supabase/sbdeploy.toml: an empty ProjectConfig when there is none.
Result<ProjectConfig> load_project_config(const std::string& workdir);

// The project's settings on top of `config`: levels (off disables the rule), public policies,
// and the exposed schemas when the file gives them.
void apply_project_config(const ProjectConfig& project, Config& config);

}  // namespace sbdeploy::lint
