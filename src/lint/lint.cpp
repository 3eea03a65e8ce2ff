#include "lint/lint.hpp"

#include <pg_query.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <utility>

#include "lint/bodies.hpp"
#include "lint/directives.hpp"
#include "lint/engine.hpp"
#include "migrations/classify.hpp"
#include "migrations/parse_tree.hpp"
#include "migrations/sql_comments.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint {

using detail::Run;
using tree::Node;

namespace {

using detail::directives;
using detail::kDirective;

// Byte offset of the first token at or after `from` (white space and comments skipped).
std::size_t code_start(std::string_view text, std::size_t from) {
    return migrations::skip_space_and_comments(text, from);
}

// File position of a byte offset in the statement's text.
migrations::SourcePosition at_offset(const migrations::Statement& s, std::size_t offset) {
    int chars = 0;
    for (std::size_t i = 0; i < offset && i < s.text.size(); ++i)
        if ((static_cast<unsigned char>(s.text[i]) & 0xC0) != 0x80) ++chars;
    return migrations::position_in_file(s, chars + 1);
}

// Byte offset of a 1-based character position (libpg_query's cursorpos).
int byte_offset(std::string_view text, int position) {
    if (position <= 0) return -1;
    int chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
        if (++chars == position) return static_cast<int>(i);
    }
    return static_cast<int>(text.size());
}

enum class Tx { none, begin, commit, savepoint, other };

