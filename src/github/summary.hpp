// The step summary writer every command uses (GITHUB_STEP_SUMMARY, rendered by GitHub as
// GitHub Flavored Markdown): an outcome-first headline ("❌ push to production: 2 of 4
// applied, failed at `..._c.sql` line 7"), the routing sentence, paragraphs, and tables whose
// every cell is escaped; long tables collapse behind a total line; the text always ends with a
// blank line, so a second command writing to the same summary starts a block of its own.
//
// User text (file names, server messages, branch names) only ever enters through text(),
// code() or a Cell, which escape it: pipes, backticks, HTML, emphasis and line breaks come out
// as the characters they are, never as markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::github::md {

// Inline text, escaped: Markdown punctuation backslash-escaped, line breaks as spaces.
std::string text(std::string_view s);
// An inline code span that shows `s` exactly: fenced with more backticks than `s` holds in a
// row, padded when `s` starts or ends with a backtick; line breaks as spaces. Not for table
// cells (use Cell::code, which also escapes pipes).
std::string code(std::string_view s);
// **text**, escaped.
std::string bold(std::string_view s);

enum class Outcome { passed, failed, skipped, warned };
// ✅ ❌ ⏭️ ⚠️
std::string_view mark(Outcome outcome);

// The first line of a summary: "<mark> **<title>**: <detail>". `title` is plain text (the
// command and its target: "push to production", "validate against staging", "status of
// production"), escaped here; `detail` is Markdown built with text()/code(); no detail, no
// colon. E.g.
//   headline(Outcome::failed, "push to production", "2 of 4 applied, failed at " + code(f) + " line 7")
std::string headline(Outcome outcome, std::string_view title, std::string_view detail);

// "1 file" / "3 files": `count` and the noun, plural with an s unless given.
std::string count(std::size_t n, std::string_view singular, std::string_view plural = {});

// One table cell: Markdown that is safe inside a GFM table row.
struct Cell {
    std::string markdown;
    static Cell text(std::string_view s);   // escaped text
    static Cell code(std::string_view s);   // a code span showing s exactly
    static Cell raw(std::string markdown);  // trusted Markdown built by the caller (marks, links); pipes escaped
    // A path shown by its file name (as code), the whole path in a tooltip (title attribute),
    // so tables of long paths stay narrow; a long name may wrap after its underscores (<wbr>).
    static Cell file(std::string_view path);
};

enum class Align { left, right, center };

class Table {
public:
    explicit Table(std::vector<std::string> headers, std::vector<Align> align = {});
    // Rows shorter than the header are padded with empty cells; longer ones are cut.
    Table& row(std::vector<Cell> cells);
    [[nodiscard]] std::size_t size() const { return rows_.size(); }
    [[nodiscard]] bool empty() const { return rows_.empty(); }
    // The GFM table, header, delimiter and rows, each line ending with "\n".
    [[nodiscard]] std::string render() const;
    // Up to `limit` rows: render(). More: `total` (a Markdown line such as "**200 files
    // applied**") and the table inside <details>, so a long list does not bury what follows.
    [[nodiscard]] std::string render_collapsed(std::string_view total, std::size_t limit = 20) const;

private:
    std::vector<std::string> headers_;
    std::vector<Align> align_;
    std::vector<std::vector<std::string>> rows_;
};

// <details><summary>`title` (plain text, escaped)</summary>, a blank line, the body, </details>.
std::string details(std::string_view title, std::string_view body_markdown);

// A whole summary, built in order: headline, then blocks separated by blank lines.
class Summary {
public:
    Summary& headline(Outcome outcome, std::string_view title, std::string_view detail);
    // A paragraph or any Markdown block (a table's render(), a details block, a list).
    Summary& block(std::string markdown);
    [[nodiscard]] bool empty() const { return blocks_.empty(); }
    // The blocks joined by blank lines, ending with a blank line ("\n\n").
    [[nodiscard]] std::string str() const;

private:
    std::vector<std::string> blocks_;
};

// `markdown` with exactly one blank line at its end ("" stays "").
std::string end_block(std::string markdown);

} // namespace sbdeploy::github::md
