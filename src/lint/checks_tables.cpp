// Tables: what the set creates (new tables change without locking anyone out), and the
// changes to existing tables that lock, rewrite, fail on existing rows, or break clients.
#include <algorithm>
#include <regex>

#include "lint/engine.hpp"
#include "lint/types.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

namespace {

using tree::Node;
using tree::Value;

constexpr std::string_view kSerialTypes[] = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"};

bool has_constraint(const Value* column_def, std::string_view contype) {
    for (const Value* c : tree::items(column_def, "constraints"))
        if (tree::text(tree::node(c).fields, "contype") == contype) return true;
    return false;
}

void record_columns(TableState& t, const Value* create) {
    for (const Value* elt : tree::items(create, "tableElts")) {
        Node col = tree::node(elt);
        if (col.type != "ColumnDef") continue;
        t.columns[std::string(tree::text(col.fields, "colname"))] = tree::type_ref(tree::get(col.fields, "typeName"));
    }
}

void create_table(Run& run, const QName& name, bool temporary, bool if_not_exists, const Value* create) {
    // IF NOT EXISTS on a table the set already made changes nothing.
    if (if_not_exists && run.tables.contains(name.key())) return;
    TableState t;
    t.name = name;
    t.is_new = run.in_target();
    t.temporary = temporary;
    if (run.in_target()) t.created = run.place();
    record_columns(t, create);
    run.tables[name.key()] = std::move(t);
}

QName created_name(Run& run, const Value* range_var) {
    if (tree::text(range_var, "relpersistence") == "t" && tree::text(range_var, "schemaname").empty())
        return {"pg_temp", std::string(tree::text(range_var, "relname"))};
    return run.relation(range_var);
}

// The column of CHECK (col IS NOT NULL), or "".
std::string not_null_column(const Value* constraint) {
    Node test = tree::node(tree::get(constraint, "raw_expr"));
    if (test.type != "NullTest" || tree::text(test.fields, "nulltesttype") != "IS_NOT_NULL") return "";
    Node ref = tree::node(tree::get(test.fields, "arg"));
    auto fields = tree::names(ref.fields, "fields");
    return ref.type == "ColumnRef" && fields.size() == 1 ? fields.front() : "";
}

const std::string kRewriteFix = "add a new column, backfill it in batches, move clients over, then drop the old one";

class AlterTable {
public:
    AlterTable(Run& run, const QName& name) : run_(run), name_(name), existing_(run.existing(name)) {}

    void apply(const Value* cmd) {
        auto subtype = tree::text(cmd, "subtype");
        std::string column(tree::text(cmd, "name"));
        Node def = tree::node(tree::get(cmd, "def"));
        TableState& t = run_.table(name_);
        if (subtype == "AT_EnableRowSecurity") {
            t.rls = true;
            t.disabled.reset();
        } else if (subtype == "AT_DisableRowSecurity") {
            t.rls = false;
            t.disabled = run_.in_target() ? std::optional<Place>(run_.place()) : std::nullopt;
        } else if (subtype == "AT_AddColumn" && def.type == "ColumnDef") {
            add_column(t, def);
        } else if (subtype == "AT_SetNotNull") {
            if (existing_ && !t.not_null_checked.contains(column))
                run_.report(Rule::set_not_null, -1,
                            "set not null on column " + util::quoted(column) + " of existing table " + name_.quoted() +
                                " scans every row under an access exclusive lock",
                            "first add constraint ... check (" + column +
                                " is not null) not valid and validate it, in an earlier migration; set not null then "
                                "skips the scan");
        } else if (subtype == "AT_AlterColumnType" && def.type == "ColumnDef") {
            alter_type(t, column, def);
        } else if (subtype == "AT_AddConstraint" && def.type == "Constraint") {
            add_constraint(t, def);
        } else if (subtype == "AT_ValidateConstraint") {
            check_validate(run_, name_, column);
            auto it = run_.checks.find({name_.key(), column});
            if (it != run_.checks.end()) {
                it->second.validated = true;
                if (!it->second.column.empty()) t.not_null_checked.insert(it->second.column);
            }
        } else if (subtype == "AT_DropConstraint") {
            auto it = run_.checks.find({name_.key(), column});
            if (it != run_.checks.end()) {
                t.not_null_checked.erase(it->second.column);
                run_.checks.erase(it);
            }
        } else if (subtype == "AT_DropColumn") {
            if (existing_ && !t.new_columns.contains(column))
                run_.report(Rule::drop_column, -1,
                            "dropping column " + util::quoted(column) + " of table " + name_.quoted() +
                                " breaks clients that still read or write it",
                            "stop using the column in deployed code first, then drop it in a later release");
            t.columns.erase(column);
            t.new_columns.erase(column);
            t.not_null_checked.erase(column);
        }
    }

private:
    void add_column(TableState& t, Node def) {
        std::string column(tree::text(def.fields, "colname"));
        auto type = tree::type_ref(tree::get(def.fields, "typeName"));
        t.columns[column] = type;
        if (run_.in_target()) t.new_columns.insert(column);
        if (!existing_) return;
        check_add_column_locks(run_, name_, def.fields);
        bool not_null = has_constraint(def.fields, "CONSTR_NOTNULL") || has_constraint(def.fields, "CONSTR_PRIMARY");
        bool filled = has_constraint(def.fields, "CONSTR_DEFAULT") || has_constraint(def.fields, "CONSTR_IDENTITY") ||
                      has_constraint(def.fields, "CONSTR_GENERATED") ||
                      std::find(std::begin(kSerialTypes), std::end(kSerialTypes), type.name) != std::end(kSerialTypes);
        if (not_null && !filled)
            run_.report(Rule::add_column_not_null, tree::location(def),
                        "column " + util::quoted(column) + " is added to existing table " + name_.quoted() +
                            " as not null without a default: the migration fails if the table has rows",
                        "give it a default, or add it nullable, backfill it, then set not null");
    }

