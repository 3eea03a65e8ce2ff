#include "migrations/apply.hpp"

#include <chrono>

#include "db/history.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

// The session state every file starts from (the CLI's RESET ALL, plus the role,
// which RESET ALL leaves alone), then our timeouts.
void add_setup(std::vector<db::BatchItem>& items, const Settings& s, std::vector<std::string>& storage) {
    items.push_back({"RESET ALL", {}});
    items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});
    if (s.lock_timeout_ms > 0) {
        storage.push_back("SET lock_timeout = '" + std::to_string(s.lock_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
    if (s.statement_timeout_ms > 0) {
        storage.push_back("SET statement_timeout = '" + std::to_string(s.statement_timeout_ms) + "ms'");
        items.push_back({storage.back(), {}});
    }
}

// Maps a batch failure back to a statement (or to the bookkeeping around it).
Error batch_error(const Migration& m, const std::vector<std::size_t>& item_to_statement, std::size_t setup_items,
                  const db::BatchFailure& f) {
    if (f.index >= setup_items && f.index - setup_items < item_to_statement.size())
        return locate_failure(m, item_to_statement[f.index - setup_items], f.error);
    Error e = f.error;
    bool history = f.index >= setup_items + item_to_statement.size();
    // After the history row comes the commit, where deferred constraints are checked.
    bool commit = f.index > setup_items + item_to_statement.size();
    e.message = std::string(commit ? "committing " : history ? "recording " : "preparing the session for ") +
                util::quoted(m.file.filename) +
                " failed: " + e.message + (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    if (commit && e.hint.empty())
        e.hint = "deferred constraints are checked at commit; fix the migration and run again: nothing of this file "
                 "was applied";
    if (history && !commit && e.sqlstate == "23505")
        e.hint = "version " + m.file.version + " is already recorded: another run applied it meanwhile; run again";
    e.file = m.file.display;
    return e;
}

// Line `line` of the file as it stands in the statement, with a caret under `column`.
std::string caret_excerpt(const Statement& st, int line, int column) {
    std::string_view text = st.text;
    for (int l = st.line; l < line; ++l) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    auto shown = text.substr(0, text.find('\n'));
    if (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
    // The statement's first line starts at its column in the file.
    int first_col = line == st.line ? st.column : 1;
    std::string caret;
    for (int c = first_col; c < column; ++c) caret.push_back(' ');
    return std::to_string(line) + " | " + std::string(shown) + "\n" + std::string(std::to_string(line).size(), ' ') +
           " | " + caret + "^";
}

// The statement's first line that is not a comment, for errors without a position.
std::string first_code_line(const Statement& st) {
    std::string_view text = st.text;
    for (int l = st.line; l < st.code_line; ++l) {
        auto nl = text.find('\n');
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    auto nl = text.find('\n');
    auto shown = text.substr(0, nl);
    if (!shown.empty() && shown.back() == '\r') shown.remove_suffix(1);
    return std::to_string(st.code_line) + " | " + std::string(shown) + (nl == std::string_view::npos ? "" : " ...");
}

} // namespace

std::vector<std::string> Migration::texts() const {
    std::vector<std::string> out;
    out.reserve(statements.size());
    for (const auto& s : statements) out.push_back(s.text);
    return out;
}

std::string_view verdict_name(Verdict v) {
    switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::failed: return "failed";
    case Verdict::not_dry_run: return "not dry-run";
    }
    return "?";
}

Result<Migration> load_migration(const MigrationFile& file) {
    std::string content, err;
    if (!util::read_file(file.path, content, err))
        return fail(make_error(ErrorKind::config, "cannot read migration " + util::quoted(file.display) + ": " + err,
                               "check the file's permissions")
                        .at(file.display));
    auto statements = split_statements(content);
    if (!statements) {
        Error e = statements.error();
        e.file = file.display;
        if (e.kind != ErrorKind::config && e.kind != ErrorKind::input) e.kind = ErrorKind::config;
        return fail(std::move(e));
    }
    Migration m{file, std::move(*statements), {}};
    std::vector<StatementKind> kinds;
    kinds.reserve(m.statements.size());
    for (const auto& s : m.statements) kinds.push_back(classify_statement(s.text));
    auto plan = plan_file(kinds);
    if (!plan) {
        Error e = plan.error();
        auto index = static_cast<std::size_t>(e.line);
        e.file = file.display;
        e.line = index < m.statements.size() ? m.statements[index].code_line : 0;
        return fail(std::move(e));
    }
    m.plan = std::move(*plan);
    return m;
}

Error locate_failure(const Migration& m, std::size_t index, Error server) {
    const Statement& st = m.statements[index];
    Error e = std::move(server);
    std::string shown;
    if (e.column > 0) {
        auto where = position_in_file(st, e.column);
        e.line = where.line;
        shown = caret_excerpt(st, where.line, where.column);
    } else {
        e.line = st.code_line;
        shown = first_code_line(st);
    }
    e.file = m.file.display;
    e.column = 0;
    if (!e.sqlstate.empty()) e.message += " (SQLSTATE " + e.sqlstate + ")";
    std::string detail = "statement " + std::to_string(index + 1) + " of " + std::to_string(m.statements.size()) +
                         ":\n" + shown;
    if (!e.detail.empty()) detail += "\ndetail: " + e.detail;
    if (!e.context.empty()) detail += "\ncontext: " + e.context;
    e.detail = std::move(detail);
    if (e.hint.empty())
        e.hint = "fix the migration and run again: nothing of this file was applied";
    return e;
}

Result<Applied> apply_migration(db::Session& session, const Migration& m, const Settings& settings) {
    auto start = std::chrono::steady_clock::now();
    auto texts = m.texts();
    std::string literal = db::text_array_literal(texts);
    std::vector<db::BatchItem> items;
    std::vector<std::string> storage;
    storage.reserve(4);
    add_setup(items, settings, storage);
    std::size_t setup = items.size();

    if (m.plan.mode == FileMode::non_transactional) {
        // Each statement on its own (they refuse transaction blocks); the history row
        // only after the last succeeded, so a re-run redoes what did not complete.
        auto r = session.exec_batch(items, db::BatchMode::atomic);
        if (!r) return fail(batch_error(m, {}, setup, r.error()));
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto res = session.exec(m.statements[i].text);
            if (!res) return fail(locate_failure(m, i, res.error()));
        }
        auto ins = db::insert_history_item(m.file.version, m.file.name, literal);
        auto rec = session.exec_params(ins.sql, ins.params);
        if (!rec) {
            db::BatchFailure f{setup + m.statements.size(), rec.error()};
            return fail(batch_error(m, std::vector<std::size_t>(m.statements.size()), setup, f));
        }
        return Applied{elapsed_ms(start), session.take_notices()};
    }

    std::vector<std::size_t> item_to_statement;
    item_to_statement.reserve(m.statements.size());
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
        if (m.plan.skip[i]) continue;
        items.push_back({m.statements[i].text, {}});
        item_to_statement.push_back(i);
    }
    items.push_back(db::insert_history_item(m.file.version, m.file.name, literal));
    auto r = session.exec_batch(items, db::BatchMode::atomic);
    if (!r) return fail(batch_error(m, item_to_statement, setup, r.error()));
    return Applied{elapsed_ms(start), session.take_notices()};
}

Result<std::vector<DryRun>> dry_run(db::Session& session, std::span<const Migration* const> pending,
                                    const Settings& settings) {
    std::vector<DryRun> results;
    bool table_complete = db::history_table_complete(session);
    auto begin = session.exec("BEGIN");
    if (!begin) return fail(begin.error());
    if (settings.lock_timeout_ms > 0) {
        auto lt = session.exec("SET LOCAL lock_timeout = '" + std::to_string(settings.lock_timeout_ms) + "ms'");
        if (!lt) {
            (void)session.exec("ROLLBACK");
            return fail(lt.error());
        }
    }
    // The history table as push would create it, inside the transaction; only when
    // needed, as its DDL would lock the table for the whole dry run.
    if (!table_complete) {
        for (auto s : db::history_table_statements()) {
            auto r = session.exec(s);
            if (!r) {
                (void)session.exec("ROLLBACK");
                return fail(r.error());
            }
        }
    }
    for (const Migration* m : pending) {
        DryRun d{m, Verdict::ok, std::nullopt, 0};
        if (m->plan.mode == FileMode::non_transactional) {
            d.verdict = Verdict::not_dry_run;
            results.push_back(std::move(d));
            continue;
        }
        auto start = std::chrono::steady_clock::now();
        auto sp = session.exec("SAVEPOINT sbdeploy_dry_run");
        if (!sp) {
            (void)session.exec("ROLLBACK");
            return fail(sp.error());
        }
        std::vector<db::BatchItem> items;
        std::vector<std::string> storage;
        storage.reserve(2);  // items hold views into it
        // Inside the caller's transaction: SET LOCAL, so the dry run's short lock
        // timeout holds for each file and ends with the transaction.
        items.push_back({"RESET ALL", {}});
        items.push_back({"SET SESSION AUTHORIZATION DEFAULT", {}});  // a SET ROLE survives RESET ALL
        if (settings.lock_timeout_ms > 0) {
            storage.push_back("SET LOCAL lock_timeout = '" + std::to_string(settings.lock_timeout_ms) + "ms'");
            items.push_back({storage.back(), {}});
        }
        if (settings.statement_timeout_ms > 0) {
            storage.push_back("SET LOCAL statement_timeout = '" + std::to_string(settings.statement_timeout_ms) + "ms'");
            items.push_back({storage.back(), {}});
        }
        std::size_t setup = items.size();
        std::vector<std::size_t> item_to_statement;
        for (std::size_t i = 0; i < m->statements.size(); ++i) {
            if (m->plan.skip[i]) continue;
            items.push_back({m->statements[i].text, {}});
            item_to_statement.push_back(i);
        }
        auto literal = db::text_array_literal(m->texts());
        items.push_back(db::insert_history_item(m->file.version, m->file.name, literal));
        // What the commit would check: deferred constraints. The savepoint restores their
        // mode afterwards, so later files see their constraints deferred as in a push.
        items.push_back({"SAVEPOINT sbdeploy_commit_check", {}});
        items.push_back({"SET CONSTRAINTS ALL IMMEDIATE", {}});
        items.push_back({"ROLLBACK TO SAVEPOINT sbdeploy_commit_check", {}});
        auto r = session.exec_batch(items, db::BatchMode::in_caller);
        d.ms = elapsed_ms(start);
        if (!r) {
            if (r.error().error.kind == ErrorKind::connection) return fail(r.error().error);
            d.verdict = Verdict::failed;
            d.error = batch_error(*m, item_to_statement, setup, r.error());
            auto back = session.exec("ROLLBACK TO SAVEPOINT sbdeploy_dry_run");
            if (!back) return fail(back.error());
        } else {
            auto rel = session.exec("RELEASE SAVEPOINT sbdeploy_dry_run");
            if (!rel) return fail(rel.error());
        }
        session.take_notices();
        results.push_back(std::move(d));
    }
    auto rb = session.exec("ROLLBACK");
    if (!rb) return fail(rb.error());
    return results;
}

} // namespace sbdeploy::migrations
