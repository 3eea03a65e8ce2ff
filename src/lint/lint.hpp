// The migration safety linter: a set of migration files, split as the Supabase CLI splits
// them and parsed by PostgreSQL's parser (libpg_query), checked against the rule table in
// lint/rules.hpp. Findings are values; nothing here prints or touches a database.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lint/rules.hpp"
#include "migrations/split.hpp"
#include "util/error.hpp"

namespace sbdeploy::lint {

// target: findings are reported; context: read only for what the set as a whole
// establishes (a table's row level security, a function's search_path).
enum class Role { target, context };

struct SourceFile {
    std::string display;  // the file in findings
    std::vector<migrations::Statement> statements;
    std::optional<Error> split_error;  // the file could not be split: one parse-error finding
    Role role = Role::target;
};

// Splits `text` (the file's bytes) into a SourceFile.
SourceFile source_file(std::string display, std::string_view text, Role role);

struct Finding {
    Rule rule = Rule::parse_error;
    Severity severity = Severity::error;
    std::string file;
    int line = 0;    // 1-based
    int column = 0;  // 1-based, in characters
    std::string message;
    std::string fix;  // one line
};

struct Config {
    RuleSet rules;                                  // from rule_set(); all on by default
    std::vector<std::string> exposed_schemas{"public"};
};
Config default_config();

// Lints `files` as one set, in their order (the order they are applied). A table created
// in an earlier target file is new: changing it locks nothing anyone uses. Findings of the
// target files only, ordered by file, line, column; `-- sbdeploy-lint-ignore: <rule>` on
// the line(s) just above a statement drops that statement's findings of <rule>.
std::vector<Finding> lint(std::span<const SourceFile> files, const Config& config);

} // namespace sbdeploy::lint
