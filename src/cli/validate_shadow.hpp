// validate's protections of shared databases: the shadow database (--shadow-db-url) the dry run
// runs on instead of the target, the refusal to run a fork's SQL on a target, and the limits
// on server error texts in what validate reports (--redact-errors).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cli/project.hpp"
#include "cli/validate_down.hpp"
#include "db/history.hpp"

namespace sbdeploy::cli {

// The shadow database, prepared: the Supabase bootstrap (src/shadow/bootstrap.sql), then every
// migration already applied on the target, pushed for real with push's own code.
struct Shadow {
    std::unique_ptr<db::Session> session;
    // The target's history (read with one SELECT) when the target was given: the plan is made
    // against it, so the verdicts are those of a dry run on the target. Else (no target access:
    // a fork) nothing, and the plan is made against the shadow's history: the base branch's files.
    std::optional<std::vector<db::HistoryRow>> target_history;
    std::string label;  // "shadow database (host:port/db as user)"
};

// Without --shadow-db-url: nothing. A shadow that is not empty (a table or function in public,
// or a recorded migration) is refused (exit 2): it may be a shared database given by mistake.
Result<std::optional<Shadow>> prepare_shadow(Context& ctx, const Project& project, const Target& target);

// A pull_request_target run from a fork (the target's secret is there) and no shadow database:
// the refusal (exit 1), unless --allow-untrusted-sql. A fork's pull_request run that has the
// secret (the repository sends secrets to forks) runs with a warning.
std::optional<Error> untrusted_sql_refusal(Context& ctx, const Target& target, bool shadow);

// The errors of a dry run as validate reports them: every server text capped in length, and,
// with --redact-errors (default: on for pull requests into production's branch), none of
// the server's text at all: SQLSTATE, file and line only.
void limit_errors(Context& ctx, const Target& target, migrations::DryRunReport& results,
                  std::vector<FileVerdict>& files);

} // namespace sbdeploy::cli
