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

void check_policy(Run& run, const std::string& name, const QName& table, const PolicyState& p, const Value* qual,
                  const Value* with_check) {
    if (!p.permissive || p.command == "select") return;
    std::vector<std::string> api;
    for (const auto& r : p.roles)
        if (std::find(std::begin(kApiRoles), std::end(kApiRoles), r) != std::end(kApiRoles)) api.push_back(r);
    bool using_true = tree::is_true_constant(qual);
    bool check_true = tree::is_true_constant(with_check);
    if (api.empty() || (!using_true && !check_true)) return;
    std::string what;
    if (p.command == "insert") what = "insert any row";
    else if (p.command == "delete") what = "delete any row";
    else if (p.command == "update") what = using_true ? "update any row" : "update rows to any values";
    else what = using_true ? "read, insert, update and delete any row" : "insert and update rows with any values";
    std::string clause = using_true && check_true ? "using (true) and with check (true)"
                         : using_true             ? "using (true)"
                                                  : "with check (true)";
    run.report(Rule::policy_always_true, -1,
               "policy " + util::quoted(name) + " on " + table.quoted() + " lets " + and_list(api) + " " + what + ": " +
                   clause,
               "limit the rows, e.g. " + std::string(check_true && !using_true ? "with check" : "using") +
                   " (auth.uid() = user_id), or grant the policy to a narrower role");
}

void create_policy(Run& run, const Value* f) {
    QName table = run.relation(tree::get(f, "table"));
    std::string name(tree::text(f, "policy_name"));
    PolicyState p;
    p.command = tree::text(f, "cmd_name");
    p.permissive = tree::flag(f, "permissive");
    p.roles = role_names(f);
    if (p.roles.empty()) p.roles.emplace_back("public");
    check_policy(run, name, table, p, tree::get(f, "qual"), tree::get(f, "with_check"));
    run.policies[{table.key(), name}] = std::move(p);
}

// ALTER POLICY: checked only when the set created the policy (its command is known).
void alter_policy(Run& run, const Value* f) {
    QName table = run.relation(tree::get(f, "table"));
    std::string name(tree::text(f, "policy_name"));
    auto it = run.policies.find({table.key(), name});
    if (it == run.policies.end()) return;
    if (auto roles = role_names(f); !roles.empty()) it->second.roles = std::move(roles);
    check_policy(run, name, table, it->second, tree::get(f, "qual"), tree::get(f, "with_check"));
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

void create_function(Run& run, const Value* f) {
    FunctionState fn;
    fn.name = run.resolve(tree::names(f, "funcname"), Run::Kind::function);
    fn.procedure = tree::flag(f, "is_procedure");
    for (const Value* option : tree::items(f, "options")) {
        Node d = tree::node(option);
        if (auto definer = security_setting(d.fields)) fn.definer = *definer;
        if (auto path = path_setting(d.fields); path != PathSetting::none) fn.fixed_search_path = path == PathSetting::fixed;
    }
    if (fn.definer && !fn.fixed_search_path && run.in_target()) fn.defined = run.place();
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

bool check_access_statement(Run& run, Node stmt) {
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
                          "row level security is disabled on table " + t.name.quoted() + " in exposed schema " + schema +
                              ": anyone with the project's anon key can read and change every row",
                          "keep row level security enabled and write policies for the access you need");
        else if (t.created)
            run.report_at(Rule::rls_missing, *t.created,
                          "table " + t.name.quoted() + " is created in exposed schema " + schema +
                              " without row level security: anyone with the project's anon key can read and change "
                              "every row",
                          "alter table " + t.name.sql() +
                              " enable row level security; then add policies for the roles that need access");
    }
    for (const auto& [key, fn] : run.functions) {
        if (!fn.defined) continue;
        run.report_at(Rule::security_definer_search_path, *fn.defined,
                      std::string("security definer ") + (fn.procedure ? "procedure " : "function ") + fn.name.quoted() +
                          " has no fixed search_path: a caller can make it run their own objects with its owner's "
                          "rights",
                      "add set search_path = '' to it and schema-qualify the names in its body");
    }
}

} // namespace sbdeploy::lint::detail
