// The glob matcher against picomatch: every row of kPicomatch is what picomatch 4.0.7 (and
// 2.3.2, the version dorny/paths-filter ships) returns for pm(pattern, {dot: true})(path).
// Rows where sbdeploy deliberately differs are in their own table, with the reason.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/glob.hpp"

using sbdeploy::util::Glob;
using sbdeploy::util::GlobList;

namespace {

struct Vector {
    const char* pattern;
    const char* path;
    bool matches;
};

// Generated from picomatch; do not edit by hand, regenerate.
constexpr Vector kPicomatch[] = {
    {"*", "a", true},
    {"*", "abc", true},
    {"*", ".a", true},
    {"*", ".", false},
    {"*", "..", false},
    {"*", "a/b", false},
    {"*", "a b", true},
    {"*",
     "\xc3"
     "\xa9"
     "",
     true},
    {"*", "a\nb", true},
    {"*.sql", "a.sql", true},
    {"*.sql", ".sql", true},
    {"*.sql", "a.sql/b", false},
    {"*.sql", "a/b.sql", false},
    {"*.sql", "a.SQL", false},
    {"*.sql", "a.sqlx", false},
    {"a*", "a", true},
    {"a*", "abc", true},
    {"a*b", "ab", true},
    {"a*b", "axxb", true},
    {"a*b", "axb/b", false},
    {"*a*", "bab", true},
    {"*a*", "bbb", false},
    {"a*b*c", "abxbc", true},
    {"a*b*c", "abxbd", false},
    {"a/*", "a/b", true},
    {"a/*", "a/.b", true},
    {"a/*", "a/b/c", false},
    {"a/*", "a", false},
    {"a/*/c", "a/b/c", true},
    {"a/*/c", "a/b/x/c", false},
    {".*", ".env", true},
    {".*", "env", false},
    {"**", "a", true},
    {"**", "a/b/c", true},
    {"**", ".a/.b", true},
    {"**", "a/./b", false},
    {"**", "a/../b", false},
    {"a/**", "a", true},
    {"a/**", "a/b", true},
    {"a/**", "a/b/c", true},
    {"a/**", "ab", false},
    {"a/**", "b/a", false},
    {"**/b", "b", true},
    {"**/b", "a/b", true},
    {"**/b", "a/x/b", true},
    {"**/b", "ab", false},
    {"**/b", "a/b/c", false},
    {"a/**/b", "a/b", true},
    {"a/**/b", "a/x/b", true},
    {"a/**/b", "a/x/y/b", true},
    {"a/**/b", "a/xb", false},
    {"a/**/b", "ab", false},
    {"a/**/**/b", "a/b", true},
    {"**/**", "a", true},
    {"a/**/b/**/c", "a/b/c", true},
    {"a/**/b/**/c", "a/x/b/y/z/c", true},
    {"a/**/b/**/c", "a/x/c", false},
    {"a**", "ab", true},
    {"a**", "ab/c", false},
    {"**a", "ba", true},
    {"**a", "x/ba", false},
    {"a/**b", "a/xb", true},
    {"a/**b", "a/x/b", false},
    {"***", "a", true},
    {"***", "a/b", false},
    {"a/***/b", "a/x/b", true},
    {"a/***/b", "a/x/y/b", false},
    {"**/*.sql", "a.sql", true},
    {"**/*.sql", "a/b/c.sql", true},
    {"**/*.sql", ".x/a.sql", true},
    {"**/*.sql", "a/b/c.sq", false},
    {"supabase/migrations/*.sql", "supabase/migrations/20250101000000_init.sql", true},
    {"supabase/migrations/*.sql", "supabase/migrations/sub/1_a.sql", false},
    {"supabase/migrations/*.sql", "supabase/migrations/.sql", true},
    {"supabase/migrations/*.sql", "supabase/migrations/1_a.sql.bak", false},
    {"supabase/migrations/*.sql", "other/supabase/migrations/1_a.sql", false},
    {"supabase/migrations/**", "supabase/migrations", true},
    {"supabase/migrations/**", "supabase/migrations/x/y.sql", true},
    {"supabase/**/*.sql", "supabase/migrations/x/y.sql", true},
    {"supabase/**/*.sql", "supabase/seed.sql", true},
    {"supabase/migrations/*.sql", "supabase/migrations/20250101000000_with space.sql", true},
    {"supabase/migrations/*.sql", "supabase/migrations/2025_quote\"'.sql", true},
    {"supabase/migrations/*.sql", "supabase/migrations/2025_line\nbreak.sql", true},
    {"supabase/migrations/*.sql",
     "supabase/migrations/2025_caf\xc3"
     "\xa9"
     ".sql",
     true},
    {"?", "a", true},
    {"?",
     "\xc3"
     "\xa9"
     "",
     true},
    {"?", ".", true},
    {"?", "ab", false},
    {"?", "/", false},
    {"a?c", "abc", true},
    {"a?c", "a/c", false},
    {"a?c", "ac", false},
    {"??",
     "\xc3"
     "\xa9"
     "1",
     true},
    {"?.sql", "1.sql", true},
    {"[abc]", "b", true},
    {"[abc]", "d", false},
    {"[a-c]", "b", true},
    {"[a-c]", "d", false},
    {"[^a-c]", "d", true},
    {"[^a-c]", "b", false},
    {"[]]", "]", true},
    {"[]a]", "a", true},
    {"[]a]", "b", false},
    {"[a-]", "-", true},
    {"[-a]", "-", true},
    {"[\\]]", "]", true},
    {"[a\\-z]", "-", true},
    {"[a\\-z]", "b", false},
    {"[[:alpha:]]", "a", true},
    {"[[:alpha:]]", "1", false},
    {"[[:digit:]]", "5", true},
    {"[[:digit:]x]", "x", true},
    {"[[:upper:]]", "A", true},
    {"[[:upper:]]", "a", false},
    {"[[:alpha:]-]", "-", true},
    {"[[:space:]]", " ", true},
    {"[[:xdigit:]]", "f", true},
    {"[[:xdigit:]]", "g", false},
    {"[a", "[a", true},
    {"a]", "a]", true},
    {"[z-a]", "b", false},
    {"[\xc3"
     "\xa9"
     "-\xc3"
     "\xab"
     "]",
     "\xc3"
     "\xaa"
     "",
     true},
    {"[\xc3"
     "\xa9"
     "]",
     "\xc3"
     "\xa9"
     "",
     true},
    {"[a-c]*.sql", "b1.sql", true},
    {"[0-9][0-9]*_*.sql", "20_a.sql", true},
    {"[0-9][0-9]*_*.sql", "2x_a.sql", false},
    {"x[.]y", "x.y", true},
    {"[{]", "{", true},
    {"{a,b}", "a", true},
    {"{a,b}", "b", true},
    {"{a,b}", "c", false},
    {"{a,b}", "{a,b}", true},
    {"{a,b}.sql", "b.sql", true},
    {"x/{a,b/c}/d", "x/b/c/d", true},
    {"x/{a,b/c}/d", "x/b/d", false},
    {"{a,{b,c}}", "c", true},
    {"a{b,c{d,e}f}g", "acefg", true},
    {"a{b,c{d,e}f}g", "acdg", false},
    {"{a}", "a", false},
    {"{a}", "{a}", true},
    {"{}", "{}", true},
    {"{,a}b", "b", true},
    {"{,a}b", "ab", true},
    {"a{,.x}", "a", true},
    {"a{,.x}", "a.x", true},
    {"{a,}", "a", true},
    {"x{a,}", "x", true},
    {"{a,b", "{a,b", true},
    {"{a,b", "a", false},
    {"a,b", "a,b", true},
    {"{1..3}", "2", true},
    {"{1..3}", "4", false},
    {"{1..3}x", "2x", true},
    {"{a..c}/d", "b/d", true},
    {"{c..a}", "b", true},
    {"{01..03}", "02", false},
    {"{01..03}", "{01..03}", true},
    {"{a,b}{c,d}", "bd", true},
    {"{a,b}{c,d}", "ab", false},
    {"{**/,}a", "x/y/a", true},
    {"{**/,}a", "a", true},
    {"supabase/{migrations,seeds}/*.sql", "supabase/seeds/x.sql", true},
    {"*.{sql,psql}", "a.psql", true},
    {"*.{sql,psql}", "a.txt", false},
    {"\\{a,b\\}", "{a,b}", true},
    {"\\{a,b\\}", "a", false},
    {"{a\\,b,c}", "c", true},
    {"\\*", "*", true},
    {"\\*", "a", false},
    {"a\\?", "a?", true},
    {"a\\?", "ab", false},
    {"\\[a]", "[a]", true},
    {"\\[a]", "a", false},
    {"a\\\\b", "a\\b", true},
    {"a\\/b", "a/b", true},
    {"\\a", "a", true},
    {"a+b", "a+b", true},
    {"a.b", "a.b", true},
    {"a.b", "axb", false},
    {"a$b", "a$b", true},
    {"a^b", "a^b", true},
    {"a b", "a b", true},
    {"a(1).md", "a(1).md", true},
    {"foo (1).md", "foo (1).md", true},
    {"a[b]", "a[b]", true},
    {"a[b]", "ab", true},
    {"./a", "a", true},
    {"./a/*", "a/b", true},
    {"a", "./a", false},
    {"a/", "a", false},
    {"a/b/", "a/b", false},
    {"*.sql", "a.SQL", false},
    {"A", "a", false},
    {"\xc3"
     "\xa9"
     "*",
     "\xc3"
     "\xa9"
     "a",
     true},
    {"*\xc3"
     "\xa9"
     "",
     "a\xc3"
     "\xa9"
     "",
     true},
    {"\xc3"
     "\xbc"
     "/*",
     "\xc3"
     "\xbc"
     "/x",
     true},
    {"\xe6"
     "\x97"
     "\xa5"
     "\xe6"
     "\x9c"
     "\xac"
     "/*.sql",
     "\xe6"
     "\x97"
     "\xa5"
     "\xe6"
     "\x9c"
     "\xac"
     "/1.sql",
     true},
};

// Where sbdeploy departs from picomatch, and why.
constexpr Vector kDepartures[] = {
    // Bash (which picomatch documents as its reference) negates with [!...]; picomatch only
    // does with {posix: true} and otherwise reads "!" as a member of the class.
    {"[!a-c]", "d", true},
    {"[!a-c]", "b", false},
    {"[!a-c]", "!", true},
    {"x[!.]y", "x.y", false},
    {"x[!.]y", "xay", true},
    {"supabase/migrations/[!_]*.sql", "supabase/migrations/_draft.sql", false},
    {"supabase/migrations/[!_]*.sql", "supabase/migrations/2025_a.sql", true},
};

std::vector<std::string> lines(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

} // namespace

TEST_CASE("glob: matches as picomatch does with dot: true") {
    for (const auto& v : kPicomatch) {
        CAPTURE(v.pattern);
        CAPTURE(v.path);
        auto g = Glob::compile(v.pattern);
        REQUIRE(g.has_value());
        CHECK(g->matches(v.path) == v.matches);
    }
}

TEST_CASE("glob: [!...] negates as in Bash") {
    for (const auto& v : kDepartures) {
        CAPTURE(v.pattern);
        CAPTURE(v.path);
        auto g = Glob::compile(v.pattern);
        REQUIRE(g.has_value());
        CHECK(g->matches(v.path) == v.matches);
    }
}

TEST_CASE("glob: patterns picomatch would read differently are refused with the reason") {
    struct Bad {
        const char* pattern;
        const char* message;
        const char* hint;
    };
    const Bad bad[] = {
        {"", "the pattern is empty", ""},
        {"./", "the pattern is empty", ""},
        {"/supabase/migrations/*.sql", "the pattern starts with \"/\"",
         "patterns are relative to the repository root: drop the leading \"/\""},
        {"+(a|b).sql", "extglob \"+(\"...) is not supported",
         "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"a/@(x).sql", "extglob \"@(\"...) is not supported",
         "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"a/!(x).sql", "extglob \"!(\"...) is not supported",
         "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"*(a)", "extglob \"*(\"...) is not supported", "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"**(a)", "extglob \"*(\"...) is not supported",
         "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"?(a)", "extglob \"?(\"...) is not supported", "use {a,b} for alternatives, or escape the parenthesis as \\("},
        {"(a|b).sql", "\"|\" is not supported (picomatch would read a regular expression group)",
         "use {a,b} for alternatives, or escape it as \\|"},
        {"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "it expands to more than 1024 alternatives",
         "split it into several lines"},
    };
    for (const auto& b : bad) {
        CAPTURE(b.pattern);
        auto g = Glob::compile(b.pattern);
        REQUIRE_FALSE(g.has_value());
        CHECK(g.error().message == b.message);
        CHECK(g.error().hint == b.hint);
    }
    CHECK(Glob::compile("\\+(a\\|b).sql")->matches("+(a|b).sql"));
    CHECK(Glob::compile("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}")->matches("ababababab"));
}

TEST_CASE("glob list: the last matching line decides, \"!\" lines really exclude") {
    struct Case {
        const char* path;
        bool in;
    };
    SUBCASE("an exclusion after an inclusion") {
        auto list = GlobList::parse(lines({"supabase/migrations/*.sql", "!supabase/migrations/*_draft.sql"}));
        REQUIRE(list.has_value());
        for (auto c : {Case{"supabase/migrations/1_a.sql", true}, Case{"supabase/migrations/2_b_draft.sql", false},
                       Case{"supabase/seed.sql", false}, Case{"README.md", false}}) {
            CAPTURE(c.path);
            CHECK(list->matches(c.path) == c.in);
        }
    }
    SUBCASE("a later inclusion takes a path back") {
        auto list = GlobList::parse(lines({"supabase/**", "!supabase/migrations/**", "supabase/migrations/keep.sql"}));
        REQUIRE(list.has_value());
        for (auto c : {Case{"supabase/config.toml", true}, Case{"supabase/migrations/1_a.sql", false},
                       Case{"supabase/migrations/keep.sql", true}}) {
            CAPTURE(c.path);
            CHECK(list->matches(c.path) == c.in);
        }
    }
    SUBCASE("only exclusions: everything else is in") {
        auto list = GlobList::parse(lines({"!docs/**", "!*.md"}));
        REQUIRE(list.has_value());
        for (auto c : {Case{"docs/a.sql", false}, Case{"README.md", false}, Case{"src/a.sql", true}}) {
            CAPTURE(c.path);
            CHECK(list->matches(c.path) == c.in);
        }
    }
    SUBCASE("blank lines, comments, spaces around and escaped ! and #") {
        auto list = GlobList::parse(lines({"", "# migrations", "  supabase/migrations/*.sql  ", "\\!odd.sql",
                                           "\\#hash.sql", "! supabase/migrations/old_*.sql"}));
        REQUIRE(list.has_value());
        CHECK(list->lines().size() == 4);
        for (auto c : {Case{"supabase/migrations/1_a.sql", true}, Case{"!odd.sql", true}, Case{"#hash.sql", true},
                       Case{"supabase/migrations/old_1.sql", false}, Case{"# migrations", false}}) {
            CAPTURE(c.path);
            CHECK(list->matches(c.path) == c.in);
        }
    }
}

TEST_CASE("glob list: errors name the line") {
    SUBCASE("no patterns") {
        auto list = GlobList::parse(lines({"", "# nothing"}));
        REQUIRE_FALSE(list.has_value());
        CHECK(list.error().message == "the filter has no patterns");
        CHECK(list.error().hint == "give one glob a line, such as supabase/migrations/*.sql");
    }
    SUBCASE("a bad line") {
        auto list = GlobList::parse(lines({"supabase/migrations/*.sql", "!/abs/*.sql"}));
        REQUIRE_FALSE(list.has_value());
        CHECK(list.error().message == "filter line 2 \"!/abs/*.sql\": the pattern starts with \"/\"");
    }
    SUBCASE("an empty exclusion") {
        auto list = GlobList::parse(lines({"a", "!"}));
        REQUIRE_FALSE(list.has_value());
        CHECK(list.error().message == "filter line 2 \"!\": the pattern is empty");
        CHECK(list.error().hint == "write one glob a line; \"!pattern\" excludes");
    }
}
