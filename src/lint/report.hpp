// Findings as text: one compiler-style line each for a terminal, a JSON array for --json
// and outputs, and a Markdown table for the step summary.
#pragma once

#include <span>
#include <string>

#include "lint/lint.hpp"

namespace sbdeploy::lint {

struct Counts {
    std::size_t errors = 0;
    std::size_t warnings = 0;
};
Counts count(std::span<const Finding> findings);

// "supabase/migrations/x.sql:3:1: error: <message> [rls-missing]"
std::string text_line(const Finding& f);

// [{"rule","severity","file","line","column","message","fix"}, ...]
std::string findings_json(std::span<const Finding> findings);

// "| Finding | Where | Problem | Fix |": errors first, then warnings; the rule and severity in
// one cell, the file by its name (the full path a tooltip), so the table fits 1,000 px; every
// cell escaped (github::md). Past `limit` rows: a total line and the table collapsed.
std::string summary_table(std::span<const Finding> findings, std::size_t limit = 20);

// "1 error, 2 warnings" / "no findings"
std::string describe_counts(Counts c);

} // namespace sbdeploy::lint
