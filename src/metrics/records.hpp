// The rows sbdeploy records in the metrics schema, one struct per table, and the tables
// themselves (columns, SQL types, unique key) as the writers see them. Empty texts and
// absent numbers are NULL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::metrics {

struct PrEvent {
    std::string repository;
    long pr_number = 0;
    std::string event_type;  // opened, reopened, ready_for_review, closed, merged
    std::int64_t event_timestamp = 0;
    std::string title;
    std::string branch;       // head
    std::string base_branch;  // base
    std::string author;
    std::optional<std::int64_t> pr_created_at;
    std::optional<std::int64_t> cycle_time_seconds;  // merged: created -> merged
    std::string run_id;
};

struct DeploymentEvent {
    std::string repository;
    std::string environment;
    std::string status;  // success, failure
    std::int64_t deployed_at = 0;
    std::string source;     // sbdeploy, deployment_status, workflow_run
    std::string source_id;  // unique within the source
    std::string commit_sha;
    std::string ref;
    std::optional<long> migrations_applied;
    std::optional<double> duration_seconds;
    std::optional<std::int64_t> lead_time_seconds;
    std::string run_id;
};

struct TestRun {
    std::string repository;
    std::string run_id;
    long run_attempt = 1;
    std::string test_type;
    std::string source;  // the report file
    std::int64_t run_timestamp = 0;
    long total = 0;
    long passed = 0;
    long failed = 0;
    long skipped = 0;
    std::optional<double> execution_time_seconds;
    std::string branch;
    std::string commit_sha;
};

enum class Compliance { compliant, violation };

struct RuleEvent {
    std::string repository;
    std::string rule_name;      // branch-naming, conventional-title, pr-base, conventional-commit
    std::string rule_category;  // branching, commits, promotion
    Compliance status = Compliance::compliant;
    std::string context_type;  // pull_request, commit
    std::string context_id;    // PR number, commit SHA
    std::string subject;       // what was checked: branch name, title, commit subject
    std::string details;       // why, for a violation
    std::int64_t event_timestamp = 0;
    std::string run_id;
};

struct Records {
    std::vector<PrEvent> prs;
    std::vector<DeploymentEvent> deployments;
    std::vector<TestRun> tests;
    std::vector<RuleEvent> rules;

    [[nodiscard]] std::size_t size() const { return prs.size() + deployments.size() + tests.size() + rules.size(); }
    [[nodiscard]] bool empty() const { return size() == 0; }
    void append(Records&& other);
    void clear();  // keeps the vectors' capacity
};

// A table as the writers see it.
enum class ColumnType { text, integer, bigint, numeric, timestamptz };
std::string_view sql_type(ColumnType type);

struct Column {
    std::string_view name;
    ColumnType type;
};

struct Table {
    std::string_view name;  // within the metrics schema
    std::span<const Column> columns;
    std::span<const std::string_view> key;  // the unique key that makes re-recording a no-op
};

const Table& pr_events_table();
const Table& deployment_events_table();
const Table& test_runs_table();
const Table& rule_compliance_events_table();

// Rows of one table, cells row by row, texts as the database reads them.
struct TableRows {
    const Table* table = nullptr;
    std::vector<db::Value> cells;
    [[nodiscard]] std::size_t rows() const {
        return table == nullptr || table->columns.empty() ? 0 : cells.size() / table->columns.size();
    }
};

TableRows to_rows(std::span<const PrEvent> events);
TableRows to_rows(std::span<const DeploymentEvent> events);
TableRows to_rows(std::span<const TestRun> runs);
TableRows to_rows(std::span<const RuleEvent> events);

// Text as the database stores it: NUL characters (which Postgres text cannot hold) become
// U+FFFD; an empty text is NULL.
db::Value text_value(std::string_view text);
// Seconds with up to three decimals, "12.5".
std::string decimal_text(double value);

} // namespace sbdeploy::metrics