Tx transaction_kind(std::string_view kind) {
    if (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") return Tx::begin;
    if (kind == "TRANS_STMT_COMMIT") return Tx::commit;
    if (kind == "TRANS_STMT_SAVEPOINT" || kind == "TRANS_STMT_RELEASE" || kind == "TRANS_STMT_ROLLBACK_TO")
        return Tx::savepoint;
    return Tx::other;
}

std::string_view transaction_word(std::string_view kind) {
    static constexpr std::pair<std::string_view, std::string_view> kWords[] = {
        {"TRANS_STMT_BEGIN", "BEGIN"},
        {"TRANS_STMT_START", "START TRANSACTION"},
        {"TRANS_STMT_COMMIT", "COMMIT"},
        {"TRANS_STMT_ROLLBACK", "ROLLBACK"},
        {"TRANS_STMT_PREPARE", "PREPARE TRANSACTION"},
        {"TRANS_STMT_COMMIT_PREPARED", "COMMIT PREPARED"},
        {"TRANS_STMT_ROLLBACK_PREPARED", "ROLLBACK PREPARED"},
    };
    for (auto [k, word] : kWords)
        if (k == kind) return word;
    return "transaction control";
}

// SET search_path changes how the rest of the file resolves unqualified names.
void follow_search_path(Run& run, Node set) {
    if (tree::text(set.fields, "name") != "search_path") {
        if (tree::text(set.fields, "kind") == "VAR_RESET_ALL") run.set_search_path({"public"});
        return;
    }
    if (tree::text(set.fields, "kind") != "VAR_SET_VALUE") {
        run.set_search_path({"public"});
        return;
    }
    std::vector<std::string> path;
    for (const tree::Value* arg : tree::items(set.fields, "args")) {
        Node n = tree::node(arg);
        std::string_view schema = tree::text(tree::get(n.fields, "sval"), "sval");
        if (n.type != "A_Const" || schema.empty() || schema == "$user") continue;
        path.emplace_back(schema);
    }
    run.set_search_path(std::move(path));
}

class FileReader {
public:
    FileReader(Run& run, const SourceFile& file) : run_(run), file_(file) {}

    // Reads every statement: parse errors, the checks, transaction control.
    void read(std::map<std::pair<std::size_t, std::size_t>, std::vector<Rule>>& ignores, std::size_t index) {
        tx_.assign(file_.statements.size(), {Tx::none, {}});
        int open_blocks = 0;  // of a body cut by the splitter at a parse error: its pieces are part of it
        for (std::size_t i = 0; i < file_.statements.size(); ++i) {
            const auto& st = file_.statements[i];
            if (open_blocks > 0) {
                open_blocks += detail::block_depth(st.text);
                continue;
            }
            std::size_t code = code_start(st.text, 0);
            run_.begin_statement(i, static_cast<int>(code));
            auto d = directives(st.text, code);
            if (!d.rules.empty()) ignores[{index, i}] = std::move(d.rules);
            for (const auto& [id, offset] : d.unknown) {
                auto near = nearest_rule(id);
                run_.report(Rule::unknown_ignore, offset,
                            util::quoted(id) + " in " + std::string(kDirective) + " is not a lint rule",
                            near.empty() ? "use a rule id from 'sbdeploy lint --help'"
                                         : "did you mean " + util::quoted(near) + "?");
            }
            if (!read_statement(i, st)) open_blocks = std::max(0, detail::block_depth(st.text));
        }
        check_transactions();
    }

private:
    // False when the statement does not parse (reported).
    bool read_statement(std::size_t index, const migrations::Statement& st) {
        // The walk runs inside parse_sql, on the parser's stack: a deep tree is safe there.
        auto failure = migrations::parse_sql(st.text, [&](const char* json) { read_tree(index, st, json); });
        if (!failure) return true;
        real_.push_back(index);  // a statement, whatever it is
        detail::unparsed_statement(run_, std::string_view(st.text).substr(code_start(st.text, 0)));
        run_.report(Rule::parse_error, byte_offset(st.text, failure->cursorpos), std::move(failure->message),
                    failure->too_deep ? "split the expression (a long chain of operators) into smaller ones, or "
                                        "several statements"
                                      : "correct the statement: sbdeploy reads it with PostgreSQL " PG_MAJORVERSION
                                        "'s parser");
        return false;
    }

    void read_tree(std::size_t index, const migrations::Statement& st, const char* json) {
        rapidjson::Document doc;
        doc.Parse<rapidjson::kParseIterativeFlag>(json);
        if (doc.HasParseError()) return;
        bool any = false;
        for (const tree::Value* raw : tree::items(&doc, "stmts")) {
            int location = tree::integer(raw, "stmt_location", 0);
            run_.begin_statement(index, static_cast<int>(code_start(st.text, static_cast<std::size_t>(location))));
            Node stmt = tree::node(tree::get(raw, "stmt"));
            if (!stmt) continue;
            any = true;
            if (stmt.type == "TransactionStmt") {
                auto kind = tree::text(stmt.fields, "kind");
                if (tx_[index].first == Tx::none) tx_[index] = {transaction_kind(kind), std::string(kind)};
            } else if (stmt.type == "VariableSetStmt") {
                follow_search_path(run_, stmt);
            } else if (!detail::check_table_statement(run_, stmt)) {
                detail::check_access_statement(run_, stmt);
            }
        }
        if (any) real_.push_back(index);
    }

    // push's transaction rules (migrations::plan_file): ROLLBACK, PREPARE TRANSACTION and the
    // like are errors (push refuses the file); the first COMMIT that splits the file is a
    // warning (push applies it in parts); a BEGIN or COMMIT that splits nothing is redundant.
    void check_transactions() {
        if (real_.empty()) return;
        using K = migrations::StatementKind;
        std::vector<K> kinds(file_.statements.size(), K::empty);
        for (std::size_t i : real_)
            kinds[i] = tx_[i].first == Tx::begin ? K::begin : tx_[i].first == Tx::commit ? K::commit : K::ordinary;
        auto plan = migrations::plan_file(kinds, migrations::Splits::parts);
        const bool parts = plan && plan->mode == migrations::FileMode::parts;
        const bool wrapped = plan && plan->mode == migrations::FileMode::self_wrapped &&
                             tx_[real_.front()].first == Tx::begin && tx_[real_.back()].first == Tx::commit;
        bool redundant_reported = false;
        for (std::size_t i : real_) {
            auto [kind, name] = tx_[i];
            if (kind == Tx::none || kind == Tx::savepoint) continue;
            run_.begin_statement(i, static_cast<int>(code_start(file_.statements[i].text, 0)));
            std::string word(transaction_word(name));
            if (kind == Tx::other) {
                run_.report(Rule::transaction_control, -1,
                            word + " inside a migration: " +
                                (word.starts_with("ROLLBACK") ? "it would undo the statements before it"
                                                              : "it would hand the file's work to another session"),
                            "remove it: each file runs in a transaction that sbdeploy commits with its history row, or "
                            "rolls back on failure");
            } else if (parts) {
                if (i == plan->first_split)
                    run_.report(Rule::mid_file_commit, -1,
                                "COMMIT in the middle: push applies this file in " +
                                    std::to_string(plan->part_ends.size()) +
                                    " transactions, and if a later part fails the parts before it stay applied",
                                "legitimate when a later part uses an enum value that ALTER TYPE ... ADD VALUE added "
                                "before it (Postgres needs the commit in between); otherwise remove the COMMIT, or "
                                "split the file into migrations of their own");
            } else if (!redundant_reported) {
                redundant_reported = true;
                run_.report(Rule::transaction_wrapper, -1,
                            wrapped ? std::string("BEGIN and COMMIT around the whole file are redundant: sbdeploy "
                                                  "applies each file in one transaction with its history row")
                                    : word + " here is redundant: sbdeploy applies the file in one transaction with "
                                             "its history row",
                            wrapped ? "remove the BEGIN and COMMIT statements" : "remove it");
            }
        }
    }

    Run& run_;
    const SourceFile& file_;
    std::vector<std::pair<Tx, std::string>> tx_;
    std::vector<std::size_t> real_;  // statements that are more than comments
};

} // namespace

