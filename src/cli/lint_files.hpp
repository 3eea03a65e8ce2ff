// The files `sbdeploy lint` reads: the migrations folder (its migrations, and the .sql files the
// CLI skips for their name), or the files given on the command line with the folder's other
// migrations as context.
#pragma once

#include <string>
#include <vector>

#include "cli/project.hpp"
#include "lint/lint.hpp"

namespace sbdeploy::cli {

struct LintFolder {
    std::string dir;      // to open
    std::string display;  // for messages
    std::string root;     // the project (--workdir): links in the folder may not leave it
};

// The migrations folder as load_project finds it.
Result<LintFolder> lint_folder(const Context& ctx);

// The folder's migrations, split but not checked further (lint reports what push refuses).
struct LintLoaded {
    Project project;
    std::vector<lint::SourceFile> sources;    // parallel to project.migrations
    std::vector<lint::SourceFile> unmatched;  // .sql files the CLI skips for their name
};
Result<LintLoaded> load_folder(Context& ctx, const LintFolder& folder);

// Explicit files: targets; the folder's other migrations (when there is a folder): context.
Result<std::vector<lint::SourceFile>> given_files(Context& ctx, const LintFolder& folder);

} // namespace sbdeploy::cli
