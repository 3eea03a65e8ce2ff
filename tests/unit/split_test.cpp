// split_statements must store exactly what Supabase CLI 3.1.0 stores. The corpus loop
// compares with tests/fixtures/split/*.json, written by the real CLI (tests/tools/split-golden).
// Table cases that cannot be applied on PostgreSQL 15 (so are not in the corpus) take their
// expected values from the CLI's own splitting code, run on the same input.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "migrations/split.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

using namespace sbdeploy;
using migrations::split_statements;
using migrations::Statement;

namespace {

std::vector<std::string> texts(std::string_view sql) {
    auto result = split_statements(sql);
    REQUIRE_MESSAGE(result.has_value(), (result ? std::string() : result.error().message));
    std::vector<std::string> out;
    for (const auto& s : *result) out.push_back(s.text);
    return out;
}

struct TextCase {
    const char* name;
    std::string_view sql;
    std::vector<std::string> expected;
};

void check_texts(const std::vector<TextCase>& cases) {
    for (const auto& c : cases) {
        SUBCASE(c.name) { CHECK(texts(c.sql) == c.expected); }
    }
}

struct Placed {
    std::string text;
    int line, column, end_line, code_line;
    bool operator==(const Placed&) const = default;
};

std::vector<Placed> placed(std::string_view sql) {
    auto result = split_statements(sql);
    REQUIRE(result.has_value());
    std::vector<Placed> out;
    for (const auto& s : *result) out.push_back({s.text, s.line, s.column, s.end_line, s.code_line});
    return out;
}

} // namespace

namespace doctest {
// Failures show both vectors, one element per line.
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& v) {
        std::string s = "[";
        for (const auto& t : v) s += "\n  " + util::quoted(util::replace_all(t, "\n", "\\n"));
        s += v.empty() ? "]" : "\n]";
        return String(s.c_str());
    }
};
template <>
struct StringMaker<std::vector<Placed>> {
    static String convert(const std::vector<Placed>& v) {
        std::string s = "[";
        for (const auto& p : v)
            s += "\n  " + util::quoted(util::replace_all(p.text, "\n", "\\n")) + " at " + std::to_string(p.line) + ":" +
                 std::to_string(p.column) + ", ends " + std::to_string(p.end_line) + ", code " +
                 std::to_string(p.code_line);
        s += v.empty() ? "]" : "\n]";
        return String(s.c_str());
    }
};
} // namespace doctest

TEST_CASE("statements are split on semicolons, trimmed, and placed in the file") {
    SUBCASE("one per line") {
        CHECK(placed("create table t (a int);\ninsert into t values (1);\n") ==
              std::vector<Placed>{{"create table t (a int)", 1, 1, 1, 1}, {"insert into t values (1)", 2, 1, 2, 2}});
    }
    SUBCASE("leading comments and blank lines stay with the next statement") {
        CHECK(placed("select 1;\n\n-- about t\n/* more */\ncreate table t (\n  a int\n);\n") ==
              std::vector<Placed>{{"select 1", 1, 1, 1, 1},
                                  {"-- about t\n/* more */\ncreate table t (\n  a int\n)", 3, 1, 7, 5}});
    }
    SUBCASE("several on one line, columns in characters") {
        CHECK(placed("select 'é';  select 2 ;select 3") ==
              std::vector<Placed>{{"select 'é'", 1, 1, 1, 1}, {"select 2", 1, 14, 1, 1}, {"select 3", 1, 24, 1, 1}});
    }
    SUBCASE("the last statement needs no semicolon") {
        CHECK(placed("select 1;\nselect 2\n") ==
              std::vector<Placed>{{"select 1", 1, 1, 1, 1}, {"select 2", 2, 1, 2, 2}});
    }
    SUBCASE("a comment after a statement on the same line belongs to the next one") {
        CHECK(placed("select 1; -- one\nselect 2;") ==
              std::vector<Placed>{{"select 1", 1, 1, 1, 1}, {"-- one\nselect 2", 1, 11, 2, 2}});
    }
    SUBCASE("trailing comment-only text is kept as its own element") {
        CHECK(placed("select 1;\n-- done\n/* really */\n") ==
              std::vector<Placed>{{"select 1", 1, 1, 1, 1}, {"-- done\n/* really */", 2, 1, 3, 2}});
    }
    SUBCASE("windows line endings are kept") {
        CHECK(placed("-- c\r\nselect 1;\r\nselect 2;\r\n") ==
              std::vector<Placed>{{"-- c\r\nselect 1", 1, 1, 2, 2}, {"select 2", 3, 1, 3, 3}});
    }
}

