#include "github/console.hpp"

#include <algorithm>

#include "github/outputs.hpp"
#include "github/workflow_commands.hpp"
#include "util/strings.hpp"

namespace sbdeploy::github {

Console::Console(std::ostream& out, std::ostream& err, ConsoleMode mode, Debug debug)
    : out_(out), err_(err), mode_(mode), debug_(debug) {}

Console Console::fork(std::ostream& out, std::ostream& err) const {
    Console c(out, err, mode_, debug_);
    c.secrets_ = secrets_;
    c.annotation_root_ = annotation_root_;
    return c;
}

void Console::relay(std::string_view out_text, std::string_view err_text) {
    out_ << out_text;
    err_ << err_text;
}

void Console::add_secret(std::string_view secret) {
    // Very short values would mask ordinary words; the runner masks them anyway.
    if (secret.size() < 3) return;
    if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
    secrets_.emplace_back(secret);
    // The forms the step summary writes it in (md::text, a code cell's escaped pipes): redacting
    // a summary after it was escaped must still find it.
    for (std::string escaped : {escape_markdown(secret), util::replace_all(std::string(secret), "|", "\\|")})
        if (escaped != secret && std::find(secrets_.begin(), secrets_.end(), escaped) == secrets_.end())
            secrets_.push_back(std::move(escaped));
    // Longest first, so a secret containing another is replaced whole.
    std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    if (mode_ == ConsoleMode::actions) {
        out_ << format_command("add-mask", {}, secret) << '\n';
        out_.flush();
    }
}

std::string Console::redact(std::string_view text) const {
    std::string r(text);
    for (const auto& s : secrets_) r = util::replace_all(r, s, "***");
    return r;
}

void Console::line(std::string_view text) {
    out_ << redact(text) << '\n';
    out_.flush();
}

void Console::debug(std::string_view text) {
    if (debug_ == Debug::off) return;
    if (mode_ == ConsoleMode::actions)
        out_ << format_command("debug", {}, redact(text)) << '\n';
    else
        err_ << "debug: " << redact(text) << '\n';
}

void Console::annotate(std::string_view level, std::string_view message, const Location& where, std::ostream& os) {
    std::vector<std::pair<std::string, std::string>> props;
    props.emplace_back("title", redact(where.title));
    std::string file = where.file;
    if (!file.empty() && file.front() != '/' && !annotation_root_.empty()) file = annotation_root_ + "/" + file;
    props.emplace_back("file", redact(file));
    if (where.line > 0) props.emplace_back("line", std::to_string(where.line));
    if (where.end_line > 0) props.emplace_back("endLine", std::to_string(where.end_line));
    if (where.column > 0) props.emplace_back("col", std::to_string(where.column));
    os << format_command(level, props, redact(message)) << '\n';
    os.flush();
}

namespace {
std::string located(std::string_view message, const Location& where) {
    if (where.file.empty()) return std::string(message);
    std::string r = where.file;
    if (where.line > 0) r += ":" + std::to_string(where.line);
    r += ": ";
    r.append(message);
    return r;
}
} // namespace

void Console::notice(std::string_view message, const Location& where) {
    if (mode_ == ConsoleMode::actions) return annotate("notice", message, where, out_);
    out_ << "notice: " << redact(located(message, where)) << '\n';
    out_.flush();
}

void Console::warning(std::string_view message, const Location& where) {
    if (mode_ == ConsoleMode::actions) return annotate("warning", message, where, err_);
    err_ << "sbdeploy: warning: " << redact(located(message, where)) << '\n';
    err_.flush();
}

void Console::error(std::string_view message, const Location& where) {
    if (mode_ == ConsoleMode::actions) return annotate("error", message, where, err_);
    err_ << "sbdeploy: error: " << redact(located(message, where)) << '\n';
    err_.flush();
}

void Console::error(const Error& e) {
    Location where;
    where.file = e.file;
    where.line = e.line;
    where.column = e.column;
    if (mode_ == ConsoleMode::actions) {
        // The annotation carries the detail and the hint too, so the PR page shows the fix.
        std::string message = e.message;
        if (!e.detail.empty()) message += "\n" + e.detail;
        if (!e.hint.empty()) message += "\nhint: " + e.hint;
        error(message, where);
        return;
    }
    error(e.message, where);
    if (!e.detail.empty())
        for (const auto& l : util::split(e.detail, '\n')) err_ << "  " << redact(l) << '\n';
    if (!e.hint.empty()) err_ << "hint: " << redact(e.hint) << '\n';
    err_.flush();
}

void Console::group_begin(std::string_view title) {
    if (mode_ != ConsoleMode::actions) {
        out_ << redact(title) << '\n';
        return;
    }
    if (in_group_) group_end();
    out_ << "::group::" << escape_data(redact(title)) << '\n';
    in_group_ = true;
}

void Console::group_end() {
    if (mode_ != ConsoleMode::actions || !in_group_) return;
    out_ << "::endgroup::\n";
    out_.flush();
    in_group_ = false;
}

} // namespace sbdeploy::github