    void alter_type(TableState& t, const std::string& column, Node def) {
        auto to = tree::type_ref(tree::get(def.fields, "typeName"));
        auto known = t.columns.find(column);
        const Value* using_expr = tree::get(def.fields, "raw_default");
        if (existing_ && !t.new_columns.contains(column)) {
            if (known == t.columns.end())
                run_.report(Rule::column_type_rewrite, tree::location(def),
                            "changing the type of column " + util::quoted(column) + " of existing table " +
                                name_.quoted() + " to " + tree::describe(to) +
                                " rewrites the table under an access exclusive lock, unless the old type converts "
                                "without one (such as varchar(n) to text)",
                            kRewriteFix);
            else if (!change_keeps_table(known->second, to, run_.search_path()) ||
                     (using_expr != nullptr &&
                      !using_is_column(using_expr, column, known->second, to, run_.search_path())))
                run_.report(Rule::column_type_rewrite, tree::location(def),
                            "changing column " + util::quoted(column) + " of existing table " + name_.quoted() +
                                " from " + tree::describe(known->second) + " to " + tree::describe(to) +
                                (change_keeps_table(known->second, to, run_.search_path()) ? " with a using expression"
                                                                                           : "") +
                                " rewrites the table under an access exclusive lock",
                            kRewriteFix);
        }
        t.columns[column] = to;
    }

    void add_constraint(TableState& t, Node def) {
        auto contype = tree::text(def.fields, "contype");
        check_constraint_locks(run_, name_, existing_, def.fields);
        if (contype != "CONSTR_FOREIGN" && contype != "CONSTR_CHECK") return;
        std::string name(tree::text(def.fields, "conname"));
        bool not_valid = tree::flag(def.fields, "skip_validation");
        if (contype == "CONSTR_CHECK") {
            std::string column = not_null_column(def.fields);
            if (!name.empty()) run_.checks[{name_.key(), name}] = {name_.key(), column, !not_valid};
            if (!not_valid && !column.empty()) t.not_null_checked.insert(column);
        }
        if (!existing_ || not_valid) return;
        bool fk = contype == "CONSTR_FOREIGN";
        std::string what = std::string(name.empty() ? "a " : "") + (fk ? "foreign key" : "check constraint") +
                           (name.empty() ? "" : " " + util::quoted(name));
        run_.report(Rule::constraint_not_valid, tree::location(def),
                    "adding " + what + " to existing table " + name_.quoted() + " checks every row while blocking " +
                        (fk ? "writes to both tables" : "writes to it"),
                    "add it with not valid, then validate constraint " + (name.empty() ? "<name>" : name) +
                        " in a later migration (validating does not block writes)");
    }

    Run& run_;
    QName name_;
    bool existing_;
};

void rename(Run& run, Node stmt) {
    auto type = tree::text(stmt.fields, "renameType");
    const Value* rel = tree::get(stmt.fields, "relation");
    std::string new_name(tree::text(stmt.fields, "newname"));
    if (type == "OBJECT_TABLE") {
        QName from = run.relation(rel);
        if (run.existing(from))
            run.report(Rule::rename_table, -1,
                       "renaming table " + from.quoted() + " to " + util::quoted(new_name) +
                           " breaks clients that still use the old name",
                       "keep the old name working (create view " + from.sql() + " as select * from " +
                           QName{from.schema, new_name}.sql() + ") until no deployed client uses it");
        auto node = run.tables.extract(from.key());
        if (node.empty()) return;
        TableState moved = std::move(node.mapped());
        moved.name = {from.schema, new_name};
        run.tables[moved.name.key()] = std::move(moved);
    } else if (type == "OBJECT_COLUMN" && tree::text(stmt.fields, "relationType") == "OBJECT_TABLE") {
        QName table = run.relation(rel);
        std::string column(tree::text(stmt.fields, "subname"));
        TableState& t = run.table(table);
        if (run.existing(table) && !t.new_columns.contains(column))
            run.report(Rule::rename_column, -1,
                       "renaming column " + util::quoted(column) + " of table " + table.quoted() + " to " +
                           util::quoted(new_name) + " breaks clients that still use the old name",
                       "add the new column, write both, move readers over, then drop the old one in a later release");
        if (auto it = t.columns.find(column); it != t.columns.end()) {
            t.columns[new_name] = it->second;
            t.columns.erase(column);
        }
        if (t.new_columns.erase(column)) t.new_columns.insert(new_name);
        if (t.not_null_checked.erase(column)) t.not_null_checked.insert(new_name);
    }
}

} // namespace

