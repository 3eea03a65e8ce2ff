#include "migrations/lock_budget.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "migrations/parse_tree.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

// Entries of the dry run's own: the history table (its table, index, TOAST), the catalogs the
// down check reads beyond the 16 fast-path slots a session has for them.
constexpr long kOwnEntries = 64;
// A statement the parser cannot read: some room for it anyway.
constexpr std::size_t kUnparsed = 4;
// CREATE EXTENSION creates what its script says: tables among them.
constexpr std::size_t kExtension = 16;

// Objects that live in pg_class: dropping one of these locks a relation.
constexpr std::array<std::string_view, 3> kTableTypes = {"OBJECT_TABLE", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"};
// ALTER TABLE subcommands that build a new copy of the table (a new heap, TOAST table and index,
// and the indexes rebuilt), or that may add a TOAST table.
constexpr std::array<std::string_view, 5> kRewrites = {"AT_AlterColumnType", "AT_SetLogged", "AT_SetUnLogged",
                                                       "AT_SetAccessMethod", "AT_SetTableSpace"};
constexpr std::array<std::string_view, 6> kSerials = {"serial",  "serial2",     "serial4",
                                                      "serial8", "smallserial", "bigserial"};
// Constraints that bring an index (primary key, unique, exclusion) or a sequence (identity).
constexpr std::array<std::string_view, 4> kIndexed = {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION",
                                                      "CONSTR_IDENTITY"};
// Statements that lock the one object they change (besides the relations they name).
constexpr std::array<std::string_view, 10> kObjectChanges = {
    "CommentStmt",   "AlterFunctionStmt", "AlterOwnerStmt", "RenameStmt",      "AlterObjectSchemaStmt",
    "AlterEnumStmt", "AlterDomainStmt",   "AlterTypeStmt",  "AlterPolicyStmt", "AlterExtensionStmt"};

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
    return std::ranges::find(set, s) != set.end();
}

std::string_view text(const rapidjson::Value& node, const char* name) {
    auto it = node.FindMember(name);
    return it != node.MemberEnd() && it->value.IsString() ? std::string_view(it->value.GetString())
                                                          : std::string_view();
}

// The type name's last part when it names one type without a schema ("serial"), else empty.
std::string_view bare_type(const rapidjson::Value& type_name) {
    if (!type_name.IsObject()) return {};
    auto names = type_name.FindMember("names");
    if (names == type_name.MemberEnd() || !names->value.IsArray() || names->value.Size() != 1) return {};
    const auto& only = names->value[0];
    auto str = only.IsObject() ? only.FindMember("String") : only.MemberEnd();
    return str != only.MemberEnd() && str->value.IsObject() ? text(str->value, "sval") : std::string_view();
}

// Counts one statement's entries into `named` (relations and schemas, once each) and `extra`.
class Walk {
public:
    Walk(std::unordered_set<std::string>& named, std::size_t& added) : named_(named), added_(added) {}

    void statement(const rapidjson::Value& stmt) {
        if (!stmt.IsObject() || stmt.MemberCount() != 1) return;
        const std::string_view type = stmt.MemberBegin()->name.GetString();
        const auto& body = stmt.MemberBegin()->value;
        if (type == "CreateStmt" || type == "CreateTableAsStmt") added_ += 2;  // its TOAST table and index
        if (type == "IndexStmt") added_ += 1;
        if (type == "CreateExtensionStmt") added_ += kExtension;
        if (type == "DropStmt" && body.IsObject()) dropped(body);
        if (one_of(type, kObjectChanges)) added_ += 1;
        node(body);
    }

private:
    void dropped(const rapidjson::Value& drop) {
        auto objects = drop.FindMember("objects");
        if (objects == drop.MemberEnd() || !objects->value.IsArray()) return;
        // A table brings its TOAST table, that one's index and at least one index of its own.
        added_ += objects->value.Size() * (one_of(text(drop, "removeType"), kTableTypes) ? 4 : 1);
    }

    void relation(const rapidjson::Value& range_var) {
        const std::string schema(text(range_var, "schemaname"));
        name("schema " + schema);  // creating in a schema locks the schema
        name(schema + "." + std::string(text(range_var, "relname")));
    }

