// The error vocabulary of sbdeploy: every failure is an Error value carried in a
// Result<T>; the CLI turns it into one message line, a hint and an exit code.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace sbdeploy {

enum class ErrorKind {
    usage,      // bad flags or arguments (exit 2)
    config,     // bad configuration, files or environment (exit 2)
    input,      // unreadable or malformed input such as an event payload (exit 2)
    operation,  // a check or an operation failed (exit 1)
    database,   // the database refused a statement (exit 1)
    connection, // could not reach or authenticate to a service (exit 1)
    io,         // a file could not be written or a process failed (exit 1)
};

struct Error {
    ErrorKind kind = ErrorKind::operation;
    std::string message;  // lowercase, no final period: "context: cause"
    std::string hint;     // the fix, without the "hint: " prefix; may be empty
    std::string file;     // path the error is about, if any
    int line = 0;         // 1-based line in file, 0 if none
    int column = 0;       // 1-based column, 0 if none
    // Database errors only.
    std::string sqlstate;
    std::string detail;
    std::string context;  // where inside a function or DO block, as the server says

    [[nodiscard]] int exit_code() const {
        switch (kind) {
        case ErrorKind::usage:
        case ErrorKind::config:
        case ErrorKind::input: return 2;
        default: return 1;
        }
    }

    Error&& with_hint(std::string h) && {
        hint = std::move(h);
        return std::move(*this);
    }
    Error&& at(std::string path, int line_no = 0) && {
        file = std::move(path);
        line = line_no;
        return std::move(*this);
    }
};

template <class T>
using Result = std::expected<T, Error>;

inline Error make_error(ErrorKind kind, std::string message, std::string hint = {}) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    e.hint = std::move(hint);
    return e;
}

// Shorthand for returning an error: `return fail(ErrorKind::config, "bad thing");`
inline std::unexpected<Error> fail(ErrorKind kind, std::string message, std::string hint = {}) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    e.hint = std::move(hint);
    return std::unexpected<Error>(std::move(e));
}

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

} // namespace sbdeploy
