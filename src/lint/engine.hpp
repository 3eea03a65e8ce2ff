// Internal to src/lint: the state of one lint run as the statements of the set are read
// in order (what tables, columns, constraints, policies and functions the migrations
// created so far), and the checks that read and update it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lint/bodies.hpp"
#include "lint/lint.hpp"
#include "lint/tree.hpp"

namespace sbdeploy::lint::detail {

// A place in the set: a statement of a file and a byte offset in its text
// (-1: where the statement's code starts).
struct Place {
    std::size_t file = 0;
    std::size_t statement = 0;
    int offset = -1;
};

// A schema-qualified name as the set resolves it.
struct QName {
    std::string schema;
    std::string name;
    [[nodiscard]] std::string key() const { return schema + "." + name; }
    // "public.notes" in double quotes, for messages.
    [[nodiscard]] std::string quoted() const;
    // As SQL: public.notes, or "My Schema"."Notes" when it needs quotes.
    [[nodiscard]] std::string sql() const;
};

struct TableState {
    QName name;
    bool is_new = false;     // created in a target file earlier in the set
    bool temporary = false;  // CREATE TEMP TABLE: never exposed
    bool rls = false;        // row level security enabled, as the set leaves it
    std::optional<Place> created;   // the CREATE, when in a target file
    std::optional<Place> disabled;  // the last DISABLE ROW LEVEL SECURITY, when in a target file
    std::map<std::string, tree::TypeRef> columns;  // known column types
    std::set<std::string> new_columns;             // added in a target file
    std::set<std::string> not_null_checked;        // columns with a validated CHECK (col IS NOT NULL)
};

struct CheckState {
    std::string table;
    std::string column;  // the column of a CHECK (col IS NOT NULL); "" for other checks
    bool validated = false;
};

struct PolicyState {
    QName table;
    std::string command;  // all, select, insert, update, delete
    bool permissive = true;
    std::vector<std::string> roles;
    bool using_true = false;  // USING (true)
    bool check_true = false;  // WITH CHECK (true)
    std::optional<Place> at;  // the CREATE or ALTER that last set it, when in a target file
};

struct FunctionState {
    QName name;
    bool procedure = false;
    bool definer = false;
    bool fixed_search_path = false;
    std::optional<Place> defined;  // the CREATE or ALTER that made it definer, when in a target file
    RoutineBody body;              // as the set's last CREATE gave it
};

struct RawFinding {
    Rule rule;
    Place place;
    std::string message;
    std::string fix;
    std::optional<Severity> severity;  // the rule's default when empty
};

class Run {
public:
    Run(std::span<const SourceFile> files, const Config& config) : files_(files), config_(config) {}

    // The statement being read.
    void begin_file(std::size_t file);
    void begin_statement(std::size_t statement, int code_offset);
    [[nodiscard]] int code_offset() const { return code_offset_; }
    [[nodiscard]] bool in_target() const { return files_[here_.file].role == Role::target; }
    // A place in the current statement (-1: where its code starts).
    [[nodiscard]] Place place(int offset = -1) const {
        return {here_.file, here_.statement, offset < 0 ? code_offset_ : offset};
    }

    // A finding at `offset` in the current statement (-1: its start); dropped in context files.
    void report(Rule rule, int offset, std::string message, std::string fix);
    // A finding at a place recorded earlier (for what only the whole set decides); a
    // severity other than the rule's default when the case makes it worse or milder.
    void report_at(Rule rule, Place at, std::string message, std::string fix,
                   std::optional<Severity> severity = std::nullopt);
    [[nodiscard]] std::vector<RawFinding> take_findings() { return std::move(findings_); }

    // The table a RangeVar names: its schema, else the first schema on the search path in
    // which the set created such a table, else the first schema on the path.
    [[nodiscard]] QName relation(const tree::Value* range_var) const;
    // The same for a name list, ["notes"] or ["public", "notes"], of a table or a function.
    enum class Kind { table, function };
    [[nodiscard]] QName resolve(const std::vector<std::string>& parts, Kind kind) const;
    [[nodiscard]] bool exposed(const QName& table) const;
    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const std::vector<std::string>& search_path() const { return search_path_; }
    // The text of the statement being read (all of it, leading comments included).
    [[nodiscard]] const std::string& statement_text() const {
        return files_[here_.file].statements[here_.statement].text;
    }
    void set_search_path(std::vector<std::string> path) { search_path_ = std::move(path); }

    // What the set knows of a table (an empty state, marked existing, the first time).
    TableState& table(const QName& name);
    // A table that existed before this set of migrations (not created earlier in a target file).
    [[nodiscard]] bool existing(const QName& name) const;

    std::map<std::string, TableState> tables;
    std::map<std::pair<std::string, std::string>, CheckState> checks;     // (table, constraint)
    std::map<std::pair<std::string, std::string>, PolicyState> policies;  // (table, policy)
    std::map<std::string, FunctionState> functions;  // by name: overloads share one state
    // Constraints added NOT VALID: (table, constraint) -> the file that added them.
    std::map<std::pair<std::string, std::string>, std::size_t> not_valid;

private:
    std::span<const SourceFile> files_;
    const Config& config_;
    Place here_;
    int code_offset_ = 0;
    std::vector<std::string> search_path_;
    std::vector<RawFinding> findings_;
};

// Checks and bookkeeping by statement type; each returns false for a type it does not handle.
bool check_table_statement(Run& run, tree::Node stmt);   // checks_tables.cpp
bool check_access_statement(Run& run, tree::Node stmt);  // checks_access.cpp
// A statement that does not parse: a table it meant to create counts as new, with its row
// level security unknown, so the statements after it report nothing derived from the error.
void unparsed_statement(Run& run, std::string_view code);   // checks_tables.cpp

// Locks of ALTER TABLE on an existing table the checks above leave out (checks_locks.cpp):
// an added column's inline foreign key or rewriting default, a UNIQUE or PRIMARY KEY that
// builds its index under the lock, VALIDATE in the file that added the constraint NOT VALID.
void check_add_column_locks(Run& run, const QName& table, const tree::Value* column_def);
void check_constraint_locks(Run& run, const QName& table, bool existing, const tree::Value* constraint);
void check_validate(Run& run, const QName& table, const std::string& constraint);

// Findings only the whole set decides: row level security, search_path of definer functions.
void finish_access(Run& run);

} // namespace sbdeploy::lint::detail