    void name(std::string key) {
        if (named_.insert(std::move(key)).second) ++added_;
    }

    void node(const rapidjson::Value& v) {
        if (v.IsArray()) {
            for (const auto& item : v.GetArray()) node(item);
            return;
        }
        if (!v.IsObject()) return;
        // Shapes, not wrappers: a RangeVar in a field is not wrapped in {"RangeVar": ...}.
        if (v.HasMember("relname") && v.HasMember("relpersistence")) relation(v);
        if (one_of(text(v, "contype"), kIndexed)) ++added_;
        if (auto type_name = v.FindMember("typeName");
            type_name != v.MemberEnd() && v.HasMember("colname") && one_of(bare_type(type_name->value), kSerials))
            ++added_;
        if (const auto subtype = text(v, "subtype"); one_of(subtype, kRewrites))
            added_ += 4;
        else if (subtype == "AT_AddColumn")
            added_ += 3;
        for (const auto& member : v.GetObject()) node(member.value);
    }

    std::unordered_set<std::string>& named_;
    std::size_t& added_;
};

long number(const db::Value& v) {
    long out = 0;
    if (!v) return 0;
    std::from_chars(v->data(), v->data() + v->size(), out);
    return out;
}

} // namespace

long LockCapacity::total() const { return max_locks_per_transaction * (max_connections + max_prepared_transactions); }

long LockCapacity::budget() const {
    const long room = std::max(total() / 10, max_locks_per_transaction);
    return total() - held_by_others - room - kOwnEntries;
}

std::string LockCapacity::describe() const {
    return "max_locks_per_transaction " + std::to_string(max_locks_per_transaction) + " x (max_connections " +
           std::to_string(max_connections) + " + max_prepared_transactions " +
           std::to_string(max_prepared_transactions) +
           ") = " + util::grouped(static_cast<std::size_t>(std::max(0L, total())));
}

Result<LockCapacity> read_lock_capacity(db::Session& session) {
    auto r = session.exec(
        "SELECT current_setting('max_locks_per_transaction'), current_setting('max_connections'), "
        "current_setting('max_prepared_transactions'), "
        "(SELECT count(*) FROM pg_locks WHERE NOT fastpath AND pid IS DISTINCT FROM pg_backend_pid())::text");
    if (!r) return fail(std::move(r.error()));
    if (r->rows.size() != 1 || r->rows[0].size() != 4)
        return fail(ErrorKind::operation,
                    "reading the server's lock settings: unexpected answer from " + session.describe());
    const auto& row = r->rows[0];
    LockCapacity c{number(row[0]), number(row[1]), number(row[2]), number(row[3])};
    if (c.max_locks_per_transaction <= 0 || c.max_connections <= 0)
        return fail(ErrorKind::operation,
                    "reading the server's lock settings: unexpected answer from " + session.describe());
    return c;
}

std::size_t LockEstimate::add(const Migration& m) {
    std::size_t added = 0;
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
        if (i < m.plan.skip.size() && m.plan.skip[i]) continue;
        Walk walk(named_, added);
        auto failure = parse_sql(m.statements[i].text, [&walk](const char* json) {
            rapidjson::Document doc;
            doc.Parse(json);
            auto stmts = doc.IsObject() ? doc.FindMember("stmts") : doc.MemberEnd();
            if (!doc.IsObject() || stmts == doc.MemberEnd() || !stmts->value.IsArray()) return;
            for (const auto& s : stmts->value.GetArray()) {
                if (!s.IsObject()) continue;
                if (auto stmt = s.FindMember("stmt"); stmt != s.MemberEnd()) walk.statement(stmt->value);
            }
        });
        if (failure) added += kUnparsed;
    }
    total_ += added;
    return added;
}

std::size_t files_that_fit(std::span<const Migration* const> pending, long budget) {
    LockEstimate estimate;
    for (std::size_t k = 0; k < pending.size(); ++k) {
        estimate.add(*pending[k]);
        if (static_cast<long>(estimate.total()) > budget) return k;
    }
    return pending.size();
}

} // namespace sbdeploy::migrations
