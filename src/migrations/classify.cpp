#include "migrations/classify.hpp"

#include "migrations/parse_tree.hpp"

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
    return it != node.MemberEnd() && it->value.IsString() ? std::string_view(it->value.GetString())
                                                          : std::string_view();
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
    // COPY with no file name reads from or writes to the client: nobody feeds it in a migration.
    if (type == "CopyStmt" && str(node, "filename").empty() && !flag_true(node, "is_program"))
        return StatementKind::copy_client;
    if (type == "IndexStmt" && flag_true(node, "concurrent")) return StatementKind::non_transactional;
    if (type == "DropStmt" && flag_true(node, "concurrent")) return StatementKind::non_transactional;
    if (type == "ReindexStmt" && has_defelem(node, "params", "concurrently")) return StatementKind::non_transactional;
    if (type == "VacuumStmt" && flag_true(node, "is_vacuumcmd")) return StatementKind::non_transactional;
    if (type == "ClusterStmt" && !node.HasMember("relation")) return StatementKind::non_transactional;
    if (type == "AlterSystemStmt" || type == "CreatedbStmt" || type == "DropdbStmt" || type == "CreateTableSpaceStmt" ||
        type == "DropTableSpaceStmt")
        return StatementKind::non_transactional;
    return StatementKind::ordinary;
}

} // namespace

StatementKind classify_statement(std::string_view sql) {
    StatementKind kind = StatementKind::ordinary;
    auto failure = parse_sql(sql, [&kind](const char* json) {
        rapidjson::Document doc;
        doc.Parse(json);
        if (doc.HasParseError() || !doc.IsObject()) {
            kind = StatementKind::unparsed;
            return;
        }
        auto stmts = doc.FindMember("stmts");
        if (stmts == doc.MemberEnd() || !stmts->value.IsArray() || stmts->value.Empty()) {
            kind = StatementKind::empty;
        } else {
            const auto& first = stmts->value[0];
            auto s = first.FindMember("stmt");
            kind = s == first.MemberEnd() ? StatementKind::ordinary : classify_node(s->value);
        }
    });
    if (failure) return failure->too_deep ? StatementKind::too_deep : StatementKind::unparsed;
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
    case StatementKind::copy_client: return "COPY from or to the client";
    case StatementKind::unparsed: return "statement";
    case StatementKind::too_deep: return "statement";
    }
    return "statement";
}

Error split_refused(std::size_t index, std::string_view what, std::string hint) {
    Error e = make_error(ErrorKind::config,
                         "COMMIT in the middle of " + std::string(what) +
                             " would split it into separate transactions, so a failure could leave half of it applied",
                         std::move(hint));
    e.line = static_cast<int>(index);  // statement index; the caller maps it to a line
    return e;
}

Result<FilePlan> plan_file(const std::vector<StatementKind>& kinds, Splits splits) {
    FilePlan plan;
    plan.skip.assign(kinds.size(), false);
    std::size_t non_tx = 0, real = 0;
    for (auto k : kinds) {
        if (k == StatementKind::empty) continue;
        ++real;
        if (k == StatementKind::non_transactional) ++non_tx;
    }
    if (real == 0) return plan;

    auto error_at = [](std::size_t index, std::string message, std::string hint) {
        Error e = make_error(ErrorKind::config, std::move(message), std::move(hint));
        e.line = static_cast<int>(index);  // statement index; the caller maps it to a line
        return fail(std::move(e));
    };

    // Rule table, first match wins:
    //   a statement too deeply nested to parse                    -> error
    //   ROLLBACK, PREPARE TRANSACTION, ...                        -> error
    //   COPY FROM STDIN / TO STDOUT                               -> error
    //   non-transactional mixed with anything else               -> error
    //   only non-transactional statements                        -> one by one
    //   otherwise the file's BEGINs are dropped (sbdeploy's transaction is open) and each COMMIT
    //   ends a part; parts without a statement vanish:
    //     one part (BEGIN/COMMIT around the file, or none)       -> atomic / self_wrapped
    //     more (Splits::parts)                                   -> parts
    //     more (Splits::refused)                                 -> error at the first split
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        auto k = kinds[i];
        if (k == StatementKind::too_deep)
            return error_at(i,
                            "statement too deeply nested for PostgreSQL's parser (more than " +
                                std::to_string(kMaxParseDepth) + " levels)",
                            "split the expression (a long chain of operators) into smaller ones, or several "
                            "statements");
        if (k == StatementKind::other_control)
            return error_at(
                i,
                "ROLLBACK, PREPARE TRANSACTION and the like cannot be part of a migration: it would undo "
                "or hand off its own work",
                "remove it: each file runs in a transaction that sbdeploy commits, or rolls back on failure");
        if (k == StatementKind::copy_client)
            return error_at(
                i,
                "COPY ... FROM STDIN and COPY ... TO STDOUT need a client that sends or reads the rows, and "
                "a migration has none (the Supabase CLI cannot feed it either)",
                "write the rows as INSERT statements (pg_dump --inserts), or put them in seed.sql");
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
    bool controlled = false;
    std::size_t in_part = 0;  // statements of the part being read
    std::vector<std::size_t> commits;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        auto k = kinds[i];
        if (k == StatementKind::begin || k == StatementKind::commit) {
            plan.skip[i] = controlled = true;
            if (k == StatementKind::commit && in_part > 0) {
                plan.part_ends.push_back(i + 1);
                commits.push_back(i);
                in_part = 0;
            }
        } else if (k != StatementKind::empty) {
            ++in_part;
        }
    }
    if (in_part > 0 || plan.part_ends.empty()) {
        plan.part_ends.push_back(kinds.size());
    } else {
        plan.part_ends.back() = kinds.size();  // comments after the last COMMIT go with the last part
        commits.pop_back();
    }
    if (plan.part_ends.size() == 1) {
        plan.part_ends.clear();
        plan.mode = controlled ? FileMode::self_wrapped : FileMode::atomic;
        return plan;
    }
    if (splits == Splits::refused)
        return fail(split_refused(commits.front(), "this file",
                                  "remove the transaction control (the file is applied in one transaction), or split "
                                  "the file in two"));
    plan.mode = FileMode::parts;
    plan.first_split = commits.front();
    return plan;
}

} // namespace sbdeploy::migrations
