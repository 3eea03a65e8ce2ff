#include "metrics/records.hpp"

#include <cmath>
#include <cstdio>
#include <iterator>

#include "metrics/time.hpp"

namespace sbdeploy::metrics {

namespace {

constexpr Column kPrColumns[] = {
    {"repository", ColumnType::text},
    {"pr_number", ColumnType::integer},
    {"event_type", ColumnType::text},
    {"event_timestamp", ColumnType::timestamptz},
    {"pr_title", ColumnType::text},
    {"branch_name", ColumnType::text},
    {"base_branch", ColumnType::text},
    {"author", ColumnType::text},
    {"pr_created_at", ColumnType::timestamptz},
    {"cycle_time_seconds", ColumnType::bigint},
    {"run_id", ColumnType::text},
};
constexpr std::string_view kPrKey[] = {"repository", "pr_number", "event_type", "event_timestamp"};

constexpr Column kDeploymentColumns[] = {
    {"repository", ColumnType::text},
    {"environment", ColumnType::text},
    {"status", ColumnType::text},
    {"deployed_at", ColumnType::timestamptz},
    {"source", ColumnType::text},
    {"source_id", ColumnType::text},
    {"commit_sha", ColumnType::text},
    {"ref", ColumnType::text},
    {"migrations_applied", ColumnType::integer},
    {"duration_seconds", ColumnType::numeric},
    {"lead_time_seconds", ColumnType::bigint},
    {"run_id", ColumnType::text},
};
constexpr std::string_view kDeploymentKey[] = {"repository", "source", "source_id"};

constexpr Column kTestColumns[] = {
    {"repository", ColumnType::text},
    {"run_id", ColumnType::text},
    {"run_attempt", ColumnType::integer},
    {"test_type", ColumnType::text},
    {"source", ColumnType::text},
    {"run_timestamp", ColumnType::timestamptz},
    {"total_tests", ColumnType::integer},
    {"passed_tests", ColumnType::integer},
    {"failed_tests", ColumnType::integer},
    {"skipped_tests", ColumnType::integer},
    {"execution_time_seconds", ColumnType::numeric},
    {"branch_name", ColumnType::text},
    {"commit_sha", ColumnType::text},
};
constexpr std::string_view kTestKey[] = {"repository", "run_id", "run_attempt", "test_type", "source"};

constexpr Column kRuleColumns[] = {
    {"repository", ColumnType::text},
    {"rule_name", ColumnType::text},
    {"rule_category", ColumnType::text},
    {"compliance_status", ColumnType::text},
    {"context_type", ColumnType::text},
    {"context_id", ColumnType::text},
    {"subject", ColumnType::text},
    {"details", ColumnType::text},
    {"event_timestamp", ColumnType::timestamptz},
    {"run_id", ColumnType::text},
};
constexpr std::string_view kRuleKey[] = {"repository", "rule_name", "context_type", "context_id", "subject"};

constexpr Table kPrTable{"pr_events", kPrColumns, kPrKey};
constexpr Table kDeploymentTable{"deployment_events", kDeploymentColumns, kDeploymentKey};
constexpr Table kTestTable{"test_runs", kTestColumns, kTestKey};
constexpr Table kRuleTable{"rule_compliance_events", kRuleColumns, kRuleKey};

db::Value number(std::optional<std::int64_t> v) { return v ? db::Value(std::to_string(*v)) : std::nullopt; }
db::Value number(std::optional<double> v) { return v ? db::Value(decimal_text(*v)) : std::nullopt; }
db::Value time_value(std::optional<std::int64_t> t) { return t ? db::Value(format_time(*t)) : std::nullopt; }
// Key columns are NOT NULL: an empty text stays "" there.
db::Value key_text(std::string_view text) {
    auto v = text_value(text);
    return v ? v : db::Value(std::string());
}

} // namespace

void Records::append(Records&& o) {
    auto move_all = [](auto& to, auto& from) {
        to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    };
    move_all(prs, o.prs);
    move_all(deployments, o.deployments);
    move_all(tests, o.tests);
    move_all(rules, o.rules);
}

void Records::clear() {
    prs.clear();
    deployments.clear();
    tests.clear();
    rules.clear();
}

std::string_view sql_type(ColumnType type) {
    switch (type) {
    case ColumnType::text: return "text";
    case ColumnType::integer: return "integer";
    case ColumnType::bigint: return "bigint";
    case ColumnType::numeric: return "numeric";
    case ColumnType::timestamptz: return "timestamptz";
    }
    return "text";
}

const Table& pr_events_table() { return kPrTable; }
const Table& deployment_events_table() { return kDeploymentTable; }
const Table& test_runs_table() { return kTestTable; }
const Table& rule_compliance_events_table() { return kRuleTable; }

db::Value text_value(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text.find('\0') == std::string_view::npos) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        if (c == '\0')
            out += "\xEF\xBF\xBD";
        else
            out += c;
    }
    return out;
}