TEST_CASE("empty and blank input gives no statements, empty statements are dropped") {
    check_texts({
        {"empty file", "", {}},
        {"whitespace only", "  \n\t\r\n ", {}},
        {"semicolons only", ";;\n ; ;", {}},
        {"doubled semicolons", "select 1;;select 2;;", {"select 1", "select 2"}},
        {"a comment alone between semicolons is kept", "select 1; -- c\n; select 2;", {"select 1", "-- c", "select 2"}},
    });
}

TEST_CASE("semicolons inside quotes, identifiers, comments and dollar quotes do not split") {
    check_texts({
        {"doubled quote", "select 'it''s; here'; select 2", {"select 'it''s; here'", "select 2"}},
        {"standard string ends at a backslash-quote", "select 'a\\'; select 2", {"select 'a\\'", "select 2"}},
        {"escape string", "select E'it\\'s; here'; select 2", {"select E'it\\'s; here'", "select 2"}},
        {"lower-case escape string", "select e'\\\\'; select 2", {"select e'\\\\'", "select 2"}},
        {"E at the end of a word is not an escape string", "select xE'a\\'; select 2", {"select xE'a\\'", "select 2"}},
        {"escape string continued after a newline",
         "select E'a'\n'\\'; b'; select 2",
         {"select E'a'\n'\\'; b'", "select 2"}},
        {"quoted identifier",
         "create table \"a;b\"\"c\" (x int); select 2",
         {"create table \"a;b\"\"c\" (x int)", "select 2"}},
        {"line comment", "select 1 -- a; b\n; select 2", {"select 1 -- a; b", "select 2"}},
        {"line comment ended by a carriage return", "select 1 -- a\r; select 2", {"select 1 -- a", "select 2"}},
        {"nested block comments",
         "select 1 /* a /* b; */ c; */; select 2",
         {"select 1 /* a /* b; */ c; */", "select 2"}},
        {"/*/ opens a comment that /*/ does not close",
         "/*/ ; /*/ ; */ */ select 1; select 2",
         {"/*/ ; /*/ ; */ */ select 1", "select 2"}},
        {"operator before a comment", "select 2*/*;*/3; select 4", {"select 2*/*;*/3", "select 4"}},
        {"dollar quote", "do $$ begin perform 1; end $$; select 2", {"do $$ begin perform 1; end $$", "select 2"}},
        {"tagged dollar quote with other tags inside",
         "select $a$ $b$ ; $$ ; $b$ $a$; select 2",
         {"select $a$ $b$ ; $$ ; $b$ $a$", "select 2"}},
        {"dollar after a word character is part of the word",
         "select a$b; select $1; select 2",
         {"select a$b", "select $1", "select 2"}},
        {"quotes and dollars inside comments are ignored",
         "-- it's $$\nselect 1; /* \" */ select 2",
         {"-- it's $$\nselect 1", "/* \" */ select 2"}},
    });
}

