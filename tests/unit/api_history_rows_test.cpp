// History rows are checked by shape before use, whatever the transport (libpq's text rows or
// the Management API's JSON), and the row an apply request answers is checked by shape and
// value before a file counts as applied.
#include "db/api_sql.hpp"
#include "db/history.hpp"

#include <doctest/doctest.h>

using namespace sbdeploy::db;

namespace {

const std::vector<std::string> kColumns{"version", "name", "statements"};
const char* const kHint = "the server answered something other than the rows of sbdeploy's history query: check "
                          "--api-url (it must be the Management API) and the table "
                          "supabase_migrations.schema_migrations (version text, name text, statements text[])";

Row end_row(const char* count) { return Row{std::nullopt, std::string("sbdeploy:rows=") + count, std::nullopt}; }

} // namespace

TEST_CASE("api history rows: a well-formed answer, in the CLI's order, the end row left out") {
    QueryResult q{kColumns,
                  {Row{std::string("20240102000000"), std::string("two"), std::string(R"(["a;","b",null])")},
                   end_row("2"), Row{std::string("20240101000000"), std::string(""), std::nullopt}},
                  ""};
    auto h = parse_history(q);
    REQUIRE(h);
    REQUIRE(h->size() == 2);
    CHECK((*h)[0].version == "20240101000000");
    CHECK_FALSE((*h)[0].statements.has_value());
    CHECK((*h)[1].name == "two");
    CHECK((*h)[1].statements == std::vector<std::string>{"a;", "b", ""});

    QueryResult empty{kColumns, {end_row("0")}, ""};
    auto none = parse_history(empty);
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("api history rows: every malformed shape is one clear error, from either transport") {
    struct Case {
        const char* name;
        QueryResult answer;
        const char* message;
    };
    const Row one{std::string("1"), std::string("one"), std::nullopt};
    const Case cases[] = {
        {"no columns (the API's [{}])",
         {{}, {Row{}}, ""},
         "the answer's columns are (), not (version, name, statements)"},
        {"one column",
         {{"version"}, {Row{std::string("1")}}, ""},
         "the answer's columns are (version), not (version, name, statements)"},
        {"columns by position only (a libpq row of another query)",
         {{"version", "coalesce", "to_json"}, {one}, ""},
         "the answer's columns are (version, coalesce, to_json), not (version, name, statements)"},
        {"a short row", {kColumns, {Row{std::string("1")}, end_row("1")}, ""}, "row 1 has 1 values, not 3"},
        {"no end row",
         {kColumns, {one}, ""},
         "the answer lacks the row that ends the history, so it does not show the query ran"},
        {"no rows at all",
         {kColumns, {}, ""},
         "the answer lacks the row that ends the history, so it does not show the query ran"},
        {"two end rows",
         {kColumns, {end_row("0"), end_row("0")}, ""},
         "row 2 is not the one row that ends the history: \"sbdeploy:rows=0\""},
        {"an end row that is not a count",
         {kColumns, {end_row("x")}, ""},
         "row 1 is not the one row that ends the history: \"sbdeploy:rows=x\""},
        {"a cut answer", {kColumns, {one, end_row("3")}, ""}, "the answer holds 1 row, but the history counts 3"},
        {"a NULL version",
         {kColumns, {Row{std::nullopt, std::string("x"), std::nullopt}, end_row("1")}, ""},
         "row 1 has no version"},
        {"an empty version",
         {kColumns, {Row{std::string(""), std::string("x"), std::nullopt}, end_row("1")}, ""},
         "row 1 has no version"},
        {"a NULL name",
         {kColumns, {Row{std::string("1"), std::nullopt, std::nullopt}, end_row("1")}, ""},
         "the row of version \"1\" has no name"},
        {"statements not JSON",
         {kColumns, {Row{std::string("1"), std::string("a"), std::string("{")}, end_row("1")}, ""},
         "the statements of version \"1\" are not a JSON array of text"},
        {"statements with a number",
         {kColumns, {Row{std::string("1"), std::string("a"), std::string("[\"x\",2]")}, end_row("1")}, ""},
         "the statements of version \"1\" are not a JSON array of text"},
        {"a version twice", {kColumns, {one, one, end_row("2")}, ""}, "version \"1\" appears twice"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto h = parse_history(c.answer);
        REQUIRE_FALSE(h);
        CHECK(h.error().message == std::string("cannot read the migration history: ") + c.message);
        CHECK(h.error().hint == kHint);
        CHECK(h.error().kind == sbdeploy::ErrorKind::operation);
    }
}

TEST_CASE("api history rows: the API's bodies that crashed status are refused, not indexed") {
    for (const char* body : {"[{}]", R"([{"version":"1"}])", R"([{"version":1,"name":2,"statements":3}])",
                             R"([{"version":"1","name":"a","statements":null},{}])"}) {
        INFO(body);
        auto rows = parse_rows(body);
        REQUIRE(rows);
        CHECK_FALSE(parse_history(*rows));
    }
}

TEST_CASE("api history rows: an apply counts only when the answer is the row it wrote") {
    const std::vector<std::string> cols{"version", "name"};
    auto row = [](const char* v, const char* n) { return Row{std::string(v), std::string(n)}; };
    CHECK(check_recorded_row({cols, {row("20240101000002", "two")}, ""}, "20240101000002", "two"));

    struct Case {
        const char* name;
        QueryResult answer;
        const char* why;
    };
    const Case cases[] = {
        {"no rows", {{}, {}, ""}, "it holds 0 rows, not the one written"},
        {"two rows", {cols, {row("1", "a"), row("1", "a")}, ""}, "it holds 2 rows, not the one written"},
        {"a row without columns", {{}, {Row{}}, ""}, "its columns are (), not (version, name)"},
        {"an extra column",
         {{"version", "name", "extra"}, {Row{std::string("20240101000002"), std::string("two"), std::string("x")}}, ""},
         "its columns are (version, name, extra), not (version, name)"},
        {"another version",
         {cols, {row("1", "two")}, ""},
         "its row is version \"1\", name \"two\", not version \"20240101000002\", name \"two\""},
        {"another name",
         {cols, {row("20240101000002", "")}, ""},
         "its row is version \"20240101000002\", name \"\", not version \"20240101000002\", name \"two\""},
        {"NULLs",
         {cols, {Row{std::nullopt, std::nullopt}}, ""},
         "its row is version NULL, name NULL, not version \"20240101000002\", name \"two\""},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto r = check_recorded_row(c.answer, "20240101000002", "two");
        REQUIRE_FALSE(r);
        CHECK(r.error().message == c.why);
    }
}
