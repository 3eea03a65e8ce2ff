// GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY writing: the exact bytes, and the file
// read back the way the runner reads it (tests/support/file_commands.hpp).
#include <doctest/doctest.h>

#include <vector>

#include "github/outputs.hpp"
#include "support/file_commands.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy;
using namespace sbdeploy::github;
using sbdeploy::test::TempDir;

namespace {

// Returns `values` in turn, then repeats the last one.
RandomSource sequence(std::vector<std::uint32_t> values) {
    auto index = std::make_shared<std::size_t>(0);
    return [values, index] {
        std::uint32_t v = values[std::min(*index, values.size() - 1)];
        ++*index;
        return v;
    };
}

const std::string kZeros = "ghadelimiter_00000000-0000-4000-8000-000000000000";
const std::string kOnes = "ghadelimiter_ffffffff-ffff-4fff-bfff-ffffffffffff";

RandomSource zeros_then_ones() { return sequence({0, 0, 0, 0, 0xffffffffu}); }

} // namespace

TEST_CASE("uuid_v4 formats 16 random bytes with the version and variant bits set") {
    CHECK(uuid_v4(sequence({0})) == "00000000-0000-4000-8000-000000000000");
    CHECK(uuid_v4(sequence({0xffffffffu})) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
    CHECK(uuid_v4(sequence({0x03020100u, 0x07060504u, 0x0b0a0908u, 0x0f0e0d0cu})) ==
          "00010203-0405-4607-8809-0a0b0c0d0e0f");
    SUBCASE("the system source gives a fresh one each time") {
        auto random = system_random();
        auto a = uuid_v4(random);
        auto b = uuid_v4(random);
        CHECK(a != b);
        CHECK(a.size() == 36);
        CHECK(a[14] == '4');
        CHECK(std::string("89ab").find(a[19]) != std::string::npos);
    }
}

TEST_CASE("outputs are written as name<<delimiter, value, delimiter") {
    auto text = format_file_commands({{"environment", "staging"}, {"empty", ""}}, "GITHUB_OUTPUT", sequence({0}));
    REQUIRE(text);
    CHECK(*text ==
          "environment<<" + kZeros + "\nstaging\n" + kZeros + "\n" + "empty<<" + kZeros + "\n\n" + kZeros + "\n");
    CHECK(test::parse_file_commands(*text) == NameValues{{"environment", "staging"}, {"empty", ""}});
    CHECK(*format_file_commands({}, "GITHUB_OUTPUT", sequence({0})) == "");
}

TEST_CASE("a value containing the delimiter gets a new delimiter and round-trips") {
    const std::string value = "line one\n100% done :: ::error::not a command\n" + kZeros + "\n\r\nlast line\n";
    TempDir dir;
    auto path = dir.path("output");
    REQUIRE(write_output(path, "report", value, zeros_then_ones()));
    const std::string bytes = test::read_all(path);
    CHECK(bytes == "report<<" + kOnes + "\n" + value + "\n" + kOnes + "\n");
    CHECK(test::parse_file_commands(bytes) == NameValues{{"report", value}});

    SUBCASE("so does a name containing it") {
        auto text = format_file_commands({{"x" + kZeros, "v"}}, "GITHUB_OUTPUT", zeros_then_ones());
        REQUIRE(text);
        CHECK(*text == "x" + kZeros + "<<" + kOnes + "\nv\n" + kOnes + "\n");
    }
    SUBCASE("a source that always collides is an error, not a loop") {
        auto text = format_file_commands({{"report", kZeros}}, "GITHUB_OUTPUT", sequence({0}));
        REQUIRE_FALSE(text);
        CHECK(text.error().message == "GITHUB_OUTPUT: no delimiter found that the values do not contain");
    }
}

TEST_CASE("names the runner would misread are refused") {
    struct Row {
        std::string name, message;
    };
    const Row rows[] = {
        {"", "GITHUB_OUTPUT: a name must not be empty"},
        {"two\nlines", "GITHUB_OUTPUT: name \"two\\nlines\" contains a line break"},
        {"cr\r", "GITHUB_OUTPUT: name \"cr\\r\" contains a line break"},
        {"a=b", "GITHUB_OUTPUT: name \"a=b\" contains \"=\""},
        {"a<<b", "GITHUB_OUTPUT: name \"a<<b\" contains \"<<\""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.name);
        auto text = format_file_commands({{"ok", "1"}, {row.name, "v"}}, "GITHUB_OUTPUT", sequence({0}));
        REQUIRE_FALSE(text);
        CHECK(text.error().message == row.message);
        CHECK(text.error().hint == "names are single lines without \"=\" or \"<<\"");
        CHECK(text.error().exit_code() == 2);
    }
    TempDir dir;
    CHECK_FALSE(write_output(dir.path("out"), "", "v", sequence({0})));
    CHECK(test::read_all(dir.path("out")).empty());
}

TEST_CASE("writing appends to what the file already holds") {
    TempDir dir;
    auto path = dir.write("output", "earlier=1\n");
    REQUIRE(write_output(path, "a", "x", sequence({0})));
    REQUIRE(write_output(path, "b", "y", sequence({0})));
    CHECK(test::parse_file_commands(test::read_all(path)) == NameValues{{"earlier", "1"}, {"a", "x"}, {"b", "y"}});

    SUBCASE("GITHUB_ENV in the same form") {
        auto env = dir.path("env");
        REQUIRE(export_variable(env, "SBDEPLOY_ENVIRONMENT", "staging", sequence({0})));
        CHECK(test::read_all(env) == "SBDEPLOY_ENVIRONMENT<<" + kZeros + "\nstaging\n" + kZeros + "\n");
        auto bad = export_variable(env, "A=B", "x", sequence({0}));
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message == "GITHUB_ENV: name \"A=B\" contains \"=\"");
    }
    SUBCASE("the step summary gets the Markdown as it is") {
        auto summary = dir.write("summary", "# earlier\n");
        REQUIRE(append_step_summary(summary, "**sbdeploy**: ok\n"));
        CHECK(test::read_all(summary) == "# earlier\n**sbdeploy**: ok\n");
    }
}