void unparsed_statement(Run& run, std::string_view code) {
    static const std::regex kCreateTable(
        R"(^\s*create\s+(?:(?:global|local)\s+)?(?:temp\s+|temporary\s+|unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?)"
        R"((?:("[^"]+"|[a-z_][a-z0-9_$]*)\s*\.\s*)?("[^"]+"|[a-z_][a-z0-9_$]*))",
        std::regex::icase);
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(code.begin(), code.end(), m, kCreateTable)) return;
    auto identifier = [](std::string s) { return s.starts_with('"') ? s.substr(1, s.size() - 2) : util::to_lower(s); };
    std::vector<std::string> parts;
    if (m[1].matched) parts.push_back(identifier(m[1].str()));
    parts.push_back(identifier(m[2].str()));
    TableState& t = run.table(run.resolve(parts, Run::Kind::table));
    t.is_new = run.in_target();
    t.rls = true;
}

bool check_table_statement(Run& run, Node stmt) {
    const Value* f = stmt.fields;
    if (stmt.type == "CreateStmt") {
        const Value* rel = tree::get(f, "relation");
        create_table(run, created_name(run, rel), tree::text(rel, "relpersistence") == "t",
                     tree::flag(f, "if_not_exists"), f);
    } else if (stmt.type == "CreateTableAsStmt") {
        if (tree::text(f, "objtype") != "OBJECT_TABLE") return true;
        const Value* rel = tree::get(tree::get(f, "into"), "rel");
        create_table(run, created_name(run, rel), tree::text(rel, "relpersistence") == "t",
                     tree::flag(f, "if_not_exists"), nullptr);
    } else if (stmt.type == "SelectStmt") {
        const Value* into = tree::get(f, "intoClause");
        if (into == nullptr) return true;
        const Value* rel = tree::get(into, "rel");
        create_table(run, created_name(run, rel), tree::text(rel, "relpersistence") == "t", false, nullptr);
    } else if (stmt.type == "AlterTableStmt") {
        if (tree::text(f, "objtype") != "OBJECT_TABLE") return true;
        AlterTable alter(run, run.relation(tree::get(f, "relation")));
        for (const Value* cmd : tree::items(f, "cmds")) {
            Node c = tree::node(cmd);
            if (c.type == "AlterTableCmd") alter.apply(c.fields);
        }
    } else if (stmt.type == "IndexStmt") {
        QName table = run.relation(tree::get(f, "relation"));
        if (!tree::flag(f, "concurrent") && run.existing(table))
            run.report(Rule::index_not_concurrent, -1,
                       "create index on existing table " + table.quoted() +
                           " without concurrently blocks writes to the table until the index is built",
                       "use create index concurrently, in a migration file of its own (it cannot run in a "
                       "transaction)");
    } else if (stmt.type == "DropStmt") {
        if (tree::text(f, "removeType") != "OBJECT_TABLE") return false;
        for (const Value* object : tree::items(f, "objects")) {
            Node list = tree::node(object);
            QName table = run.resolve(tree::names(list.fields, "items"), Run::Kind::table);
            if (run.existing(table))
                run.report(Rule::drop_table, -1,
                           "dropping table " + table.quoted() +
                               " breaks clients that still use it, and its data is gone",
                           "stop using the table in deployed code first, then drop it in a later release");
            run.tables.erase(table.key());
            std::erase_if(run.policies, [&](const auto& p) { return p.first.first == table.key(); });
        }
    } else if (stmt.type == "TruncateStmt") {
        for (const Value* item : tree::items(f, "relations")) {
            Node rel = tree::node(item);
            QName table = run.relation(rel.fields);
            if (run.existing(table))
                run.report(Rule::truncate, tree::location(rel),
                           "truncate deletes every row of existing table " + table.quoted(),
                           "delete only the rows you mean (delete ... where ...), and keep one-off data fixes out of "
                           "schema migrations");
        }
    } else if (stmt.type == "RenameStmt") {
        rename(run, stmt);
    } else {
        return false;
    }
    return true;
}

} // namespace sbdeploy::lint::detail