std::string decimal_text(double value) {
    if (!std::isfinite(value)) return "0";
    char buf[64];
    auto n = std::snprintf(buf, sizeof buf, "%.3f", value);
    std::string s(buf, static_cast<std::size_t>(n));
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

TableRows to_rows(std::span<const PrEvent> events) {
    TableRows t{&kPrTable, {}};
    t.cells.reserve(events.size() * std::size(kPrColumns));
    for (const auto& e : events) {
        t.cells.push_back(key_text(e.repository));
        t.cells.push_back(std::to_string(e.pr_number));
        t.cells.push_back(key_text(e.event_type));
        t.cells.push_back(format_time(e.event_timestamp));
        t.cells.push_back(text_value(e.title));
        t.cells.push_back(text_value(e.branch));
        t.cells.push_back(text_value(e.base_branch));
        t.cells.push_back(text_value(e.author));
        t.cells.push_back(time_value(e.pr_created_at));
        t.cells.push_back(number(e.cycle_time_seconds));
        t.cells.push_back(text_value(e.run_id));
    }
    return t;
}

TableRows to_rows(std::span<const DeploymentEvent> events) {
    TableRows t{&kDeploymentTable, {}};
    t.cells.reserve(events.size() * std::size(kDeploymentColumns));
    for (const auto& e : events) {
        t.cells.push_back(key_text(e.repository));
        t.cells.push_back(key_text(e.environment));
        t.cells.push_back(key_text(e.status));
        t.cells.push_back(format_time(e.deployed_at));
        t.cells.push_back(key_text(e.source));
        t.cells.push_back(key_text(e.source_id));
        t.cells.push_back(text_value(e.commit_sha));
        t.cells.push_back(text_value(e.ref));
        t.cells.push_back(e.migrations_applied ? db::Value(std::to_string(*e.migrations_applied)) : std::nullopt);
        t.cells.push_back(number(e.duration_seconds));
        t.cells.push_back(number(e.lead_time_seconds));
        t.cells.push_back(text_value(e.run_id));
    }
    return t;
}

TableRows to_rows(std::span<const TestRun> runs) {
    TableRows t{&kTestTable, {}};
    t.cells.reserve(runs.size() * std::size(kTestColumns));
    for (const auto& r : runs) {
        t.cells.push_back(key_text(r.repository));
        t.cells.push_back(key_text(r.run_id));
        t.cells.push_back(std::to_string(r.run_attempt));
        t.cells.push_back(key_text(r.test_type));
        t.cells.push_back(key_text(r.source));
        t.cells.push_back(format_time(r.run_timestamp));
        t.cells.push_back(std::to_string(r.total));
        t.cells.push_back(std::to_string(r.passed));
        t.cells.push_back(std::to_string(r.failed));
        t.cells.push_back(std::to_string(r.skipped));
        t.cells.push_back(number(r.execution_time_seconds));
        t.cells.push_back(text_value(r.branch));
        t.cells.push_back(text_value(r.commit_sha));
    }
    return t;
}

TableRows to_rows(std::span<const RuleEvent> events) {
    TableRows t{&kRuleTable, {}};
    t.cells.reserve(events.size() * std::size(kRuleColumns));
    for (const auto& e : events) {
        t.cells.push_back(key_text(e.repository));
        t.cells.push_back(key_text(e.rule_name));
        t.cells.push_back(key_text(e.rule_category));
        t.cells.push_back(std::string(e.status == Compliance::compliant ? "compliant" : "violation"));
        t.cells.push_back(key_text(e.context_type));
        t.cells.push_back(key_text(e.context_id));
        t.cells.push_back(key_text(e.subject));
        t.cells.push_back(text_value(e.details));
        t.cells.push_back(format_time(e.event_timestamp));
        t.cells.push_back(text_value(e.run_id));
    }
    return t;
}

} // namespace sbdeploy::metrics
