// Locating a failure: a server error mapped back to the statement, the file line and the
// caret under its position (locate_failure), a batch's failing item mapped back to its
// statement or to the bookkeeping around it (batch_error), and a connection lost mid-file.
#include "migrations/locate.hpp"

#include <string_view>

#include "migrations/apply_internal.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

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
    if (e.hint.empty()) e.hint = "fix the migration and run again: nothing of this file was applied";
    return e;
}

namespace detail {

// The connection ended while `m` was in flight (over a session transport). With a SQLSTATE
// the server itself reported the failure (the backend terminated, the server shutting down):
// the statement failed, so the file's transaction rolled back. Without one the client lost
// the socket and cannot know whether the server ran the COMMIT it had already received.
// Either way a re-run converges: it reads the history under the push lock and applies what
// is not recorded, never a file twice. The line is left out: no statement is at fault.
Error connection_failure(const Migration& m, const Error& cause, std::size_t sent_after) {
    std::string_view what = cause.message;
    if (constexpr std::string_view said = "lost the connection to the database: "; what.starts_with(said))
        what.remove_prefix(said.size());
    Error e = make_error(ErrorKind::connection,
                         "lost the connection to the database while applying this file: " + std::string(what) +
                             (cause.sqlstate.empty() ? "" : " (SQLSTATE " + cause.sqlstate + ")"));
    e.sqlstate = cause.sqlstate;
    e.file = m.file.display;
    if (m.plan.mode == FileMode::non_transactional)
        e.hint = "this file runs outside a transaction: the statements it completed stay, and it is not recorded as "
                 "applied; run the command again: it runs the file again from its first statement";
    else if (!cause.sqlstate.empty())
        e.hint = "nothing of this file was applied: its transaction was rolled back; the migrations before it stay "
                 "applied; run the command again to apply the rest";
    else
        e.hint = "the file was either committed whole with its history row or not at all" +
                 (sent_after == 0 ? std::string()
                                  : ", and so was each of the " + util::plural(sent_after, "migration") +
                                        " sent after it in the same batch") +
                 "; run the command again: it applies what is not recorded yet, never a file twice";
    return e;
}

// Maps a batch failure back to a statement (or to the bookkeeping around it).
Error batch_error(const Migration& m, const std::vector<std::size_t>& item_to_statement, std::size_t setup_items,
                  const db::BatchFailure& f) {
    if (f.index == db::BatchFailure::unknown_index) {
        Error e = f.error;
        e.message = "applying " + util::quoted(m.file.filename) + " failed: " + e.message +
                    (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
        e.file = m.file.display;
        e.column = 0;
        if (e.hint.empty())
            e.hint = "the transport did not say which statement failed; nothing of this file was applied, the "
                     "migrations before it are";
        return e;
    }
    if (f.index >= setup_items && f.index - setup_items < item_to_statement.size())
        return locate_failure(m, item_to_statement[f.index - setup_items], f.error);
    Error e = f.error;
    // After the statements: the bookkeeping reset, the history row, then the commit, where
    // deferred constraints are checked.
    bool history = f.index >= setup_items + item_to_statement.size();
    bool commit = f.index > setup_items + item_to_statement.size() + BookkeepingReset::size;
    e.message = std::string(commit    ? "committing "
                            : history ? "recording "
                                      : "preparing the session for ") +
                util::quoted(m.file.filename) + " failed: " + e.message +
                (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    if (commit && e.hint.empty())
        e.hint = "deferred constraints are checked at commit; fix the migration and run again: nothing of this file "
                 "was applied";
    if (history && !commit && e.sqlstate == "23505")
        e.hint = "version " + m.file.version + " is already recorded: another run applied it meanwhile; run again";
    e.file = m.file.display;
    return e;
}

} // namespace detail

} // namespace sbdeploy::migrations
