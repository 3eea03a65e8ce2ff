// Who can reach the data: row level security on tables in exposed schemas, policies that
// let the API roles write anything, and SECURITY DEFINER functions with a mutable search_path.
#include <algorithm>

#include "lint/engine.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

namespace {

using tree::Node;
using tree::Value;

// The roles a Supabase project's API requests run as (public: every role).
constexpr std::string_view kApiRoles[] = {"anon", "authenticated", "public"};

std::vector<std::string> role_names(const Value* stmt) {
    std::vector<std::string> roles;
    for (const Value* item : tree::items(stmt, "roles")) {
        Node r = tree::node(item);
        if (tree::text(r.fields, "roletype") == "ROLESPEC_PUBLIC")
            roles.emplace_back("public");
        else if (auto name = tree::text(r.fields, "rolename"); !name.empty())
            roles.emplace_back(name);
    }
    return roles;
}

std::string and_list(const std::vector<std::string>& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) s += i + 1 == items.size() ? " and " : ", ";
        s += util::quoted(items[i]);
    }
    return s;
}

bool api_role(const std::string& r) {
    return std::find(std::begin(kApiRoles), std::end(kApiRoles), r) != std::end(kApiRoles);
}

// Whether a permissive SELECT (or ALL) policy of the table lets `role` read some rows.
bool readable_by(const Run& run, const QName& table, const std::string& role) {
    for (const auto& [key, p] : run.policies) {
        if (key.first != table.key() || !p.permissive || (p.command != "select" && p.command != "all")) continue;
        for (const auto& r : p.roles)
            if (r == role || r == "public") return true;
    }
    return false;
}

// The project says the table's policies for this command are meant to be public.
bool declared_public(const Run& run, const PolicyState& p) {
    auto it = run.config().public_policies.find(p.table.key());
    if (it == run.config().public_policies.end()) return false;
    return std::find_if(it->second.begin(), it->second.end(),
                        [&](const std::string& c) { return c == "all" || c == p.command; }) != it->second.end();
}

const char* const kPolicyFix = ", or grant the policy to a narrower role; if the table is meant to be public, list it "
                               "under [lint.public_policies] in supabase/sbdeploy.toml";

// A policy as the set leaves it: reported where it was last made always true, unless the
// API cannot reach its table (a schema not exposed; storage is always reachable through
// the Storage API) or the project declared it public.
void check_policy(Run& run, const std::string& name, const PolicyState& p) {
    if (!p.at || !p.permissive || p.command == "select" || (!p.using_true && !p.check_true)) return;
    if ((!run.exposed(p.table) && p.table.schema != "storage") || declared_public(run, p)) return;
    std::vector<std::string> api;
    for (const auto& r : p.roles)
        if (api_role(r)) api.push_back(r);
    if (api.empty()) return;
    std::string what;
    if (p.command == "insert")
        what = "insert any row";
    else if (p.command == "delete")
        what = "delete any row";
    else if (p.command == "update")
        what = p.using_true ? "update any row" : "update rows to any values";
    else
        what = p.using_true ? "read, insert, update and delete any row" : "insert and update rows with any values";
    std::string clause = p.using_true && p.check_true ? "using (true) and with check (true)"
                         : p.using_true               ? "using (true)"
                                                      : "with check (true)";
    std::string message = "policy " + util::quoted(name) + " on " + p.table.quoted() + " lets " + and_list(api) + " " +
                          what + ": " + clause;
    // Write-only for anon (a contact form, an error log): spam, not a leak of anyone's rows.
    if (p.command == "insert" && api == std::vector<std::string>{"anon"} && !readable_by(run, p.table, "anon")) {
        run.report_at(Rule::policy_always_true, *p.at,
                      message + "; no policy lets \"anon\" read the table, so it can only add rows",
                      "if that is the intent (a public form), list the table under [lint.public_policies] in "
                      "supabase/sbdeploy.toml; else limit the rows with a with check condition",
                      Severity::warning);
        return;
    }
    run.report_at(Rule::policy_always_true, *p.at, message,
                  "limit the rows, e.g. " + std::string(p.check_true && !p.using_true ? "with check" : "using") +
                      " (auth.uid() = user_id)" + kPolicyFix);
}

void create_policy(Run& run, const Value* f) {
    QName table = run.relation(tree::get(f, "table"));
    std::string name(tree::text(f, "policy_name"));
    PolicyState p;
    p.table = table;
    p.command = tree::text(f, "cmd_name");
    p.permissive = tree::flag(f, "permissive");
    p.roles = role_names(f);
    if (p.roles.empty()) p.roles.emplace_back("public");
    p.using_true = tree::is_true_constant(tree::get(f, "qual"));
    p.check_true = tree::is_true_constant(tree::get(f, "with_check"));
    if (run.in_target()) p.at = run.place();
    run.policies[{table.key(), name}] = std::move(p);
}

