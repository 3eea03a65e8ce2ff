// The adoption plan: seed 001's tables moved from `public`, sbdeploy's columns added with
// defaults the seed's INSERTs can live with, vocabulary checks widened, sbdeploy's unique
// keys created. Anything that would lose or reinterpret data is a conflict, never a step.
#include "metrics/adopt.hpp"

#include <algorithm>
#include <regex>

namespace sbdeploy::metrics {

namespace {

struct ColumnSpec {
    std::string_view name;
    std::string_view type;
    std::string_view added;  // the ADD COLUMN clause after the type ("" nullable); {repo} is replaced
};

struct EnumSpec {
    std::string_view column;
    std::vector<std::string_view> values;  // empty: free text, a list check is dropped
};

struct TableSpec {
    std::string_view name;
    std::vector<std::string_view> identity;  // columns that make a `public` table seed 001's
    std::vector<ColumnSpec> columns;
    std::vector<std::string_view> key;
    std::string_view key_name;
    std::vector<EnumSpec> enums;
};

constexpr std::string_view kRepo = "not null default {repo}";
constexpr std::string_view kNow = "not null default now()";
constexpr std::string_view kZero = "not null default 0";

const std::vector<TableSpec>& specs() {
    static const std::vector<TableSpec> k = {
        {"pr_events",
         {"pr_number", "event_type"},
         {{"repository", "text", kRepo},
          {"pr_number", "integer", ""},
          {"event_type", "text", ""},
          {"event_timestamp", "timestamptz", ""},
          {"pr_title", "text", ""},
          {"branch_name", "text", ""},
          {"base_branch", "text", ""},
          {"author", "text", ""},
          {"pr_created_at", "timestamptz", ""},
          {"cycle_time_seconds", "bigint", ""},
          {"run_id", "text", ""},
          {"recorded_at", "timestamptz", kNow}},
         {"repository", "pr_number", "event_type", "event_timestamp"},
         "pr_events_event_key",
         {{"event_type", {"opened", "created", "reopened", "ready_for_review", "reviewed", "closed", "merged"}}}},
        {"deployment_events",
         {"environment", "status", "deployed_at"},
         {{"repository", "text", kRepo},
          {"environment", "text", "not null default 'production'"},
          {"status", "text", ""},
          {"deployed_at", "timestamptz", ""},
          {"source", "text", "not null default 'manual'"},
          {"source_id", "text", "not null default gen_random_uuid()::text"},
          {"commit_sha", "text", ""},
          {"ref", "text", ""},
          {"migrations_applied", "integer", ""},
          {"duration_seconds", "numeric", ""},
          {"lead_time_seconds", "bigint", ""},
          {"run_id", "text", ""},
          {"recorded_at", "timestamptz", kNow}},
         {"repository", "source", "source_id"},
         "deployment_events_event_key",
         {{"status", {"success", "failure"}}, {"environment", {}}, {"source", {}}}},
        {"test_runs",
         {"run_id", "total_tests", "passed_tests"},
         {{"repository", "text", kRepo},
          {"run_id", "text", ""},
          {"run_attempt", "integer", "not null default 1"},
          {"test_type", "text", ""},
          {"source", "text", "not null default 'manual'"},
          {"run_timestamp", "timestamptz", ""},
          {"total_tests", "integer", ""},
          {"passed_tests", "integer", ""},
          {"failed_tests", "integer", ""},
          {"skipped_tests", "integer", ""},
          {"execution_time_seconds", "numeric", ""},
          {"branch_name", "text", ""},
          {"commit_sha", "text", ""},
          {"recorded_at", "timestamptz", kNow}},
         {"repository", "run_id", "run_attempt", "test_type", "source"},
         "test_runs_run_key",
         {{"test_type", {}}, {"source", {}}}},
        {"rule_compliance_events",
         {"rule_name", "compliance_status"},
         {{"repository", "text", kRepo},
          {"rule_name", "text", ""},
          {"rule_category", "text", ""},
          {"compliance_status", "text", ""},
          {"context_type", "text", ""},
          {"context_id", "text", ""},
          {"subject", "text", "not null default ''"},
          {"details", "text", ""},
          {"event_timestamp", "timestamptz", ""},
          {"run_id", "text", ""},
          {"recorded_at", "timestamptz", kNow}},
         {"repository", "rule_name", "context_type", "context_id", "subject"},
         "rule_compliance_events_event_key",
         {{"compliance_status", {"compliant", "violation"}},
          {"rule_category", {"branching", "commits", "promotion"}},
          {"context_type", {"pull_request", "commit"}},
          {"rule_name", {}}}},
        {"development_metrics",
         {"metric_date"},
         {{"metric_date", "date", ""},
          {"repository", "text", kRepo},
          {"environment", "text", "not null default 'production'"},
          {"deployment_frequency", "integer", kZero},
          {"failed_deployments", "integer", kZero},
          {"change_failure_rate", "numeric", ""},
          {"lead_time_seconds", "numeric", ""},
          {"time_to_restore_seconds", "numeric", ""},
          {"prs_merged", "integer", kZero},
          {"pr_cycle_time_seconds", "numeric", ""},
          {"pr_cycle_time_p90_seconds", "numeric", ""},
          {"tests_total", "integer", kZero},
          {"tests_passed", "integer", kZero},
          {"test_pass_rate", "numeric", ""},
          {"rule_checks", "integer", kZero},
          {"rule_compliance_rate", "numeric", ""},
          {"updated_at", "timestamptz", kNow}},
         {"repository", "environment", "metric_date"},
         "development_metrics_day_key",
         {{"environment", {}}}},
    };
    return k;
}

// The views schema.sql creates (with the tables: the schema is complete when all exist).
constexpr std::string_view kViews[] = {"daily_deployments",     "restores",
                                       "daily_time_to_restore", "merged_prs",
                                       "daily_pr_cycle_time",   "daily_test_pass_rate",
                                       "daily_rule_compliance", "weekly_development_metrics"};

std::string literal(std::string_view s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string ident(std::string_view s) {
    bool plain = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
    for (char c : s) plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (plain) return std::string(s);
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

template <class List>
std::string join(const List& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + std::string(i);
    return out;
}

enum class Fit { same, widen, conflict };

// Whether an existing column of `type` takes what sbdeploy writes as `ours`.
Fit fit(std::string_view ours, const CatalogColumn& c) {
    const std::string& t = c.type;
    auto integral = t == "integer" || t == "bigint" || t == "smallint";
    if (ours == "text") return c.category == 'S' ? Fit::same : Fit::conflict;
    if (ours == "integer" || ours == "bigint") return integral || t.starts_with("numeric") ? Fit::same : Fit::conflict;
    if (ours == "numeric") {
        if (t.starts_with("numeric") || t == "double precision" || t == "real") return Fit::same;
        return integral ? Fit::widen : Fit::conflict;
    }
    if (ours == "timestamptz") return t == "timestamp with time zone" ? Fit::same : Fit::conflict;
    if (ours == "date") return t == "date" ? Fit::same : Fit::conflict;
    return Fit::conflict;
}

std::string conflict_fix(const std::string& table, const CatalogColumn& c, std::string_view ours) {
    std::string using_expr = ident(c.name) + "::" + std::string(ours);
    if (ours == "timestamptz" && c.type == "timestamp without time zone")
        using_expr = ident(c.name) + " at time zone 'UTC'";
    return "alter table " + table + " alter column " + ident(c.name) + " type " + std::string(ours) + " using " +
           using_expr + "; or keep it under another name: alter table " + table + " rename column " + ident(c.name) +
           " to " + ident(c.name + "_seed");
}

const CatalogColumn* find_column(const Catalog& cat, std::string_view schema, std::string_view table,
                                 std::string_view name) {
    for (const auto& c : cat.columns)
        if (c.schema == schema && c.table == table && c.name == name) return &c;
    return nullptr;
}

bool has_table(const Catalog& cat, std::string_view schema, std::string_view table) {
    return std::find(cat.tables.begin(), cat.tables.end(), std::string(schema) + "." + std::string(table)) !=
           cat.tables.end();
}

// Seed 001's long-format aggregates (metric_type, metric_value a row) cannot hold sbdeploy's
// one row a day: they are kept beside it, renamed.
void set_aside_long_format(const Catalog& cat, AdoptionPlan& plan, std::vector<std::string>& absent) {
    if (!find_column(cat, "metrics", "development_metrics", "metric_type") ||
        find_column(cat, "metrics", "development_metrics", "repository"))
        return;
    const std::string aside = "development_metrics_seed";
    if (std::find(cat.relations.begin(), cat.relations.end(), aside) != cat.relations.end()) {
        plan.conflicts.push_back(
            {"metrics.development_metrics holds seed 001's aggregates (metric_type, metric_value) and "
             "metrics." +
                 aside + " exists already",
             "move one of them: alter table metrics.development_metrics rename to "
             "development_metrics_seed_2"});
        return;
    }
    std::string sql = "alter table metrics.development_metrics rename to " + aside + ";\n";
    for (const auto& i : cat.indexes)
        if (i.schema == "metrics" && i.table == "development_metrics" && i.name == "development_metrics_pkey")
            sql += "alter index metrics.development_metrics_pkey rename to " + aside + "_pkey;\n";
    plan.steps.push_back({"metrics.development_metrics: seed 001's aggregates (one row a metric) kept as metrics." +
                              aside + "; sbdeploy's daily table takes the name",
                          sql});
    absent.push_back("development_metrics");
}

void plan_columns(const Catalog& cat, const TableSpec& spec, const std::string& schema, std::string_view repository,
                  AdoptionPlan& plan) {
    const std::string table = "metrics." + std::string(spec.name);
    for (const auto& col : spec.columns) {
        const CatalogColumn* c = find_column(cat, schema, spec.name, col.name);
        if (c == nullptr) {
            std::string clause(col.added);
            if (auto at = clause.find("{repo}"); at != std::string::npos) clause.replace(at, 6, literal(repository));
            plan.steps.push_back({table + ": added column " + std::string(col.name) + " " + std::string(col.type) +
                                      (clause.empty() ? "" : " " + clause),
                                  "alter table " + table + " add column " + std::string(col.name) + " " +
                                      std::string(col.type) + (clause.empty() ? "" : " " + clause) + ";\n"});
            continue;
        }
        switch (fit(col.type, *c)) {
        case Fit::same: break;
        case Fit::widen:
            plan.steps.push_back({table + "." + c->name + ": type " + c->type + " widened to " + std::string(col.type) +
                                      " (sbdeploy writes fractions)",
                                  "alter table " + table + " alter column " + ident(c->name) + " type " +
                                      std::string(col.type) + ";\n"});
            break;
        case Fit::conflict:
            plan.conflicts.push_back({table + "." + c->name + " is " + c->type + ", sbdeploy writes " +
                                          std::string(col.type),
                                      conflict_fix(table, *c, col.type)});
        }
    }
    // The event tables' rows have an id (PostgREST answers it); the daily table has none.
    if (spec.name != "development_metrics" && !find_column(cat, schema, spec.name, "id"))
        plan.steps.push_back({table + ": added column id bigint generated by default as identity",
                              "alter table " + table + " add column id bigint generated by default as identity;\n"});
    // Columns of the seed's that sbdeploy does not write must not refuse its rows.
    for (const auto& c : cat.columns) {
        if (c.schema != schema || c.table != spec.name || !c.not_null || c.has_default || c.generated) continue;
        if (std::any_of(spec.columns.begin(), spec.columns.end(),
                        [&](const ColumnSpec& s) { return s.name == c.name; }))
            continue;
        plan.steps.push_back({table + "." + c.name + ": not null dropped (sbdeploy does not write it)",
                              "alter table " + table + " alter column " + ident(c.name) + " drop not null;\n"});
    }
}

void plan_checks(const Catalog& cat, const TableSpec& spec, const std::string& schema, AdoptionPlan& plan) {
    const std::string table = "metrics." + std::string(spec.name);
    for (const auto& check : cat.checks) {
        if (check.schema != schema || check.table != spec.name) continue;
        auto e = std::find_if(spec.enums.begin(), spec.enums.end(),
                              [&](const EnumSpec& s) { return s.column == check.column; });
        std::vector<std::string> values;
        if (e == spec.enums.end() || !enum_check_values(check.definition, check.column, values)) continue;
        const std::string drop = "alter table " + table + " drop constraint " + ident(check.name);
        if (e->values.empty()) {
            plan.steps.push_back({table + ": check " + check.name + " dropped (sbdeploy writes any " + check.column +
                                      ")",
                                  drop + ";\n"});
            continue;
        }
        std::vector<std::string> added;
        for (auto v : e->values)
            if (std::find(values.begin(), values.end(), v) == values.end()) added.emplace_back(v);
        if (added.empty()) continue;
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + literal(v);
        for (const auto& v : added) list += ", " + literal(v);
        plan.steps.push_back({table + ": check " + check.name + " also accepts " + join(added),
                              drop + ", add constraint " + ident(check.name) + " check (" + ident(check.column) +
                                  " in (" + list + "));\n"});
    }
}

void plan_key(const Catalog& cat, const TableSpec& spec, const std::string& schema, AdoptionPlan& plan) {
    std::vector<std::string> want(spec.key.begin(), spec.key.end());
    std::sort(want.begin(), want.end());
    for (const auto& i : cat.indexes) {
        if (i.schema != schema || i.table != spec.name || !i.unique) continue;
        auto have = i.columns;
        std::sort(have.begin(), have.end());
        if (have == want) return;
    }
    std::string cols;
    for (auto k : spec.key) cols += (cols.empty() ? "" : ", ") + std::string(k);
    plan.steps.push_back({"metrics." + std::string(spec.name) + ": unique key (" + cols +
                              ") created, so that recording an event twice adds it once",
                          "create unique index " + std::string(spec.key_name) + " on metrics." +
                              std::string(spec.name) + " (" + cols + ");\n"});
}

} // namespace

bool enum_check_values(std::string_view definition, std::string_view column, std::vector<std::string>& values) {
    static const std::regex literal_re(R"('((?:[^']|'')*)'(::[a-z ]+(\[\])?)?)");
    std::string rest;
    std::string def(definition);
    auto begin = std::sregex_iterator(def.begin(), def.end(), literal_re);
    std::size_t last = 0;
    values.clear();
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        rest += def.substr(last, static_cast<std::size_t>(it->position()) - last);
        last = static_cast<std::size_t>(it->position() + it->length());
        std::string v = (*it)[1].str();
        for (std::size_t p = v.find("''"); p != std::string::npos; p = v.find("''", p + 1)) v.erase(p, 1);
        values.push_back(v);
    }
    rest += def.substr(last);
    if (values.empty()) return false;
    // What may remain around the literals: the column, casts, ANY (ARRAY[...]), IS NULL, OR.
    for (std::string_view token : {"character varying", "ARRAY", "ANY", "IS NULL", "OR", "CHECK", "::text[]", "::text",
                                   "::character varying[]"}) {
        for (auto p = rest.find(token); p != std::string::npos; p = rest.find(token)) rest.erase(p, token.size());
    }
    for (const std::string& name : {std::string(column), "\"" + std::string(column) + "\""})
        for (auto p = rest.find(name); p != std::string::npos; p = rest.find(name)) rest.erase(p, name.size());
    return rest.find_first_not_of(" ()[],=:") == std::string::npos;
}

AdoptionPlan plan_adoption(const Catalog& cat, std::string_view repository) {
    AdoptionPlan plan;
    Catalog moved = cat;  // the catalog as it is after the moves from public
    std::vector<std::string> absent;
    for (const auto& spec : specs()) {
        const bool in_metrics = has_table(cat, "metrics", spec.name);
        if (!has_table(cat, "public", spec.name)) {
            if (!in_metrics) absent.emplace_back(spec.name);
            continue;
        }
        const std::string name = "public." + std::string(spec.name);
        if (in_metrics) {
            plan.notes.push_back(name + " left in place: metrics." + std::string(spec.name) + " exists already");
            continue;
        }
        bool seed_shaped = std::all_of(spec.identity.begin(), spec.identity.end(), [&](std::string_view c) {
            return find_column(cat, "public", spec.name, c) != nullptr;
        });
        if (!seed_shaped) {
            plan.notes.push_back(name + " left in place: it lacks seed 001's columns (" + join(spec.identity) + ")");
            absent.emplace_back(spec.name);
            continue;
        }
        plan.steps.push_back({name + " moved to metrics." + std::string(spec.name),
                              "create schema if not exists metrics;\nalter table " + name + " set schema metrics;\n"});
        moved.tables.push_back("metrics." + std::string(spec.name));
        auto move = [&](auto& list) {
            for (auto& x : list)
                if (x.schema == "public" && x.table == spec.name) x.schema = "metrics";
        };
        move(moved.columns);
        move(moved.checks);
        move(moved.indexes);
    }
    set_aside_long_format(moved, plan, absent);
    for (const auto& spec : specs()) {
        if (std::find(absent.begin(), absent.end(), spec.name) != absent.end()) continue;
        plan_columns(moved, spec, "metrics", repository, plan);
        plan_checks(moved, spec, "metrics", plan);
        plan_key(moved, spec, "metrics", plan);
    }
    plan.complete = absent.empty() && std::all_of(std::begin(kViews), std::end(kViews), [&](std::string_view v) {
                        return std::find(cat.relations.begin(), cat.relations.end(), v) != cat.relations.end();
                    });
    return plan;
}

} // namespace sbdeploy::metrics
