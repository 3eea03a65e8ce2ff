// Workflow commands escaped exactly as @actions/core (src/command.ts) escapes them;
// the expected strings are those of its own tests (__tests__/command.test.ts).
#include <doctest/doctest.h>

#include "github/workflow_commands.hpp"

using namespace sbdeploy::github;

TEST_CASE("message data escapes % \\r \\n and nothing else") {
    CHECK(escape_data("percent % percent % cr \r cr \r lf \n lf \n") ==
          "percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A");
    CHECK(escape_data("colon : comma , stay") == "colon : comma , stay");
    SUBCASE("% is escaped first, so an escape in the input survives") { CHECK(escape_data("%0A") == "%250A"); }
    CHECK(escape_data("") == "");
}

TEST_CASE("property values also escape : and ,") {
    CHECK(escape_property("percent % percent % cr \r cr \r lf \n lf \n colon : colon : comma , comma ,") ==
          "percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A colon %3A colon %3A comma %2C comma %2C");
    CHECK(escape_property("a=b") == "a=b");
}

TEST_CASE("format_command writes ::name props::message") {
    SUBCASE("message only") {
        CHECK(format_command("some-command", {}, "some message") == "::some-command::some message");
    }
    SUBCASE("carriage returns in the message") {
        CHECK(format_command("some-command", {}, "some\r\nmessage") == "::some-command::some%0D%0Amessage");
    }
    SUBCASE("two properties, comma separated") {
        CHECK(format_command("some-command", {{"prop1", "value 1"}, {"prop2", "value 2"}}, "some message") ==
              "::some-command prop1=value 1,prop2=value 2::some message");
    }
    SUBCASE("three properties and no message") {
        CHECK(format_command("some-command", {{"prop1", "value 1"}, {"prop2", "value 2"}, {"prop3", "value 3"}}, "") ==
              "::some-command prop1=value 1,prop2=value 2,prop3=value 3::");
    }
    SUBCASE("escaped property values") {
        CHECK(format_command("some-command", {{"name", "percent % cr \r lf \n colon : comma ,"}}, "") ==
              "::some-command name=percent %25 cr %0D lf %0A colon %3A comma %2C::");
    }
    SUBCASE("empty property values are left out, as core leaves out undefined ones") {
        CHECK(format_command("error", {{"title", ""}, {"file", "a.sql"}, {"line", "3"}}, "boom") ==
              "::error file=a.sql,line=3::boom");
    }
    SUBCASE("a mask carries the secret as data") {
        CHECK(format_command("add-mask", {}, "p%ss\nword") == "::add-mask::p%25ss%0Aword");
    }
}
