// The step summary writer: escaping, headlines, tables, collapsed lists (see summary.hpp).
#include "github/summary.hpp"

#include <algorithm>
#include <utility>

#include "github/outputs.hpp"
#include "util/strings.hpp"

namespace sbdeploy::github::md {
namespace {

// Line breaks (and tabs) as spaces: a summary value is one line of text.
std::string one_line(std::string_view s) {
    std::string r(s);
    std::ranges::replace(r, '\n', ' ');
    std::ranges::replace(r, '\r', ' ');
    std::ranges::replace(r, '\t', ' ');
    return r;
}

// Text inside raw HTML (attribute values included), safe in a table row.
std::string html(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    for (char c : one_line(s)) {
        switch (c) {
        case '&': r += "&amp;"; break;
        case '<': r += "&lt;"; break;
        case '>': r += "&gt;"; break;
        case '"': r += "&quot;"; break;
        case '|': r += "&#124;"; break;
        default: r.push_back(c);
        }
    }
    return r;
}

// Every pipe not already escaped gets a backslash, so it cannot end a table cell.
std::string escape_pipes(std::string_view s) {
    std::string r;
    r.reserve(s.size());
    std::size_t backslashes = 0;
    for (char c : s) {
        if (c == '|' && backslashes % 2 == 0) r.push_back('\\');
        backslashes = c == '\\' ? backslashes + 1 : 0;
        r.push_back(c);
    }
    return r;
}

std::string_view delimiter(Align a) {
    switch (a) {
    case Align::right: return "---:";
    case Align::center: return ":---:";
    default: return "---";
    }
}

std::string trim_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    while (!s.empty() && s.front() == '\n') s.erase(s.begin());
    return s;
}

// File names longer than this get line break opportunities in a file cell.
constexpr std::size_t kLongName = 24;

} // namespace

std::string text(std::string_view s) { return escape_markdown(s); }

std::string code(std::string_view s) {
    const std::string body = one_line(s);
    if (body.empty()) return "` `";
    std::size_t longest = 0, run = 0;
    for (char c : body) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::string fence(longest + 1, '`');
    // A code span strips one space at each end when both are there, so pad when the body
    // starts or ends with a backtick or a space.
    const bool pad = body.front() == '`' || body.back() == '`' || body.front() == ' ' || body.back() == ' ';
    return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string bold(std::string_view s) { return "**" + text(s) + "**"; }

std::string_view mark(Outcome outcome) {
    switch (outcome) {
    case Outcome::passed: return "✅";
    case Outcome::failed: return "❌";
    case Outcome::skipped: return "⏭️";
    default: return "⚠️";
    }
}

std::string headline(Outcome outcome, std::string_view title, std::string_view detail) {
    std::string r = std::string(mark(outcome)) + " " + bold(title);
    if (!detail.empty()) r += ": " + one_line(detail);
    return r;
}

std::string count(std::size_t n, std::string_view singular, std::string_view plural) {
    std::string noun = n == 1           ? std::string(singular)
                       : plural.empty() ? std::string(singular) + "s"
                                        : std::string(plural);
    return std::to_string(n) + " " + noun;
}

Cell Cell::text(std::string_view s) { return {md::text(s)}; }

Cell Cell::code(std::string_view s) {
    // Inside a table the GFM extension turns "\|" back into "|" before inline parsing, code
    // spans included, so every pipe of the value is escaped, an escaped one too.
    std::string span = md::code(s);
    std::string r;
    r.reserve(span.size());
    for (char c : span) {
        if (c == '|') r.push_back('\\');
        r.push_back(c);
    }
    return {std::move(r)};
}

Cell Cell::raw(std::string markdown) { return {escape_pipes(one_line(markdown))}; }

Cell Cell::file(std::string_view path) {
    const auto slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (name.size() == path.size()) return Cell::code(path);
    // A long name may break after an underscore: a code span never wraps on its own.
    std::string shown = html(name);
    if (name.size() > kLongName) shown = util::replace_all(shown, "_", "_<wbr>");
    return {"<code title=\"" + html(path) + "\">" + shown + "</code>"};
}

Table::Table(std::vector<std::string> headers, std::vector<Align> align)
    : headers_(std::move(headers)), align_(std::move(align)) {
    align_.resize(headers_.size(), Align::left);
}

Table& Table::row(std::vector<Cell> cells) {
    std::vector<std::string> r;
    r.reserve(headers_.size());
    for (std::size_t i = 0; i < headers_.size(); ++i)
        r.push_back(i < cells.size() ? std::move(cells[i].markdown) : std::string());
    rows_.push_back(std::move(r));
    return *this;
}

std::string Table::render() const {
    auto line = [](const std::vector<std::string>& cells) {
        std::string r = "|";
        for (const auto& c : cells) r += " " + (c.empty() ? std::string() : c) + " |";
        return r + "\n";
    };
    std::vector<std::string> head;
    std::vector<std::string> delims;
    for (std::size_t i = 0; i < headers_.size(); ++i) {
        head.push_back(Cell::text(headers_[i]).markdown);
        delims.emplace_back(delimiter(align_[i]));
    }
    std::string r = line(head) + line(delims);
    for (const auto& row : rows_) r += line(row);
    return r;
}

std::string Table::render_collapsed(std::string_view total, std::size_t limit) const {
    if (rows_.size() <= limit) return render();
    return std::string(total) + "\n\n" + details("Show all " + std::to_string(rows_.size()) + " rows", render());
}

std::string details(std::string_view title, std::string_view body_markdown) {
    return "<details><summary>" + html(title) + "</summary>\n\n" + trim_newlines(std::string(body_markdown)) +
           "\n\n</details>\n";
}

Summary& Summary::headline(Outcome outcome, std::string_view title, std::string_view detail) {
    blocks_.insert(blocks_.begin(), md::headline(outcome, title, detail));
    return *this;
}

Summary& Summary::block(std::string markdown) {
    auto b = trim_newlines(std::move(markdown));
    if (!b.empty()) blocks_.push_back(std::move(b));
    return *this;
}

std::string Summary::str() const {
    std::string r;
    for (const auto& b : blocks_) r += b + "\n\n";
    return r;
}

std::string end_block(std::string markdown) {
    auto b = trim_newlines(std::move(markdown));
    return b.empty() ? b : b + "\n\n";
}

} // namespace sbdeploy::github::md
