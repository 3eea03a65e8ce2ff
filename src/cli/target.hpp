// The target of a command: the environment the run maps to and its connection (a libpq URL or
// a Supabase project ref), resolved from flags, variables and supabase/config.toml
// (src/cli/resolve.cpp), and the session opened on it.
#pragma once

#include <memory>
#include <string>

#include "cli/cli.hpp"
#include "db/session.hpp"
#include "github/runner.hpp"
#include "policy/mapping.hpp"

namespace sbdeploy::cli {

struct Target {
    std::string environment;  // "staging", "production", ... or "" when not resolved
    std::string reason;       // why this environment (the mapping's reason)
    policy::Action action = policy::Action::none;  // what the mapping decided (push, validate, none)
    github::RunFacts facts;   // the run (empty without an event)
    std::string url;
    std::string url_source;  // "--db-url" or the variable it came from
    std::string project_ref;         // a Supabase project ref (Management API), when the target is one
    std::string project_ref_source;  // "--project-ref" or the variable it came from
    bool nothing_to_do = false;  // the run maps to no environment: exit 0 with a notice
    // A fork pull request without the target's secrets (withheld from forks by design):
    // validate runs its offline checks. `offline_reason` names what is missing.
    bool offline = false;
    std::string offline_reason;
};

// Whether a missing target on a fork pull request is an error (every command but validate).
enum class MissingOnFork { error, offline };

// The environment (--environment, else the branch mapping of --environments and
// --validate-against) and its connection: --db-url given as a flag, else
// SBDEPLOY_<ENV>_DB_URL, else SBDEPLOY_<ENV>_PROJECT_REF (with SUPABASE_ACCESS_TOKEN), else
// SBDEPLOY_DB_URL, else SBDEPLOY_PROJECT_REF, else [remotes.<env>] project_id of
// supabase/config.toml. A missing target names the variable to set (exit 2).
// Defined in src/cli/resolve.cpp.
Result<Target> resolve_target(Context& ctx, MissingOnFork on_fork = MissingOnFork::error);

// The environment and the mapping decision only, without a connection (verify's health
// checks need none). Defined in src/cli/resolve.cpp.
Result<Target> resolve_environment(Context& ctx);

// The target of another environment (the promotion gate's source): only its own variables
// (SBDEPLOY_<ENV>_DB_URL, SBDEPLOY_<ENV>_PROJECT_REF, then config.toml's [remotes.<env>]
// project_id), never the run's --db-url.
Result<Target> environment_target(Context& ctx, const std::string& environment, const std::string& why);

// The metrics database (in `environment`, production): --db-url, --project-ref (flags, then
// SBDEPLOY_DB_URL, SBDEPLOY_PROJECT_REF), then the environment's own variables, then
// config.toml's [remotes.<environment>] project_id.
Result<Target> metrics_target(Context& ctx, const std::string& environment, const std::string& why);

Result<std::unique_ptr<db::Session>> connect_target(Context& ctx, const Target& target);

} // namespace sbdeploy::cli