TEST_CASE("BEGIN ATOMIC bodies are kept whole") {
    check_texts({
        {"body with several statements",
         "create function f() returns int language sql begin atomic select 1; select 2; end; select 3",
         {"create function f() returns int language sql begin atomic select 1; select 2; end", "select 3"}},
        {"CASE ... END inside the body",
         "create function f() returns int language sql BEGIN ATOMIC select case when true then 1 end; END;select 2",
         {"create function f() returns int language sql BEGIN ATOMIC select case when true then 1 end; END",
          "select 2"}},
        {"whitespace of any kind between BEGIN and ATOMIC",
         "create function f() returns int language sql BEGIN\n\tATOMIC select 1; END;select 2",
         {"create function f() returns int language sql BEGIN\n\tATOMIC select 1; END", "select 2"}},
        {"comments before END",
         "create function f() returns int language sql begin atomic select 1; -- x;\n end; select 2",
         {"create function f() returns int language sql begin atomic select 1; -- x;\n end", "select 2"}},
        {"a word starting with END does not end the body",
         "create function f() returns int language sql begin atomic select 1; endx; end; select 2",
         {"create function f() returns int language sql begin atomic select 1; endx; end", "select 2"}},
        {"empty body",
         "create function f() returns void language sql begin atomic end; select 2",
         {"create function f() returns void language sql begin atomic end", "select 2"}},
        {"body at the end of the file",
         "create function f() returns int language sql begin atomic select 1; end",
         {"create function f() returns int language sql begin atomic select 1; end"}},
        // The CLI only looks for whitespace between BEGIN and ATOMIC; Postgres would reject
        // the pieces, so such a file fails to apply with the CLI and with sbdeploy.
        {"a comment between BEGIN and ATOMIC hides the body (as in the CLI)",
         "create function f() returns int language sql begin -- c\n atomic select 1; end; select 2",
         {"create function f() returns int language sql begin -- c\n atomic select 1", "end", "select 2"}},
    });
}

TEST_CASE("parentheses hold semicolons, and the first ')' closes every open '(' as in the CLI") {
    check_texts({
        {"multi-action rule",
         "create rule r as on insert to t do also (insert into a select 1; insert into b select 2); select 3",
         {"create rule r as on insert to t do also (insert into a select 1; insert into b select 2)", "select 3"}},
        {"nested parentheses close together",
         "create rule r as on insert to t do also (insert into a values (1); insert into b values (2));",
         {"create rule r as on insert to t do also (insert into a values (1)", "insert into b values (2))"}},
    });
}

TEST_CASE("syntax newer than PostgreSQL 15 splits like any other") {
    check_texts({
        {"PG 17 MERGE ... RETURNING",
         "merge into t using s on t.id = s.id when matched then delete returning merge_action(); select 1",
         {"merge into t using s on t.id = s.id when matched then delete returning merge_action()", "select 1"}},
        {"PG 17 JSON_TABLE inside BEGIN ATOMIC",
         "create function f() returns setof int language sql begin atomic select a from json_table('[1]', '$[*]' "
         "columns (a int path '$')); select 1; end; select 2",
         {"create function f() returns setof int language sql begin atomic select a from json_table('[1]', '$[*]' "
          "columns (a int path '$')); select 1; end",
          "select 2"}},
        {"PG 16 GRANT ... WITH INHERIT",
         "grant r1 to r2 with inherit true, set false; select 1",
         {"grant r1 to r2 with inherit true, set false", "select 1"}},
    });
}

TEST_CASE("the text is decoded as the CLI decodes it") {
    check_texts({
        {"a UTF-8 byte order mark is dropped", "\xEF\xBB\xBFselect 1;", {"select 1"}},
        {"invalid UTF-8 becomes U+FFFD, one per maximal invalid sequence",
         "-- caf\xE9 \xE2\x82\nselect '\xF0\x9F\x98';",
         {"-- caf\xEF\xBF\xBD \xEF\xBF\xBD\nselect '\xEF\xBF\xBD'"}},
        {"JavaScript whitespace is trimmed (no-break space, ideographic space, line separator)",
         "select 1;\xC2\xA0select 2\xE3\x80\x80;\xE2\x80\xA8select 3",
         {"select 1", "select 2", "select 3"}},
        {"a backslash outside quotes hides the next character (as in the CLI)",
         "select 1 \\; select 2; select 3",
         {"select 1 \\; select 2", "select 3"}},
    });
}

