// Splits a migration file into statements exactly as Supabase CLI 3.1.0 stores them in
// supabase_migrations.schema_migrations.statements, and maps Postgres error positions
// inside a statement back to a line and column in the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::migrations {

struct Statement {
    std::string text;  // exactly as the CLI stores it (leading comments included, trimmed, no final ;)
    int line = 1;      // 1-based line of the file where `text` starts
    int column = 1;    // 1-based column (in characters) where `text` starts
    int end_line = 1;  // line of the last character of `text`
    int code_line = 1; // line of the first token that is not a comment (`line` if there is none)
};

// The CLI's rules: split on `;` outside quotes, comments, dollar quotes, parentheses and
// BEGIN ATOMIC bodies; a UTF-8 BOM is dropped and invalid UTF-8 becomes U+FFFD, as the
// CLI's decoder does. Fails (ErrorKind::input, with line and column) only when the file
// ends inside a quote, dollar quote or comment that Postgres would reject too.
Result<std::vector<Statement>> split_statements(std::string_view sql);

struct SourcePosition {
    int line = 0;
    int column = 0;
};

// Where a Postgres error position (1-based character offset within statement.text, as
// PG_DIAG_STATEMENT_POSITION gives it) is in the file. Positions past the end point
// just after the last character; 0 or less gives the statement's first code line.
SourcePosition position_in_file(const Statement& statement, int position);

} // namespace sbdeploy::migrations
