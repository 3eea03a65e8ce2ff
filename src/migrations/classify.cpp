#include "migrations/classify.hpp"

#include <pg_query.h>
#include <rapidjson/document.h>

#include <string>

namespace sbdeploy::migrations {

namespace {

bool flag_true(const rapidjson::Value& node, const char* name) {
    auto it = node.FindMember(name);
    return it != node.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string_view str(const rapidjson::Value& node, const char* name) {
    auto it = node.FindMember(name);
    return it != node.MemberEnd() && it->value.IsString() ? std::string_view(it->value.GetString()) : std::string_view();
}

// REINDEX (CONCURRENTLY) puts the option in params as a DefElem.
bool has_defelem(const rapidjson::Value& node, const char* list, std::string_view defname) {
    auto it = node.FindMember(list);
    if (it == node.MemberEnd() || !it->value.IsArray()) return false;
    for (const auto& item : it->value.GetArray()) {
        if (!item.IsObject()) continue;
        auto de = item.FindMember("DefElem");
        if (de != item.MemberEnd() && de->value.IsObject() && str(de->value, "defname") == defname) return true;
    }
    return false;
}

StatementKind classify_node(const rapidjson::Value& stmt) {
    if (!stmt.IsObject() || stmt.MemberCount() == 0) return StatementKind::ordinary;
    std::string_view type = stmt.MemberBegin()->name.GetString();
    const auto& node = stmt.MemberBegin()->value;
    if (type == "TransactionStmt") {
        auto kind = str(node, "kind");
        if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") return StatementKind::begin;
        if (kind == "TRANS_STMT_COMMIT") return StatementKind::commit;
        if (kind == "TRANS_STMT_SAVEPOINT" || kind == "TRANS_STMT_RELEASE" || kind == "TRANS_STMT_ROLLBACK_TO")
            return StatementKind::savepoint;
        return StatementKind::other_control;
    }
    if (type == "IndexStmt" && flag_true(node, "concurrent")) return StatementKind::non_transactional;
    if (type == "DropStmt" && flag_true(node, "concurrent")) return StatementKind::non_transactional;
    if (type == "ReindexStmt" && has_defelem(node, "params", "concurrently")) return StatementKind::non_transactional;
    if (type == "VacuumStmt" && flag_true(node, "is_vacuumcmd")) return StatementKind::non_transactional;
    if (type == "ClusterStmt" && !node.HasMember("relation")) return StatementKind::non_transactional;
    if (type == "AlterSystemStmt" || type == "CreatedbStmt" || type == "DropdbStmt" ||
        type == "CreateTableSpaceStmt" || type == "DropTableSpaceStmt")
        return StatementKind::non_transactional;
    return StatementKind::ordinary;
}

} // namespace

StatementKind classify_statement(std::string_view sql) {
    std::string text(sql);
    PgQueryParseResult result = pg_query_parse(text.c_str());
    StatementKind kind = StatementKind::ordinary;
    if (result.error != nullptr) {
        kind = StatementKind::unparsed;
    } else {
        rapidjson::Document doc;
        doc.Parse(result.parse_tree);
        if (doc.HasParseError() || !doc.IsObject()) {
            kind = StatementKind::unparsed;
        } else {
            auto stmts = doc.FindMember("stmts");
            if (stmts == doc.MemberEnd() || !stmts->value.IsArray() || stmts->value.Empty()) {
                kind = StatementKind::empty;
            } else {
                const auto& first = stmts->value[0];
                auto s = first.FindMember("stmt");
                kind = s == first.MemberEnd() ? StatementKind::ordinary : classify_node(s->value);
            }
        }
    }
    pg_query_free_parse_result(result);
    return kind;
}

std::string_view describe_kind(StatementKind kind) {
    switch (kind) {
    case StatementKind::ordinary: return "statement";
    case StatementKind::empty: return "comment";
    case StatementKind::begin: return "BEGIN";
    case StatementKind::commit: return "COMMIT";
    case StatementKind::savepoint: return "savepoint";
    case StatementKind::other_control: return "transaction control";
    case StatementKind::non_transactional: return "statement that cannot run in a transaction block";
    case StatementKind::unparsed: return "statement";
    }
    return "statement";
}

Result<FilePlan> plan_file(const std::vector<StatementKind>& kinds) {
    FilePlan plan;
    plan.skip.assign(kinds.size(), false);
    // Indexes of the first and last statements that are not comments.
    std::size_t first = kinds.size(), last = kinds.size();
    std::size_t non_tx = 0, real = 0;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] == StatementKind::empty) continue;
        if (first == kinds.size()) first = i;
        last = i;
        ++real;
        if (kinds[i] == StatementKind::non_transactional) ++non_tx;
    }
    if (real == 0) return plan;
    bool wrapped = kinds[first] == StatementKind::begin && kinds[last] == StatementKind::commit && first != last;

    auto error_at = [](std::size_t index, std::string message, std::string hint) {
        Error e = make_error(ErrorKind::config, std::move(message), std::move(hint));
        e.line = static_cast<int>(index);  // statement index; the caller maps it to a line
        return fail(std::move(e));
    };

    // Rule table, first match wins:
    //   BEGIN/COMMIT other than one pair around the whole file  -> error
    //   ROLLBACK, PREPARE TRANSACTION, ...                        -> error
    //   non-transactional mixed with anything else               -> error
    //   only non-transactional statements                        -> one by one
    //   BEGIN first and COMMIT last                              -> self_wrapped
    //   otherwise                                                -> atomic
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        auto k = kinds[i];
        bool is_wrapper = wrapped && (i == first || i == last);
        if ((k == StatementKind::begin || k == StatementKind::commit) && !is_wrapper)
            return error_at(i,
                            std::string(describe_kind(k)) +
                                " in the middle of a migration would split it into separate transactions, so a "
                                "failure could leave half of it applied",
                            "remove the transaction control (sbdeploy applies each file atomically with its history "
                            "row), or split the file into two migrations");
        if (k == StatementKind::other_control)
            return error_at(i, "transaction control (ROLLBACK, PREPARE TRANSACTION, ...) cannot be part of a migration",
                            "remove it: sbdeploy applies each file in one transaction and rolls it back on failure");
        if (k == StatementKind::non_transactional && non_tx != real)
            return error_at(i,
                            "this statement cannot run in a transaction block, and the file has other statements "
                            "that must",
                            "move it into a migration file of its own; sbdeploy runs such a file statement by "
                            "statement and records it after the last one succeeds");
    }
    if (non_tx == real) {
        plan.mode = FileMode::non_transactional;
        return plan;
    }
    if (wrapped) {
        plan.mode = FileMode::self_wrapped;
        plan.skip[first] = true;
        plan.skip[last] = true;
    }
    return plan;
}

} // namespace sbdeploy::migrations