TEST_CASE("a file that ends inside a quote, dollar quote or comment is an error with its line") {
    struct ErrorCase {
        const char* name;
        std::string_view sql;
        std::string message, hint;
        int line, column;
    };
    std::vector<ErrorCase> cases{
        {"quote", "select 1;\nselect 'abc;\nselect 2;\n", "unterminated quoted string",
         "close the string with ' (write '' for a quote inside it)", 2, 8},
        {"quoted identifier", "select \"abc", "unterminated quoted identifier",
         "close the identifier with \" (write \"\" for a double quote inside it)", 1, 8},
        {"dollar quote", "select 1;\r\nselect $body$ x;\r\n", "unterminated dollar-quoted string",
         "close the body with the same dollar-quote tag that opened it", 2, 8},
        {"block comment", "select 1;\n\n  /* a /* b */\n", "unterminated /* comment",
         "close the comment with */ (block comments nest: every /* needs its own */)", 3, 3},
    };
    for (const auto& c : cases) {
        SUBCASE(c.name) {
            auto result = split_statements(c.sql);
            REQUIRE_FALSE(result.has_value());
            CHECK(result.error().kind == ErrorKind::input);
            CHECK(result.error().message == c.message);
            CHECK(result.error().hint == c.hint);
            CHECK(result.error().line == c.line);
            CHECK(result.error().column == c.column);
        }
    }
    SUBCASE("not when Postgres' lexer accepts what the CLI thinks is open") {
        // `$1$` opens a dollar quote for the CLI, not for Postgres: the CLI sends it as it is.
        CHECK(texts("select $1$ ; select 2") == std::vector<std::string>{"select $1$ ; select 2"});
    }
}

TEST_CASE("a Postgres error position maps to a line and column in the file") {
    auto result = split_statements("select 1;\n-- note\nselect x,\n  é y from t; select z");
    REQUIRE(result.has_value());
    REQUIRE(result->size() == 3);
    const Statement& second = (*result)[1];  // "-- note\nselect x,\n  é y from t", starts at 2:1
    const Statement& third = (*result)[2];   // "select z", starts at 4:15
    struct PositionCase {
        const char* name;
        const Statement& statement;
        int position, line, column;
    };
    std::vector<PositionCase> cases{
        {"first character", second, 1, 2, 1},
        {"after a newline", second, 16, 3, 8},
        {"characters, not bytes", second, 23, 4, 5},
        {"past the end points after the last character", second, 1000, 4, 13},
        {"no position gives the first code line", second, 0, 3, 0},
        {"statement that starts mid-line", third, 8, 4, 22},
    };
    for (const auto& c : cases) {
        SUBCASE(c.name) {
            auto where = migrations::position_in_file(c.statement, c.position);
            CHECK(where.line == c.line);
            CHECK(where.column == c.column);
        }
    }
}

TEST_CASE("every corpus file splits exactly as Supabase CLI 3.1.0 stored it") {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "split";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".sql") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    CHECK(files.size() >= 45);

    for (const auto& sql_path : files) {
        const std::string name = sql_path.filename().string();
        CAPTURE(name);
        auto sql_read = util::read_file(sql_path.string());
        REQUIRE_MESSAGE(sql_read, (sql_read ? "" : sql_read.error().message));
        const std::string& sql = *sql_read;
        fs::path json_path = sql_path;
        json_path.replace_extension(".json");
        auto json_read = util::read_file(json_path.string());
        REQUIRE_MESSAGE(json_read, (name + ": " + (json_read ? "" : json_read.error().message)));
        const std::string& json = *json_read;

        rapidjson::Document doc;
        doc.Parse(json.data(), json.size());
        REQUIRE_MESSAGE((!doc.HasParseError() && doc.IsArray()), (name + ": not a JSON array"));
        std::vector<std::string> expected;
        for (const auto& v : doc.GetArray()) {
            REQUIRE(v.IsString());
            expected.emplace_back(v.GetString(), v.GetStringLength());
        }

        auto result = split_statements(sql);
        REQUIRE_MESSAGE(result.has_value(), (name + ": " + (result ? std::string() : result.error().message)));
        std::vector<std::string> got;
        for (const auto& s : *result) got.push_back(s.text);
        CHECK_MESSAGE(got == expected, name);
    }
}
