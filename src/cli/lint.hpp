// The lint checks as `sbdeploy lint` and `validate` run them: reads --lint-disable,
// --lint-fail-on and --lint-exposed-schemas, lints, prints the findings (lines in a
// terminal, annotations under Actions) and returns what the caller puts in its report.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/project.hpp"
#include "lint/lint.hpp"

namespace sbdeploy::cli {

enum class LintScope { pending, all, files };
std::string_view scope_name(LintScope scope);

struct LintChecks {
    std::vector<lint::Finding> findings;
    std::vector<std::string> files;  // the files linted (targets)
    std::size_t errors = 0;
    std::size_t warnings = 0;
    bool failed = false;   // a finding at or above --lint-fail-on
    std::string body;      // Markdown: the verdict and the findings table (errors first)
    std::string summary;   // Markdown for validate's step summary: "#### Lint: <scope>" and the body
    std::string json;      // {"scope","files","errors","warnings","failed","findings"}
};

// Lints `targets` (migrations of `project`) with every other migration of the project as
// context, and prints the findings. `scope` and `why` (may be empty) go into the first
// line: "Linting the 2 pending migrations (why)". Errors: bad --lint-* values (usage).
Result<LintChecks> run_lint_checks(Context& ctx, const Project& project,
                                   std::span<const migrations::Migration* const> targets, LintScope scope,
                                   std::string_view why = {});
// The same without a second copy of every statement (validate at thousands of files): each
// migration's statements are lent to the lint and given back before it returns.
Result<LintChecks> run_lint_checks(Context& ctx, Project& project,
                                   std::span<const migrations::Migration* const> targets, LintScope scope,
                                   std::string_view why = {});

} // namespace sbdeploy::cli
