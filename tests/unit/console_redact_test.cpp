// Secrets are redacted from summaries too, after the summary writer escaped them: a token with
// an underscore, or a password with Markdown punctuation, written through md::text() or a code
// cell, must come out as *** and never as its escaped (still readable) form.
#include "github/console.hpp"

#include <sstream>

#include <doctest/doctest.h>

#include "github/summary.hpp"

using namespace sbdeploy::github;

TEST_CASE("redact masks a secret in its Markdown-escaped forms too") {
    std::ostringstream out, err;
    Console console(out, err, ConsoleMode::terminal);
    console.add_secret("sbp_0123456789abcdef");
    console.add_secret("pa|ss*wo_rd");
    SUBCASE("as given") { CHECK(console.redact("token sbp_0123456789abcdef here") == "token *** here"); }
    SUBCASE("escaped as text") {
        CHECK(console.redact(md::text("invalid input: \"sbp_0123456789abcdef\"")) == "invalid input: \"***\"");
        CHECK(console.redact(md::text("password pa|ss*wo_rd")) == "password ***");
    }
    SUBCASE("in a table cell") {
        CHECK(console.redact(md::Cell::code("pa|ss*wo_rd").markdown) == "`***`");
        CHECK(console.redact(md::Cell::text("pa|ss*wo_rd").markdown) == "***");
    }
    CHECK(out.str().empty());
}
