// The one SQL comment skipper (migrations/sql_comments.hpp): where code starts after white
// space, `--` comments (ended by \n or \r) and nested block comments; nothing when a comment
// runs to the end.
#include <doctest/doctest.h>

#include <string_view>

#include "migrations/sql_comments.hpp"

using namespace sbdeploy::migrations;

TEST_CASE("sql comments: where the code starts") {
    struct Case {
        std::string_view sql;
        std::size_t from;
        std::size_t code;
    };
    for (const Case& c : {Case{"select 1", 0, 0}, Case{"  \t\n\f\vselect", 0, 6}, Case{"-- a\nselect", 0, 5},
                          Case{"-- a\rselect", 0, 5}, Case{"/* a */select", 0, 7}, Case{"/* a /* b */ c */ x", 0, 18},
                          Case{"/*/ x */y", 0, 8}, Case{"/**/y", 0, 4}, Case{"x -- y\nz", 1, 7},
                          Case{"-- only a comment", 0, 17}, Case{"/* unterminated /* */", 0, 21}}) {
        CAPTURE(c.sql);
        CHECK(skip_space_and_comments(c.sql, c.from) == c.code);
    }
    CHECK_FALSE(has_code(" -- x\n/* y */ "));
    CHECK(has_code("-- x\n;"));
}
