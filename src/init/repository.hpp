// What `sbdeploy init` learns from a repository before writing its workflows: the git root and
// where the Supabase project sits in it, which production and staging branches exist (main or
// master, staging or develop; local or on origin), the GitHub repository of the origin remote,
// and supabase/config.toml's project_id and [remotes.<env>] project refs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::init {

using ProcessEnv = std::map<std::string, std::string, std::less<>>;

struct RepositoryFacts {
    std::string root;               // the git top-level (the workdir outside a git repository)
    std::string project_dir;        // the workdir below root: "" or "backend"
    bool is_git = false;
    std::vector<std::string> branches;  // local and origin branch names, sorted, once each
    std::string production_branch;  // main or master ("main" when neither exists)
    std::string staging_branch;     // staging or develop ("staging" when neither exists)
    std::string github_repository;  // owner/name of the origin remote on GitHub, or ""
    std::string project_id;         // config.toml's top-level project_id, or ""
    std::map<std::string, std::string, std::less<>> remote_project_ids;  // [remotes.<env>] project_id
};

// The first of `candidates` that is in `branches`, else the first candidate.
std::string pick_branch(const std::vector<std::string>& branches, std::initializer_list<std::string_view> candidates);

// owner/name from a GitHub remote URL (https://github.com/o/n.git, git@github.com:o/n.git,
// ssh://git@github.com/o/n), or nothing for any other URL.
std::optional<std::string> github_repository_of(std::string_view remote_url);

// Reads the repository around `workdir` with git (`env` is git's whole environment).
Result<RepositoryFacts> read_repository(const std::string& workdir, const ProcessEnv& env);

} // namespace sbdeploy::init
