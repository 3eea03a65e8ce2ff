// supabase/config.toml, the one place it is read (toml++): the seed files of [db.seed]
// sql_paths and the project refs of [remotes.<name>] project_id. A malformed file is a
// config error naming "supabase/config.toml:<line>".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::migrations {

// Where config.toml lives, relative to the project root.
inline constexpr std::string_view kConfigTomlPath = "supabase/config.toml";

struct SupabaseConfig {
    // [db.seed] sql_paths (also written seed.sql_paths under [db], or db.seed.sql_paths); nullopt when absent.
    std::optional<std::vector<std::string>> seed_paths;
    // [remotes.<name>] project_id: name -> project ref; remotes without project_id are left out.
    std::map<std::string, std::string, std::less<>> remote_project_ids;
    // The top-level project_id: the local project's name (not a project ref); "" when absent.
    std::string project_id;
    // [api] schemas: the schemas the project's API exposes (lint's exposed schemas); nullopt when absent.
    std::optional<std::vector<std::string>> api_schemas;
};

// Parses config.toml text; `display` names the file in errors.
Result<SupabaseConfig> parse_supabase_config(std::string_view toml, const std::string& display);

// Reads <workdir>/supabase/config.toml: an empty SupabaseConfig when there is none.
Result<SupabaseConfig> load_supabase_config(const std::string& workdir);

}  // namespace sbdeploy::migrations
