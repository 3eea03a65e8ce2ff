// validate's dry run at any size: one failure reported as one (the dry run stops at the first
// failing file unless --keep-going; the files after it are "not run"), and never more files in
// its one transaction than the server's lock table holds (migrations/lock_budget.hpp): the
// files that fit are dry-run, and the rest end in one error saying so.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "cli/validate_down.hpp"
#include "migrations/apply.hpp"

namespace sbdeploy::cli {

struct SizedDryRun : migrations::DryRunReport {
    // The dry run ended at the server's lock capacity (estimated before, or met: SQLSTATE
    // 53200): the one error to report, naming the files that were dry-run.
    std::optional<Error> capacity;
};

// Reads --keep-going and the server's lock capacity, dry-runs the pending files that fit,
// and lists the rest as Verdict::not_run.
Result<SizedDryRun> dry_run_within_capacity(Context& ctx, db::Session& db,
                                            std::span<const migrations::Migration* const> pending,
                                            const migrations::Settings& settings, migrations::DryRunObserver* observer);

// On a shadow database (--shadow-db-url): the pending files applied there for real, file by
// file (migrations::apply_on_shadow), so no lock capacity applies; --keep-going as above.
Result<SizedDryRun> apply_within_shadow(Context& ctx, db::Session& shadow,
                                        std::span<const migrations::Migration* const> pending,
                                        const migrations::Settings& settings, migrations::DryRunObserver* observer);

// The summary's sentence (plain text) on files not run (after the first failure, or past the
// lock capacity); empty when every file ran.
std::string not_run_note(std::span<const FileVerdict> files, const SizedDryRun& run);

// The closing console line of a dry run that failed: "1 of 10 migrations failed the dry run
// (9 not run after it); nothing was changed", or the lock capacity's.
std::string failed_outcome(std::span<const FileVerdict> files, const SizedDryRun& run);

} // namespace sbdeploy::cli
