// Everything sbdeploy says to a person goes through a Console: plain lines in a
// terminal, workflow commands (annotations, groups, masks) under GitHub Actions.
// Every line is redacted of the secrets registered with add_secret.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::github {

enum class ConsoleMode { terminal, actions };
enum class Debug { off, on };

struct Location {
    std::string file;  // relative to the workspace when under Actions
    int line = 0;
    int end_line = 0;
    int column = 0;
    std::string title;
};

class Console {
public:
    // `out` receives progress and results; `err` errors and warnings.
    Console(std::ostream& out, std::ostream& err, ConsoleMode mode, Debug debug = Debug::off);

    [[nodiscard]] ConsoleMode mode() const { return mode_; }
    [[nodiscard]] bool actions() const { return mode_ == ConsoleMode::actions; }

    // Registers a secret: masked by the runner (::add-mask::) and replaced by *** in
    // everything this console prints. Call before printing anything else.
    void add_secret(std::string_view secret);
    [[nodiscard]] std::string redact(std::string_view text) const;
    // Annotations need paths from the repository root; files are named from the project's
    // folder (--workdir). Set the project's folder relative to the workspace, e.g. "db".
    void set_annotation_root(std::string root) { annotation_root_ = std::move(root); }

    void line(std::string_view text);   // a plain line on `out`
    void debug(std::string_view text);  // only with RUNNER_DEBUG=1 / --verbose
    void notice(std::string_view message, const Location& where = {});
    void warning(std::string_view message, const Location& where = {});
    // "sbdeploy: error: file:line: message" and "hint: ..."; an annotation under Actions.
    void error(const Error& e);
    void error(std::string_view message, const Location& where = {});

    void group_begin(std::string_view title);
    void group_end();

    // A console for work on another thread: the same mode, debug and secrets, writing to its own
    // streams; relay() prints what it wrote, once that work is done.
    [[nodiscard]] Console fork(std::ostream& out, std::ostream& err) const;
    void relay(std::string_view out_text, std::string_view err_text);

private:
    void annotate(std::string_view level, std::string_view message, const Location& where, std::ostream& os);

    std::ostream& out_;
    std::ostream& err_;
    ConsoleMode mode_;
    Debug debug_;
    std::vector<std::string> secrets_;
    bool in_group_ = false;
    std::string annotation_root_;
};

} // namespace sbdeploy::github
