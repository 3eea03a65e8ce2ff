// The migration safety linter: a set of migration files, split as the Supabase CLI splits
// them and parsed by PostgreSQL's parser (libpg_query), checked against the rule table in
// lint/rules.hpp. Findings are values; nothing here prints or touches a database.
#pragma once

#include <map>
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

// A finding about the file itself (its name), reported on its first line.
struct FileFinding {
    Rule rule;
    std::string message;
    std::string fix;
};

struct SourceFile {
    std::string display;  // the file in findings
    std::vector<migrations::Statement> statements;
    std::optional<Error> split_error;  // the file could not be split: one parse-error finding
    Role role = Role::target;
    std::vector<FileFinding> file_findings;
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
    // Rule levels of the project (sbdeploy.toml [lint.rules]): every finding of the rule at
    // this severity, whatever the rule would have chosen; Level::off is set in `rules`.
    std::map<Rule, Severity> severity;
    // Tables whose always-true policies are meant (sbdeploy.toml [lint.public_policies]):
    // "schema.table" -> the commands ("insert", ..., "all": any) not reported.
    std::map<std::string, std::vector<std::string>> public_policies;
};
Config default_config();

// The files of a migrations folder, by the names the Supabase CLI reads: a name that is not
// <version>_<name>.sql (file-name) and a version used twice (duplicate-version, on the later
// file) become file findings; the files are linted all the same.
void check_file_names(std::span<SourceFile> files);

// Lints `files` as one set, in their order (the order they are applied). A table created
// in an earlier target file is new: changing it locks nothing anyone uses. Findings of the
// target files only, ordered by file, line, column; `-- sbdeploy-lint-ignore: <rule>` on
// the line(s) just above a statement drops that statement's findings of <rule>.
std::vector<Finding> lint(std::span<const SourceFile> files, const Config& config);

} // namespace sbdeploy::lint
