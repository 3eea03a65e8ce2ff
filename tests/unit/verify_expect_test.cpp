// verify's expectations: every kind parsed to its catalog names (Postgres folding and
// quoting), argument types normalised, and bad lines refused with the line and the reason.
// Also the health check's status sets and headers.
#include <doctest/doctest.h>

#include "verify/expect.hpp"
#include "verify/health.hpp"

using namespace sbdeploy;
using namespace sbdeploy::verify;

TEST_CASE("verify: expectation lines") {
    struct Row {
        const char* text;
        Kind kind;
        const char* schema;
        const char* name;
        const char* detail;
        bool any_arguments;
        const char* described;
    };
    const Row rows[] = {
        {"table:public.moods", Kind::table, "public", "moods", "", false, "table public.moods"},
        {"table:moods", Kind::table, "public", "moods", "", false, "table public.moods"},
        {" TABLE : Public.Moods ", Kind::table, "public", "moods", "", false, "table public.moods"},
        {"table:\"Auth\".\"User Data\"", Kind::table, "Auth", "User Data", "", false, "table \"Auth\".\"User Data\""},
        {"table:\"a\"\"b\"", Kind::table, "public", "a\"b", "", false, "table public.\"a\"\"b\""},
        {"view:metrics.daily", Kind::view, "metrics", "daily", "", false, "view metrics.daily"},
        {"index:public.moods_pkey", Kind::index, "public", "moods_pkey", "", false, "index public.moods_pkey"},
        {"column:moods.mood", Kind::column, "public", "moods", "mood", false, "column public.moods.mood"},
        {"column:app.moods.Mood", Kind::column, "app", "moods", "mood", false, "column app.moods.mood"},
        {"function:public.mood_count", Kind::function, "public", "mood_count", "", true, "function public.mood_count"},
        {"function:add(INT4 , int)", Kind::function, "public", "add", "integer, integer", false,
         "function public.add(integer, integer)"},
        {"function:f()", Kind::function, "public", "f", "", false, "function public.f()"},
        {"function:f(varchar(10)[], timestamptz, numeric(10,2))", Kind::function, "public", "f",
         "character varying[], timestamp with time zone, numeric", false,
         "function public.f(character varying[], timestamp with time zone, numeric)"},
        {"policy:public.moods", Kind::policy, "public", "moods", "", false, "a policy on public.moods"},
        {"policy:public.moods:Allow all for testing", Kind::policy, "public", "moods", "Allow all for testing", false,
         "policy \"Allow all for testing\" on public.moods"},
        {"policy:moods: \"Owners: read\" ", Kind::policy, "public", "moods", "Owners: read", false,
         "policy \"Owners: read\" on public.moods"},
        {"rls:public.moods", Kind::rls, "public", "moods", "", false, "row level security on public.moods"},
        {"schema:metrics", Kind::schema, "", "metrics", "", false, "schema metrics"},
        {"extension:\"uuid-ossp\"", Kind::extension, "", "uuid-ossp", "", false, "extension \"uuid-ossp\""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto e = parse_expectation(row.text);
        REQUIRE(e);
        CHECK(e->kind == row.kind);
        CHECK(e->schema == row.schema);
        CHECK(e->name == row.name);
        CHECK(e->detail == row.detail);
        CHECK(e->any_arguments == row.any_arguments);
        CHECK(describe(*e) == row.described);
        CHECK(e->origin == "--expect");
    }
}

TEST_CASE("verify: a bad expectation is refused with the reason") {
    struct Row {
        const char* text;
        const char* message;
    };
    const Row rows[] = {
        {"moods", "--expect: expectation \"moods\": expected KIND:OBJECT"},
        {"tabel:moods", "--expect: expectation \"tabel:moods\": unknown kind \"tabel\""},
        {"table:", "--expect: expectation \"table:\": no object after \"table:\""},
        {"table:a.b.c", "--expect: expectation \"table:a.b.c\": too many dotted parts"},
        {"table:a.", "--expect: expectation \"table:a.\": a name is missing"},
        {"table:\"open", "--expect: expectation \"table:\"open\": a quoted name without its closing quote"},
        {"table:a b", "--expect: expectation \"table:a b\": unexpected \"b\""},
        {"column:moods", "--expect: expectation \"column:moods\": expected TABLE.COLUMN or SCHEMA.TABLE.COLUMN"},
        {"function:f(int", "--expect: expectation \"function:f(int\": no closing \")\" after the argument types"},
        {"policy:moods:", "--expect: expectation \"policy:moods:\": an empty policy name"},
        {"schema:a.b", "--expect: expectation \"schema:a.b\": too many dotted parts"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.text);
        auto e = parse_expectation(row.text);
        REQUIRE_FALSE(e);
        CHECK(e.error().message == row.message);
        CHECK(e.error().exit_code() == 2);
    }
}

TEST_CASE("verify: a file of expectations") {
    auto ok =
        parse_expectation_lines("# after the release\n\ntable:public.moods\n  rls:public.moods  \n", "expect.txt");
    REQUIRE(ok);
    REQUIRE(ok->size() == 2);
    CHECK((*ok)[0].origin == "expect.txt:3");
    CHECK((*ok)[1].kind == Kind::rls);

    auto bad = parse_expectation_lines("table:moods\nfunktion:f\n", "expect.txt");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().file == "expect.txt");
    CHECK(bad.error().line == 2);
    CHECK(bad.error().message == "expectation \"funktion:f\": unknown kind \"funktion\"");
}

TEST_CASE("verify: expected statuses") {
    auto two = parse_status_set("2xx");
    REQUIRE(two);
    CHECK(two->contains(200));
    CHECK(two->contains(299));
    CHECK_FALSE(two->contains(301));
    auto list = parse_status_set("200, 204,300-302");
    REQUIRE(list);
    CHECK(list->contains(204));
    CHECK(list->contains(301));
    CHECK_FALSE(list->contains(201));
    for (const char* bad : {"", "abc", "99", "600", "2xy", "300-200", "200,"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_status_set(bad));
    }
    CHECK(parse_status_set("20").error().message == "option --health-status: \"20\" is not an HTTP status");
}

TEST_CASE("verify: health headers and URLs") {
    auto h = parse_header("Authorization:  Bearer abc ");
    REQUIRE(h);
    CHECK(h->first == "Authorization");
    CHECK(h->second == "Bearer abc");
    auto bad = parse_header("Bearer secret-value");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "option --health-header: expected NAME: VALUE");
    CHECK(bad.error().message.find("secret") == std::string::npos);

    CHECK(net::printable_url("https://user:pw@x.supabase.co/functions/v1/health?apikey=k#a") ==
          "https://x.supabase.co/functions/v1/health");
    CHECK(net::printable_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/");
    CHECK(check_url("HTTPS://x"));
    CHECK_FALSE(check_url("file:///etc/passwd"));
    CHECK(check_url("ftp://x?k=secret").error().message ==
          "option --health-url: \"ftp://x\" is not an http or https URL");
}