// ALTER POLICY: followed only when the set created the policy (its command is known).
void alter_policy(Run& run, const Value* f) {
    QName table = run.relation(tree::get(f, "table"));
    std::string name(tree::text(f, "policy_name"));
    auto it = run.policies.find({table.key(), name});
    if (it == run.policies.end()) return;
    PolicyState& p = it->second;
    if (auto roles = role_names(f); !roles.empty()) p.roles = std::move(roles);
    if (const Value* qual = tree::get(f, "qual")) p.using_true = tree::is_true_constant(qual);
    if (const Value* check = tree::get(f, "with_check")) p.check_true = tree::is_true_constant(check);
    p.at = run.in_target() ? std::optional<Place>(run.place()) : std::nullopt;
}

// search_path in a SET clause of a function: fixed (a value, or FROM CURRENT, which stores
// the value of the moment), reset, or not about search_path.
enum class PathSetting { none, fixed, reset };

PathSetting path_setting(const Value* def_elem) {
    auto defname = tree::text(def_elem, "defname");
    if (defname != "set") return PathSetting::none;
    Node set = tree::node(tree::get(def_elem, "arg"));
    auto kind = tree::text(set.fields, "kind");
    if (kind == "VAR_RESET_ALL") return PathSetting::reset;
    if (tree::text(set.fields, "name") != "search_path") return PathSetting::none;
    return kind == "VAR_SET_VALUE" || kind == "VAR_SET_CURRENT" ? PathSetting::fixed : PathSetting::reset;
}

// SECURITY DEFINER (true), SECURITY INVOKER (false), or not about security.
std::optional<bool> security_setting(const Value* def_elem) {
    if (tree::text(def_elem, "defname") != "security") return std::nullopt;
    return tree::flag(tree::node(tree::get(def_elem, "arg")).fields, "boolval");
}

// The body as CREATE FUNCTION gives it: language, AS string, or a BEGIN ATOMIC body.
RoutineBody routine_body(const Run& run, const Value* f) {
    RoutineBody body;
    body.language = "sql";
    body.atomic = tree::get(f, "sql_body") != nullptr;
    body.statement = run.statement_text();
    for (const Value* option : tree::items(f, "options")) {
        Node d = tree::node(option);
        auto defname = tree::text(d.fields, "defname");
        const Value* arg = tree::get(d.fields, "arg");
        if (defname == "language")
            body.language = util::to_lower(tree::text(tree::node(arg).fields, "sval"));
        else if (defname == "as")
            if (auto parts = tree::names(tree::node(arg).fields, "items"); !parts.empty()) body.body = parts.front();
    }
    return body;
}

void create_function(Run& run, const Value* f) {
    FunctionState fn;
    fn.name = run.resolve(tree::names(f, "funcname"), Run::Kind::function);
    fn.procedure = tree::flag(f, "is_procedure");
    for (const Value* option : tree::items(f, "options")) {
        Node d = tree::node(option);
        if (auto definer = security_setting(d.fields)) fn.definer = *definer;
        if (auto path = path_setting(d.fields); path != PathSetting::none)
            fn.fixed_search_path = path == PathSetting::fixed;
    }
    if (fn.definer && !fn.fixed_search_path && run.in_target()) fn.defined = run.place();
    fn.body = routine_body(run, f);
    std::string key = fn.name.key();
    run.functions[key] = std::move(fn);
}

void alter_function(Run& run, const Value* f) {
    const Value* func = tree::get(f, "func");
    QName name = run.resolve(tree::names(func, "objname"), Run::Kind::function);
    auto [it, inserted] = run.functions.try_emplace(name.key());
    FunctionState& fn = it->second;
    if (inserted) {
        fn.name = name;
        fn.procedure = tree::text(f, "objtype") == "OBJECT_PROCEDURE";
    }
    bool touched = false;
    for (const Value* action : tree::items(f, "actions")) {
        Node d = tree::node(action);
        if (auto definer = security_setting(d.fields)) {
            fn.definer = *definer;
            touched = true;
        }
        if (auto path = path_setting(d.fields); path != PathSetting::none) {
            fn.fixed_search_path = path == PathSetting::fixed;
            touched = true;
        }
    }
    if (!touched) return;
    if (fn.definer && !fn.fixed_search_path)
        fn.defined = run.in_target() ? std::optional<Place>(run.place()) : std::nullopt;
    else
        fn.defined.reset();
}

