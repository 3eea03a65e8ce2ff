// Seed 001's metrics tables for the adoption tests: its DDL (tests/fixtures/seed001/ddl.sql)
// in `metrics` or another schema, its phase statements run over data-1.sql, and two rows of
// its dashboard aggregates.
#pragma once

#include "integration/metrics_support.hpp"

namespace sbdeploy::test::seed001 {

using namespace sbdeploy::test::metrics_support;

inline std::string fixture(const std::string& name) {
    std::string text = read_all(std::string(SBDEPLOY_SOURCE_DIR) + "/tests/fixtures/seed001/" + name);
    REQUIRE_MESSAGE(!text.empty(), "missing fixture tests/fixtures/seed001/" << name);
    return text;
}

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

// The seed's database: its DDL (in `schema`) and its phases run over data-1.sql.
inline std::string seed_database(const std::string& prefix, const std::string& schema) {
    ensure_supabase_roles();
    const std::string url = fresh_database(prefix);
    std::string ddl = fixture("ddl.sql"), phases = fixture("phases.sql");
    if (schema != "metrics") {
        ddl = replace_all(replace_all(ddl, "CREATE SCHEMA IF NOT EXISTS metrics;", ""), "metrics.", schema + ".");
        phases = replace_all(phases, "metrics.", schema + ".");
    }
    query_column(url, ddl);
    query_column(url, fixture("data-1.sql") + phases);
    // The seed's dashboard figures, one row a metric and day.
    query_column(url, "insert into " + schema +
                          ".development_metrics (metric_date, metric_type, metric_value) values"
                          " ('2025-11-17', 'pr_cycle_time_median', 14400), ('2025-11-17', 'test_pass_rate_avg', 72.5)");
    return url;
}

} // namespace sbdeploy::test::seed001
