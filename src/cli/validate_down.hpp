// validate's dry run as it is reported, with each file's down check (migrations/down_check.hpp):
// the console lines, the summary's table, the errors and annotations, the `verdicts` output.
// A file fails at one step: up (the file), down (its down SQL errs or leaves the catalog
// different from before the file) or up-again (the file cannot run again after its down SQL).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "migrations/down_check.hpp"

namespace sbdeploy::cli {

// The down check of this run; null with --no-down-check, or over the Management API, whose
// requests cannot hold the dry run's transaction between the steps (a notice says so).
std::unique_ptr<migrations::DownChecker> make_down_checker(Context& ctx, const db::Session& db,
                                                           const migrations::Settings& settings);

struct FileVerdict {
    const migrations::DryRun* run = nullptr;
    migrations::DownCheck down;
    bool checked = false;  // the down check was on
    // A failure after an earlier file's failure (--keep-going): possibly only its consequence.
    const migrations::Migration* after_failure_of = nullptr;
    [[nodiscard]] bool failed() const;
    [[nodiscard]] migrations::DryRunStep step() const;  // the failed step
};

std::vector<FileVerdict> file_verdicts(const migrations::DryRunReport& report, const migrations::DownChecker* checker);

struct Tally {
    std::size_t failed = 0, skipped = 0, without_down = 0, down_passed = 0, not_run = 0;
    std::string table;      // the summary's Markdown table (github::md, escaped; long ones collapsed)
    std::string down_line;  // "2 of 3 pending migrations have no down SQL ...", or empty
};

// One console line per file ("ok", "skipped", "FAILED", "not run"), and the tally.
Tally report_files(Context& ctx, std::span<const FileVerdict> files);
// The errors, with annotations: the migration's line (up, up-again), the down SQL's line
// (a failed statement of it), or one per object its down SQL does not restore. Returns the
// hints printed (each once), for the step summary.
std::vector<std::string> report_errors(Context& ctx, std::span<const FileVerdict> files);
// The `verdicts` output: JSON array of {version, file, verdict, step, down, down_file, line,
// message, sqlstate, differences, possibly_consequential}; verdict "not run" for the files
// after the dry run stopped.
std::string verdicts_json(std::span<const FileVerdict> files, const github::Console& console);

}  // namespace sbdeploy::cli