void drop_objects(Run& run, const Value* f) {
    auto type = tree::text(f, "removeType");
    bool routine = type == "OBJECT_FUNCTION" || type == "OBJECT_PROCEDURE" || type == "OBJECT_ROUTINE";
    for (const Value* object : tree::items(f, "objects")) {
        Node n = tree::node(object);
        if (routine && n.type == "ObjectWithArgs") {
            run.functions.erase(run.resolve(tree::names(n.fields, "objname"), Run::Kind::function).key());
        } else if (type == "OBJECT_POLICY" && n.type == "List") {
            // [schema,] table, policy
            auto parts = tree::names(n.fields, "items");
            if (parts.size() < 2) continue;
            std::string policy = parts.back();
            parts.pop_back();
            run.policies.erase({run.resolve(parts, Run::Kind::table).key(), policy});
        }
    }
}

} // namespace

// DO $$ ... execute format('alter table %I enable row level security', t) ... $$: the
// tables whose names are literals of the block, else (a loop over a catalog query) every
// table the set knows in the template's schema.
void do_block(Run& run, const Value* f) {
    std::string body;
    for (const Value* arg : tree::items(f, "args")) {
        Node d = tree::node(arg);
        if (tree::text(d.fields, "defname") == "as")
            body = tree::text(tree::node(tree::get(d.fields, "arg")).fields, "sval");
    }
    auto dynamic = dynamic_rls(body);
    if (!dynamic) return;
    std::string schema = dynamic->schema;
    if (schema.empty() && !dynamic->any_schema && !run.search_path().empty()) schema = run.search_path().front();
    auto named = [&](const TableState& t) {
        for (const auto& lit : dynamic->literals)
            for (const auto& word : util::split(lit, ','))
                if (util::trim(word) == t.name.name || util::trim(word) == "{" + t.name.name ||
                    util::trim(word) == t.name.name + "}")
                    return true;
        return false;
    };
    std::vector<TableState*> in_schema, by_name;
    for (auto& [key, t] : run.tables) {
        if (!schema.empty() && t.name.schema != schema) continue;
        in_schema.push_back(&t);
        if (named(t)) by_name.push_back(&t);
    }
    for (TableState* t : by_name.empty() ? in_schema : by_name) {
        t->rls = true;
        t->disabled.reset();
    }
}

bool check_access_statement(Run& run, Node stmt) {
    if (stmt.type == "DoStmt") {
        do_block(run, stmt.fields);
        return true;
    }
    if (stmt.type == "CreatePolicyStmt")
        create_policy(run, stmt.fields);
    else if (stmt.type == "AlterPolicyStmt")
        alter_policy(run, stmt.fields);
    else if (stmt.type == "CreateFunctionStmt")
        create_function(run, stmt.fields);
    else if (stmt.type == "AlterFunctionStmt")
        alter_function(run, stmt.fields);
    else if (stmt.type == "DropStmt")
        drop_objects(run, stmt.fields);
    else
        return false;
    return true;
}

void finish_access(Run& run) {
    for (const auto& [key, t] : run.tables) {
        if (t.temporary || t.rls || !run.exposed(t.name)) continue;
        std::string schema = util::quoted(t.name.schema);
        if (t.disabled)
            run.report_at(Rule::rls_missing, *t.disabled,
                          "row level security is disabled on table " + t.name.quoted() + " in exposed schema " +
                              schema + ": anyone with the project's anon key can read and change every row",
                          "keep row level security enabled and write policies for the access you need");
        else if (t.created)
            run.report_at(Rule::rls_missing, *t.created,
                          "table " + t.name.quoted() + " is created in exposed schema " + schema +
                              " without row level security: anyone with the project's anon key can read and change "
                              "every row",
                          "alter table " + t.name.sql() +
                              " enable row level security; then add policies for the roles that need access");
    }
    for (const auto& [key, p] : run.policies) check_policy(run, key.second, p);
    for (const auto& [key, fn] : run.functions) {
        if (!fn.defined) continue;
        std::string what = std::string("security definer ") + (fn.procedure ? "procedure " : "function ") +
                           fn.name.quoted();
        // A table named without a schema resolves through the caller's search_path, where
        // pg_temp comes first: any caller can put their own table in its place.
        auto unqualified = unqualified_relations(fn.body);
        if (unqualified && !unqualified->empty()) {
            std::vector<std::string> names(unqualified->begin(),
                                           unqualified->begin() + std::min<std::size_t>(3, unqualified->size()));
            run.report_at(Rule::security_definer_search_path, *fn.defined,
                          what + " has no fixed search_path and its body names " + and_list(names) +
                              " without a schema: a caller's own temporary table of that name would be used with the "
                              "owner's rights",
                          "add set search_path = '' to it and write the names with their schema (public." +
                              names.front() + ")",
                          Severity::error);
            continue;
        }
        run.report_at(Rule::security_definer_search_path, *fn.defined,
                      what + (unqualified ? " has no fixed search_path: its tables are schema-qualified, but a caller "
                                            "still chooses the functions and operators it resolves"
                                          : " has no fixed search_path: a caller can make it run their own objects "
                                            "with its owner's rights"),
                      "add set search_path = '' to it and schema-qualify the names in its body");
    }
}

} // namespace sbdeploy::lint::detail
