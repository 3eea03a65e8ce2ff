// Locks an ALTER TABLE takes on a table that has rows and clients: an added column that
// brings a foreign key or a value per row, a UNIQUE or PRIMARY KEY whose index builds under
// the lock, and NOT VALID undone by a VALIDATE in the same transaction.
#include <algorithm>

#include "lint/engine.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

namespace {

using tree::Node;
using tree::Value;

// Functions whose value differs per row: a default calling one fills every row (a rewrite).
// now() and the like are stable: one value, stored once in the catalog, no rewrite.
constexpr std::string_view kVolatile[] = {
    "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "random", "clock_timestamp",
    "timeofday",       "nextval",          "gen_random_bytes",   "txid_current",
};

constexpr std::string_view kSerialTypes[] = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"};

// The first volatile function called in an expression, or "".
std::string volatile_call(const Value& v) {
    if (v.IsArray()) {
        for (const auto& item : v.GetArray())
            if (auto f = volatile_call(item); !f.empty()) return f;
        return "";
    }
    if (!v.IsObject()) return "";
    for (const auto& m : v.GetObject()) {
        if (std::string_view(m.name.GetString()) == "FuncCall") {
            auto name = tree::names(&m.value, "funcname");
            if (!name.empty() &&
                std::find(std::begin(kVolatile), std::end(kVolatile), name.back()) != std::end(kVolatile))
                return name.back() + "()";
        }
        if (auto f = volatile_call(m.value); !f.empty()) return f;
    }
    return "";
}

// Why adding this column rewrites the table, or "".
std::string rewrite_reason(const Value* column_def) {
    auto type = tree::type_ref(tree::get(column_def, "typeName"));
    if (std::find(std::begin(kSerialTypes), std::end(kSerialTypes), type.name) != std::end(kSerialTypes))
        return "its type " + type.name + " gives every row a value from a sequence";
    for (const Value* c : tree::items(column_def, "constraints")) {
        Node con = tree::node(c);
        auto contype = tree::text(con.fields, "contype");
        if (contype == "CONSTR_IDENTITY") return "an identity column gives every row a value from a sequence";
        if (contype == "CONSTR_GENERATED") return "a stored generated column is computed for every row";
        if (contype == "CONSTR_DEFAULT")
            if (const Value* expr = tree::get(con.fields, "raw_expr"))
                if (auto f = volatile_call(*expr); !f.empty())
                    return "its default " + f + " is volatile: every row gets its own value";
    }
    return "";
}

}  // namespace

void check_add_column_locks(Run& run, const QName& table, const Value* column_def) {
    std::string column(tree::text(column_def, "colname"));
    int at = tree::integer(column_def, "location", -1);
    for (const Value* c : tree::items(column_def, "constraints")) {
        Node con = tree::node(c);
        if (tree::text(con.fields, "contype") != "CONSTR_FOREIGN") continue;
        QName target = run.relation(tree::get(con.fields, "pktable"));
        run.report(Rule::add_column_references, tree::location(con),
                   "column " + util::quoted(column) + " is added to existing table " + table.quoted() +
                       " with references " + target.quoted() +
                       ": the foreign key is validated at once, blocking "
                       "writes to both tables while it checks",
                   "add the column without references, then alter table " + table.sql() + " add constraint " +
                       table.name + "_" + column + "_fkey foreign key (" + column + ") references " + target.sql() +
                       " not valid; and validate constraint it in a later migration");
    }
    if (auto why = rewrite_reason(column_def); !why.empty())
        run.report(Rule::add_column_rewrite, at,
                   "adding column " + util::quoted(column) + " to existing table " + table.quoted() +
                       " rewrites the table under an access exclusive lock: " + why,
                   "add the column without it (nullable, or with a constant default), backfill it in batches, then "
                   "set the default or the expression for new rows");
}

void check_constraint_locks(Run& run, const QName& table, bool existing, const Value* constraint) {
    auto contype = tree::text(constraint, "contype");
    std::string name(tree::text(constraint, "conname"));
    if (existing && tree::flag(constraint, "skip_validation") && !name.empty())
        run.not_valid[{table.key(), name}] = run.place().file;
    if (!existing || (contype != "CONSTR_UNIQUE" && contype != "CONSTR_PRIMARY")) return;
    if (!tree::text(constraint, "indexname").empty()) return;  // USING INDEX: built already
    bool primary = contype == "CONSTR_PRIMARY";
    std::string index = name.empty() ? table.name + (primary ? "_pkey" : "_key") : name;
    auto keys = tree::names(constraint, "keys");
    std::string columns;
    for (const auto& k : keys) columns += (columns.empty() ? "" : ", ") + k;
    run.report(Rule::constraint_without_index, tree::location(tree::Node{"Constraint", constraint}),
               std::string("adding a ") + (primary ? "primary key" : "unique constraint") + " to existing table " +
                   table.quoted() + " builds its index under an access exclusive lock: reads and writes wait",
               "create unique index concurrently " + index + " on " + table.sql() + " (" + columns +
                   ") in a migration of its own, then add constraint " + index +
                   (primary ? " primary key" : " unique") + " using index " + index);
}

void check_validate(Run& run, const QName& table, const std::string& constraint) {
    auto it = run.not_valid.find({table.key(), constraint});
    if (it == run.not_valid.end()) return;
    if (it->second == run.place().file)
        run.report(Rule::validate_same_file, -1,
                   "constraint " + util::quoted(constraint) + " of " + table.quoted() +
                       " is added not valid and validated in the same file: one transaction holds the lock of the "
                       "first while the second scans, so not valid gains nothing",
                   "move alter table " + table.sql() + " validate constraint " + constraint +
                       " into a later migration file");
    run.not_valid.erase(it);
}

}  // namespace sbdeploy::lint::detail
