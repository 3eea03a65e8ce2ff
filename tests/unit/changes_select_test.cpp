// What a filter selects and how paths-filter reports it: grouping by status, edited
// existing files, the list formats of dorny/paths-filter's list-files, printable paths.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "changes/select.hpp"

using namespace sbdeploy;
using changes::Change;
using changes::ListFormat;
using changes::Status;

namespace {

Change change(Status s, std::string path, std::string old_path = {}) {
    Change c;
    c.status = s;
    c.path = std::move(path);
    c.old_path = std::move(old_path);
    return c;
}

util::GlobList filter(std::vector<std::string> lines) {
    auto f = util::GlobList::parse(lines);
    REQUIRE(f);
    return *f;
}

} // namespace

TEST_CASE("select: changes are grouped by status, edits of existing files listed") {
    std::vector<Change> all = {
        change(Status::added, "m/1.sql"),
        change(Status::modified, "m/2.sql"),
        change(Status::deleted, "m/3.sql"),
        change(Status::renamed, "m/4b.sql", "m/4.sql"),
        change(Status::copied, "m/5b.sql", "m/5.sql"),
        change(Status::type_changed, "m/6.sql"),
        change(Status::mode_changed, "m/7.sql"),
        change(Status::added, "docs/x.md"),
        change(Status::renamed, "attic/8.sql", "m/8.sql"),  // moved out: its old path matches
        change(Status::renamed, "m/9.sql", "drafts/9.sql"), // moved in
    };
    auto s = changes::select(all, filter({"m/*.sql"}));
    CHECK(s.matched.size() == 9);
    CHECK(s.files == std::vector<std::string>{"m/1.sql", "m/2.sql", "m/3.sql", "m/4b.sql", "m/5b.sql", "m/6.sql",
                                              "m/7.sql", "attic/8.sql", "m/9.sql"});
    CHECK(s.added == std::vector<std::string>{"m/1.sql", "m/5b.sql"});
    CHECK(s.modified == std::vector<std::string>{"m/2.sql", "m/6.sql", "m/7.sql"});
    CHECK(s.deleted == std::vector<std::string>{"m/3.sql"});
    CHECK(s.renamed == std::vector<std::pair<std::string, std::string>>{
                           {"m/4.sql", "m/4b.sql"}, {"m/8.sql", "attic/8.sql"}, {"drafts/9.sql", "m/9.sql"}});
    std::vector<std::string> edited;
    for (const auto& c : s.edited_existing) edited.push_back(changes::base_path(c));
    // Added and copied files are new; a mode change alone is not an edit.
    CHECK(edited == std::vector<std::string>{"m/2.sql", "m/3.sql", "m/4.sql", "m/6.sql", "m/8.sql", "drafts/9.sql"});
}

TEST_CASE("select: nothing matches") {
    auto s = changes::select({change(Status::added, "README.md")}, filter({"m/*.sql"}));
    CHECK(s.matched.empty());
    CHECK(s.files.empty());
    CHECK(changes::json_strings(s.files) == "[]");
    CHECK(changes::json_renames(s.renamed) == "[]");
}

TEST_CASE("select: list formats as dorny/paths-filter names them") {
    CHECK(changes::parse_list_format("none") == ListFormat::none);
    CHECK(changes::parse_list_format("csv") == ListFormat::csv);
    CHECK(changes::parse_list_format("json") == ListFormat::json);
    CHECK(changes::parse_list_format("shell") == ListFormat::shell);
    CHECK(changes::parse_list_format("escape") == ListFormat::escape);
    CHECK_FALSE(changes::parse_list_format("CSV"));
    CHECK_FALSE(changes::parse_list_format(""));

    const std::vector<std::string> files = {"a/plain-1.sql", "with space", "q\"uote",     "it's",
                                            "new\nline",     "c,omma",     "caf\xc3\xa9", "$HOME"};
    CHECK(changes::format_list(files, ListFormat::none) == "");
    CHECK(changes::format_list(files, ListFormat::csv) ==
          "a/plain-1.sql,\"with space\",\"q\"\"uote\",\"it's\",\"new\nline\",\"c,omma\",\"caf\xc3\xa9\",\"$HOME\"");
    CHECK(changes::format_list(files, ListFormat::json) ==
          "[\"a/plain-1.sql\",\"with "
          "space\",\"q\\\"uote\",\"it's\",\"new\\nline\",\"c,omma\",\"caf\xc3\xa9\",\"$HOME\"]");
    CHECK(changes::format_list(files, ListFormat::shell) ==
          "a/plain-1.sql 'with space' 'q\"uote' \"it's\" 'new\nline' c,omma 'caf\xc3\xa9' '$HOME'");
    // dorny's shellEscape splits at single quotes when the rest is not plain.
    CHECK(changes::format_list({"a$b'c", "'$", "'x", "it's a\nfile"}, ListFormat::shell) ==
          "'a$b'\\'c \\''$' \"'x\" \"it's a\nfile\"");
    CHECK(changes::format_list(files, ListFormat::escape) ==
          "a/plain-1.sql with\\ space q\\\"uote it\\'s new'\n'line c,omma caf\\\xc3\xa9 \\$HOME");
    CHECK(changes::format_list({}, ListFormat::csv) == "");
    CHECK(changes::format_list({""}, ListFormat::shell) == "");
}

TEST_CASE("select: renames as JSON objects") {
    CHECK(changes::json_renames({{"a.sql", "b \"x\".sql"}}) == R"([{"from":"a.sql","to":"b \"x\".sql"}])");
}

TEST_CASE("select: a path printed on one line can carry no workflow command") {
    CHECK(changes::printable_path("supabase/migrations/1_a.sql") == "supabase/migrations/1_a.sql");
    CHECK(changes::printable_path("with space.sql") == "with space.sql");
    CHECK(changes::printable_path("caf\xc3\xa9.sql") == "caf\xc3\xa9.sql");
    CHECK(changes::printable_path("a\n::error::x") == "\"a\\n::error::x\"");
    CHECK(changes::printable_path("tab\there") == "\"tab\\there\"");
    CHECK(changes::printable_path("back\\slash") == "\"back\\\\slash\"");
    CHECK(changes::printable_path("q\"uote") == "\"q\\\"uote\"");
    CHECK(changes::printable_path(" padded ") == "\" padded \"");
    CHECK(changes::printable_path(std::string("bell\x07", 5)) == "\"bell\\x07\"");
    CHECK(changes::printable_path("del\x7f") == "\"del\\x7f\"");
}

TEST_CASE("select: a folder as a glob matching exactly it") {
    CHECK(changes::glob_escape("supabase/migrations") == "supabase/migrations");
    CHECK(changes::glob_escape("db [old]/{x}/a*b?") == "db \\[old\\]/\\{x\\}/a\\*b\\?");
    CHECK(changes::glob_escape("!odd/#x") == "\\!odd/#x");
    for (std::string dir : {"db [old]/{x,y}", "a*b?/c", "!bang", "#hash", "back\\slash", "p(1)|q"}) {
        auto g = util::Glob::compile(changes::glob_escape(dir) + "/*.sql");
        REQUIRE_MESSAGE(g, dir);
        CHECK_MESSAGE(g->matches(dir + "/1_a.sql"), dir);
        CHECK_FALSE_MESSAGE(g->matches(dir + "x/1_a.sql"), dir);
    }
}