TEST_CASE("a file that cannot be written is an io error naming it") {
    TempDir dir;
    auto path = dir.path("missing-folder/output");
    auto r = write_output(path, "a", "x", sequence({0}));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "cannot write the GITHUB_OUTPUT file \"" + path + "\": no such file or directory");
    CHECK(r.error().hint == "the runner sets GITHUB_OUTPUT to a writable file; outside Actions, unset it");
    CHECK(r.error().exit_code() == 1);
    auto s = append_step_summary(dir.path("missing-folder/summary"), "x");
    REQUIRE_FALSE(s);
    CHECK(s.error().message == "cannot write the GITHUB_STEP_SUMMARY file \"" + dir.path("missing-folder/summary") +
                                   "\": no such file or directory");
}

TEST_CASE("the Outputs collector keeps order, replaces in place and flushes once") {
    Outputs outputs;
    outputs.set("event", "push");
    outputs.set("reason", "first");
    outputs.set("environment", "staging");
    outputs.set("reason", "line \"one\"\nline two");
    CHECK(outputs.items() ==
          NameValues{{"event", "push"}, {"reason", "line \"one\"\nline two"}, {"environment", "staging"}});
    CHECK(outputs.get("environment") == "staging");
    CHECK_FALSE(outputs.get("nope"));
    CHECK(outputs.to_json() == R"({"event":"push","reason":"line \"one\"\nline two","environment":"staging"})");

    TempDir dir;
    auto path = dir.path("output");
    REQUIRE(outputs.flush(path, sequence({0})));
    CHECK(test::read_all(path) == "event<<" + kZeros + "\npush\n" + kZeros + "\n" + "reason<<" + kZeros +
                                      "\nline \"one\"\nline two\n" + kZeros + "\n" + "environment<<" + kZeros +
                                      "\nstaging\n" + kZeros + "\n");
    CHECK(test::parse_file_commands(test::read_all(path)) == outputs.items());
    CHECK(Outputs().to_json() == "{}");
}

TEST_CASE("escape_markdown keeps user text from becoming markup") {
    CHECK(escape_markdown("feature/<img src=x> *bold* _it_ `code` [link](u) a|b ~s~ #1 !x &amp; \\") ==
          "feature/\\<img src=x\\> \\*bold\\* \\_it\\_ \\`code\\` \\[link\\](u) a\\|b \\~s\\~ \\#1 \\!x \\&amp; \\\\");
    CHECK(escape_markdown("two\nlines") == "two lines");
    CHECK(escape_markdown("push to \"main\" maps to production") == "push to \"main\" maps to production");
}
