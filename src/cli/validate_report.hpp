// validate's step summary (issue 24): the outcome line first ("✅ **validate against staging**:
// 3 files passed", "❌ **validate against staging**: 1 of 3 failed — `x.sql` line 4"), then
// what failed, what never ran, that nothing was changed, and the console's hints; and the
// summary of a refusal before any dry run (an unmatched file, a plan problem).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/lint.hpp"
#include "cli/project.hpp"
#include "cli/validate_size.hpp"

namespace sbdeploy::cli {

// "validate against staging"; "validate" when no environment was resolved.
std::string validate_title(const Target& target);

// "hint: <hint>" escaped, or "" for no hint.
std::string hint_line(std::string_view hint);

// validate refused before the dry run (a plan problem): `e` on the console, its message as the
// headline's detail, its hint in the summary (the command that fixes it), valid=false, exit 1.
int validate_refused(Context& ctx, Report& rep, const Target& target, const Error& e);

// Unmatched files (the CLI would never apply them): an error each, a table, exit 1.
int unmatched_refused(Context& ctx, const Project& project, const Target& target);

// The dry run's verdict in the report: headline, the table, the notes, the lint section, and
// the `hints` the console printed with the errors.
struct DryRunView {
    std::span<const FileVerdict> files;
    const SizedDryRun& run;
    const Tally& tally;
    const LintChecks& lint;
    std::vector<std::string> hints;
    bool shadow = false;  // applied on a shadow database, not rolled back
};
void summarise_dry_run(Report& rep, const Target& target, const DryRunView& view);

} // namespace sbdeploy::cli
