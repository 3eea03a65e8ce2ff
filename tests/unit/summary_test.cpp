// The step summary writer: what user text becomes in Markdown (escaped, never markup), the
// outcome-first headline, tables (pipes in names, widths), collapsing, and the blank line
// every summary ends with.
#include <doctest/doctest.h>

#include "github/summary.hpp"

using namespace sbdeploy::github::md;

TEST_CASE("text escapes markup and HTML and keeps one line") {
    CHECK(text("a|b") == "a\\|b");
    CHECK(text("<img src=x> **bold**") == "\\<img src=x\\> \\*\\*bold\\*\\*");
    CHECK(text("two\nlines") == "two lines");
}

TEST_CASE("code shows any value exactly, backticks included") {
    CHECK(code("plain") == "`plain`");
    CHECK(code("a`b") == "``a`b``");
    CHECK(code("`x`") == "`` `x` ``");
    CHECK(code("") == "` `");
    CHECK(code("a\nb") == "`a b`");
}

TEST_CASE("the headline opens with the outcome") {
    CHECK(headline(Outcome::failed, "push to production", "2 of 4 applied, failed at " + code("3_c.sql") + " line 7") ==
          "❌ **push to production**: 2 of 4 applied, failed at `3_c.sql` line 7");
    CHECK(headline(Outcome::passed, "validate_x", "") == "✅ **validate\\_x**");
    CHECK(headline(Outcome::skipped, "push", "nothing to push") == "⏭️ **push**: nothing to push");
}

TEST_CASE("count says one file, two files") {
    CHECK(count(1, "file") == "1 file");
    CHECK(count(2, "file") == "2 files");
    CHECK(count(0, "query", "queries") == "0 queries");
}

TEST_CASE("table cells escape pipes in text and in code spans") {
    Table t({"File", "Result"}, {Align::left, Align::right});
    t.row({Cell::code("20240101_pipe|name.sql"), Cell::text("ok|fine")});
    t.row({Cell::raw("❌ a|b \\| c")});
    CHECK(t.render() == "| File | Result |\n"
                        "| --- | ---: |\n"
                        "| `20240101_pipe\\|name.sql` | ok\\|fine |\n"
                        "| ❌ a\\|b \\| c |  |\n");
    CHECK(t.size() == 2);
}

TEST_CASE("a code cell keeps a backslash before a pipe") {
    Table t({"x"});
    t.row({Cell::code("a\\|b")});
    // "\\|" in the row: the table turns "\|" into "|" and leaves "a\|b" in the span.
    CHECK(t.render().ends_with("| `a\\\\|b` |\n"));
}

TEST_CASE("a file cell shows the name and keeps the path in a tooltip") {
    CHECK(Cell::file("supabase/migrations/1_a|b.sql").markdown ==
          "<code title=\"supabase/migrations/1_a&#124;b.sql\">1_a&#124;b.sql</code>");
    CHECK(Cell::file("<x>.sql").markdown == "`<x>.sql`");
    // A long name may wrap after its underscores (<wbr>: no text of its own), so a table of
    // long migration names still fits 1,000 px; a short one is left whole.
    CHECK(Cell::file("supabase/migrations/20250101000002_create_customer_feedback_table.sql").markdown ==
          "<code title=\"supabase/migrations/20250101000002_create_customer_feedback_table.sql\">20250101000002_<wbr>"
          "create_<wbr>customer_<wbr>feedback_<wbr>table.sql</code>");
}

TEST_CASE("long tables collapse behind their total line") {
    Table t({"n"});
    for (int i = 0; i < 3; ++i) t.row({Cell::text(std::to_string(i))});
    CHECK(t.render_collapsed("**3 rows**", 3) == t.render());
    auto collapsed = t.render_collapsed("**3 rows**", 2);
    CHECK(collapsed.starts_with("**3 rows**\n\n<details><summary>Show all 3 rows</summary>\n\n| n |"));
    CHECK(collapsed.ends_with("| 2 |\n\n</details>\n"));
}

TEST_CASE("details escapes its title as HTML") {
    CHECK(details("<b>&", "body\n") == "<details><summary>&lt;b&gt;&amp;</summary>\n\nbody\n\n</details>\n");
}

TEST_CASE("a summary puts the headline first and ends with a blank line") {
    Summary s;
    s.block("routing sentence\n").block("").block("| a |\n| --- |\n");
    s.headline(Outcome::passed, "status of staging", "");
    CHECK(s.str() == "✅ **status of staging**\n\nrouting sentence\n\n| a |\n| --- |\n\n");
    CHECK(end_block("x\n\n\n") == "x\n\n");
    CHECK(end_block("") == "");
}
