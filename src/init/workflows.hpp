// The workflows of the seeds' release process that `sbdeploy init` writes, from the one set of
// templates in workflows.cpp: pull requests and merge queues validated (the required check),
// pushes to staging and to production deployed behind GitHub `environment:` protection, each
// verified and checked for anything left pending, production's deployment recorded as metrics;
// and what a team must then set up by hand: secrets per scope and the required status checks.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::init {

// The job id of the validate workflow: the check name branch protection requires.
inline constexpr std::string_view kRequiredCheck = "validate-migrations";
// The expectations verify checks after each push, relative to the project folder.
inline constexpr std::string_view kExpectFile = "supabase/verify.txt";

struct WorkflowSettings {
    std::string actions = "org/sbdeploy";  // owner/name of the repository holding the actions
    std::string ref = "v1";                 // the ref they are used at
    std::string production_branch = "main";
    std::string staging_branch = "staging";
    std::string project_dir;  // the project below the repository root ("" or "backend")
    // Environments reached through the Management API (config.toml's [remotes.<env>]
    // project_id) rather than a database URL secret.
    std::set<std::string, std::less<>> api_environments;
};

struct GeneratedFile {
    std::string path;  // relative to the repository root
    std::string content;
};

// The workflow files, in the order the process runs them.
std::vector<GeneratedFile> release_workflows(const WorkflowSettings& s);

// The starting expectations for verify (the history schema, and how to add objects).
GeneratedFile expect_file(const WorkflowSettings& s);

struct SecretScope {
    std::string scope;    // "environment staging", "repository"
    std::string used_by;  // the workflows whose jobs read them
    std::vector<std::string> names;
};

// The secrets the workflows read, per GitHub environment (and the repository's own, for the
// jobs without an environment). Names only.
std::vector<SecretScope> required_secrets(const WorkflowSettings& s);

// The branches whose protection requires kRequiredCheck: staging's and production's.
std::vector<std::string> protected_branches(const WorkflowSettings& s);

} // namespace sbdeploy::init
