// A migration as sbdeploy runs it: one file read, checked, split into statements and
// classified (its transaction plan), with its down SQL. Config errors (exit 2) name the file
// and line.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "migrations/classify.hpp"
#include "migrations/files.hpp"
#include "migrations/plan.hpp"
#include "migrations/split.hpp"

namespace sbdeploy::migrations {

struct Migration {
    MigrationFile file;
    std::vector<Statement> statements;
    FilePlan plan;
    std::shared_ptr<const Migration> down;  // its down SQL (migrations/down.hpp); null when none
    [[nodiscard]] std::vector<std::string> texts() const;
};

// Reads, splits and classifies one file, and its down SQL: the file's `-- sbdeploy:down`
// section is not part of the migration. Config errors (exit 2) name the file and line.
Result<Migration> load_migration(const MigrationFile& file);

// Splits and classifies `sql` as the content of `file` (no down section, no down file).
// Splits::parts lets it commit in the middle (FileMode::parts), as migrations may.
Result<Migration> parse_migration(const MigrationFile& file, std::string_view sql, Splits splits = Splits::refused);

} // namespace sbdeploy::migrations