SourceFile source_file(std::string display, std::string_view text, Role role) {
    SourceFile f;
    f.display = std::move(display);
    f.role = role;
    auto statements = migrations::split_statements(text);
    if (statements)
        f.statements = std::move(*statements);
    else
        f.split_error = std::move(statements.error());
    return f;
}

Config default_config() {
    Config c;
    c.rules = *rule_set({});
    return c;
}

std::vector<Finding> lint(std::span<const SourceFile> files, const Config& config) {
    Run run(files, config);
    std::map<std::pair<std::size_t, std::size_t>, std::vector<Rule>> ignores;
    std::vector<std::pair<std::size_t, Finding>> out;  // file index, finding
    auto enabled = [&](Rule r) { return config.rules.enabled.empty() || config.rules.on(r); };
    auto severity_of = [&](Rule r, std::optional<Severity> chosen) {
        auto level = config.severity.find(r);
        return level != config.severity.end() ? level->second : chosen.value_or(info(r).severity);
    };

    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        run.begin_file(i);
        for (const auto& ff : f.file_findings)
            if (f.role == Role::target && enabled(ff.rule))
                out.push_back({i, {ff.rule, severity_of(ff.rule, std::nullopt), f.display, 1, 1, ff.message, ff.fix}});
        if (f.split_error) {
            if (f.role == Role::target && enabled(Rule::parse_error))
                out.push_back({i,
                               {Rule::parse_error, severity_of(Rule::parse_error, std::nullopt), f.display,
                                f.split_error->line, f.split_error->column, f.split_error->message,
                                f.split_error->hint}});
            continue;
        }
        FileReader(run, f).read(ignores, i);
    }
    detail::finish_access(run);

    for (auto& raw : run.take_findings()) {
        if (!enabled(raw.rule)) continue;
        if (auto it = ignores.find({raw.place.file, raw.place.statement}); it != ignores.end())
            if (std::find(it->second.begin(), it->second.end(), raw.rule) != it->second.end()) continue;
        const auto& file = files[raw.place.file];
        const auto& st = file.statements[raw.place.statement];
        auto where = at_offset(st, static_cast<std::size_t>(std::max(raw.place.offset, 0)));
        Severity severity = severity_of(raw.rule, raw.severity);
        out.push_back({raw.place.file,
                       {raw.rule, severity, file.display, where.line, where.column, std::move(raw.message),
                        std::move(raw.fix)}});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first, a.second.line, a.second.column) < std::tie(b.first, b.second.line, b.second.column);
    });
    std::vector<Finding> findings;
    findings.reserve(out.size());
    for (auto& [file, finding] : out) findings.push_back(std::move(finding));
    return findings;
}

} // namespace sbdeploy::lint
