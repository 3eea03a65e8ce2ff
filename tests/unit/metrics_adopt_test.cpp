// The adoption plan for existing metrics tables without a database: which CHECK constraints
// are vocabulary lists, and the plan for a catalog that is complete, seed-shaped, or
// unadoptable; default thresholds.
#include <doctest/doctest.h>

#include "metrics/adopt.hpp"
#include "metrics/report.hpp"

using namespace sbdeploy::metrics;

TEST_CASE("metrics adopt: CHECK definitions that are lists of values, as pg_get_constraintdef writes them") {
    struct Case {
        const char* definition;
        const char* column;
        bool list;
        std::vector<std::string> values;
    };
    const Case cases[] = {
        {"CHECK ((event_type = ANY (ARRAY['created'::text, 'merged'::text])))",
         "event_type",
         true,
         {"created", "merged"}},
        {"CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'b''c'::character varying])::text[])))",
         "status",
         true,
         {"a", "b'c"}},
        {"CHECK (((test_type IS NULL) OR (test_type = ANY (ARRAY['unit'::text, 'e2e'::text]))))",
         "test_type",
         true,
         {"unit", "e2e"}},
        {"CHECK ((kind = 'x'::text))", "kind", true, {"x"}},
        {"CHECK ((cycle_time_seconds >= 0))", "cycle_time_seconds", false, {}},
        {"CHECK (((event_type = ANY (ARRAY['a'::text])) AND (length(event_type) < 9)))", "event_type", false, {"a"}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.definition);
        std::vector<std::string> values;
        CHECK(enum_check_values(c.definition, c.column, values) == c.list);
        if (c.list) CHECK(values == c.values);
    }
}

namespace {

Catalog seed_pr_events(const std::string& schema) {
    Catalog cat;
    cat.tables = {schema + ".pr_events"};
    for (auto [name, type, category] : {std::tuple{"id", "uuid", 'U'},
                                        {"pr_number", "integer", 'N'},
                                        {"event_type", "text", 'S'},
                                        {"event_timestamp", "timestamp with time zone", 'D'},
                                        {"deployment_note", "text", 'S'}})
        cat.columns.push_back({schema, "pr_events", name, type, category, true, std::string(name) == "id", false});
    cat.checks.push_back({schema, "pr_events", "pr_events_event_type_check", "event_type",
                          "CHECK ((event_type = ANY (ARRAY['created'::text, 'merged'::text])))"});
    return cat;
}

std::vector<std::string> descriptions(const AdoptionPlan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) out.push_back(s.description);
    return out;
}

} // namespace

TEST_CASE("metrics adopt: a seed-shaped pr_events in public is moved, completed and keyed") {
    auto plan = plan_adoption(seed_pr_events("public"), "it's/app");
    CHECK(plan.conflicts.empty());
    CHECK_FALSE(plan.complete);
    auto d = descriptions(plan);
    REQUIRE(d.size() == 13);
    CHECK(d[0] == "public.pr_events moved to metrics.pr_events");
    CHECK(d[1] == "metrics.pr_events: added column repository text not null default 'it''s/app'");
    CHECK(d[10] == "metrics.pr_events.deployment_note: not null dropped (sbdeploy does not write it)");
    CHECK(d[11] == "metrics.pr_events: check pr_events_event_type_check also accepts opened, reopened, "
                   "ready_for_review, reviewed, closed");
    CHECK(d[12] == "metrics.pr_events: unique key (repository, pr_number, event_type, event_timestamp) created, so "
                   "that recording an event twice adds it once");
    CHECK(plan.steps[11].sql ==
          "alter table metrics.pr_events drop constraint pr_events_event_type_check, add constraint "
          "pr_events_event_type_check check (event_type in ('created', 'merged', 'opened', "
          "'reopened', 'ready_for_review', 'reviewed', 'closed'));\n");
}

TEST_CASE("metrics adopt: a public table beside the metrics one, or without the seed's columns, is left alone") {
    auto both = seed_pr_events("public");
    auto metrics_side = seed_pr_events("metrics");
    both.tables.push_back("metrics.pr_events");
    both.columns.insert(both.columns.end(), metrics_side.columns.begin(), metrics_side.columns.end());
    auto plan = plan_adoption(both, "");
    CHECK(plan.notes == std::vector<std::string>{"public.pr_events left in place: metrics.pr_events exists already"});
    CHECK(descriptions(plan).at(0) == "metrics.pr_events: added column repository text not null default ''");

    Catalog other;
    other.tables = {"public.test_runs"};
    other.columns.push_back({"public", "test_runs", "name", "text", 'S', false, false, false});
    plan = plan_adoption(other, "");
    CHECK(plan.steps.empty());
    CHECK(plan.notes == std::vector<std::string>{"public.test_runs left in place: it lacks seed 001's columns (run_id, "
                                                 "total_tests, passed_tests)"});
}

TEST_CASE("metrics adopt: a column of another kind is a conflict, a narrower number is widened") {
    auto cat = seed_pr_events("metrics");
    cat.columns[1].type = "text";  // pr_number
    cat.columns[1].category = 'S';
    cat.columns[3].type = "timestamp without time zone";
    auto plan = plan_adoption(cat, "");
    REQUIRE(plan.conflicts.size() == 2);
    CHECK(plan.conflicts[0].description == "metrics.pr_events.pr_number is text, sbdeploy writes integer");
    CHECK(
        plan.conflicts[1].fix.starts_with("alter table metrics.pr_events alter column event_timestamp type timestamptz "
                                          "using event_timestamp at time zone 'UTC'; "));
}

TEST_CASE("metrics report: seed 001's default threshold, unless one is given") {
    CHECK(with_defaults({}).min_test_pass_rate == 80.0);
    Limits given;
    given.min_test_pass_rate = 60.0;
    CHECK(with_defaults(given).min_test_pass_rate == 60.0);
    CHECK_FALSE(with_defaults({}).min_rule_compliance.has_value());
}
