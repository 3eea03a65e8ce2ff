// git's `diff --raw -z` output and GitHub's file lists read into changes: every status,
// any byte in a path, malformed input refused with where it went wrong; Link headers.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "changes/diff.hpp"
#include "changes/github_files.hpp"
#include "github/api.hpp"

using namespace sbdeploy;
using changes::Change;
using changes::Status;

namespace {

const std::string A(40, 'a');
const std::string B(40, 'b');
const std::string Z(40, '0');

std::string rec(const std::string& header, std::initializer_list<std::string> paths) {
    std::string s = header;
    s.push_back('\0');
    for (const auto& p : paths) {
        s += p;
        s.push_back('\0');
    }
    return s;
}

} // namespace

TEST_CASE("changes: git's raw -z records become changes with every status") {
    std::string out = rec(":000000 100644 " + Z + " " + B + " A", {"s/new.sql"}) +
                      rec(":100644 100644 " + A + " " + B + " M", {"s/edit.sql"}) +
                      rec(":100644 000000 " + A + " " + Z + " D", {"s/gone.sql"}) +
                      rec(":100644 100644 " + A + " " + A + " R100", {"s/old.sql", "s/renamed.sql"}) +
                      rec(":100644 100644 " + A + " " + B + " C075", {"s/src.sql", "s/copy.sql"}) +
                      rec(":100644 120000 " + A + " " + B + " T", {"s/link.sql"}) +
                      rec(":100644 100755 " + A + " " + A + " M", {"s/chmod.sql"}) +
                      rec(":100644 100755 " + A + " " + B + " M", {"s/both.sql"});
    auto r = changes::parse_raw_diff(out);
    REQUIRE(r);
    REQUIRE(r->size() == 8);
    const auto& c = *r;
    CHECK(c[0].status == Status::added);
    CHECK(c[0].path == "s/new.sql");
    CHECK(c[0].old_mode == "000000");
    CHECK(c[0].new_mode == "100644");
    CHECK(c[1].status == Status::modified);
    CHECK(c[2].status == Status::deleted);
    CHECK(c[2].path == "s/gone.sql");
    CHECK(c[3].status == Status::renamed);
    CHECK(c[3].old_path == "s/old.sql");
    CHECK(c[3].path == "s/renamed.sql");
    CHECK(c[3].similarity == 100);
    CHECK(c[4].status == Status::copied);
    CHECK(c[4].old_path == "s/src.sql");
    CHECK(c[4].path == "s/copy.sql");
    CHECK(c[4].similarity == 75);
    CHECK(c[5].status == Status::type_changed);
    CHECK(c[6].status == Status::mode_changed);  // same blob, new mode
    CHECK(c[7].status == Status::modified);      // content and mode
    CHECK(changes::existed_on_base(c[1]));
    CHECK_FALSE(changes::existed_on_base(c[0]));
    CHECK_FALSE(changes::existed_on_base(c[4]));
    CHECK(changes::base_path(c[3]) == "s/old.sql");
    CHECK(changes::base_path(c[1]) == "s/edit.sql");
}

TEST_CASE("changes: paths keep every byte but NUL") {
    const std::string odd = "a b/\"q\"\n'x'\t\\\xc3\xa9:\x01.sql";
    auto r = changes::parse_raw_diff(rec(":000000 100644 " + Z + " " + B + " A", {odd}));
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].path == odd);
}

TEST_CASE("changes: empty output is no change") {
    auto r = changes::parse_raw_diff("");
    REQUIRE(r);
    CHECK(r->empty());
}

TEST_CASE("changes: malformed raw output is an error saying where") {
    auto message = [](const std::string& out) {
        auto r = changes::parse_raw_diff(out);
        REQUIRE_FALSE(r);
        CHECK(r.error().hint == "this git is not one sbdeploy knows; run with --verbose and report it");
        return r.error().message;
    };
    // Control characters escaped: a newline in a message would start a line of its own.
    CHECK(message("M\tfile\n") ==
          "git diff: unexpected output at byte 0 (a record starts with \":\"): \"M\\tfile\\n\"");
    CHECK(message(rec(":100644 100644 " + A + " M", {"f"})) ==
          "git diff: unexpected output at byte 0 (five header fields): \":100644 100644 " + A + " M f \"");
    // The excerpt is the record's first 60 bytes, NULs shown as spaces.
    CHECK(message(rec(":100644 100644 " + A + " " + B + " X", {"f"})) ==
          "git diff: unexpected output at byte 0 (a known status letter): \":100644 100644 " + A + " " +
              B.substr(0, 4) + "\"");
    std::string rename_one_path = rec(":100644 100644 " + A + " " + A + " R100", {"old"});
    CHECK(message(rename_one_path).starts_with("git diff: unexpected output at byte 0 (a second path)"));
    std::string ok = rec(":000000 100644 " + Z + " " + B + " A", {"f"});
    std::string no_nul = ok + ":000000 100644 " + Z + " " + B + " A";
    CHECK(message(no_nul).starts_with("git diff: unexpected output at byte " + std::to_string(ok.size()) +
                                      " (a record starts with \":\")"));
}

TEST_CASE("changes: raw output read piece by piece, split anywhere, gives the same changes") {
    const std::string odd = "a b/\"q\"\n\xc3\xa9.sql";
    std::string out = rec(":000000 100644 " + Z + " " + B + " A", {"s/new.sql"}) +
                      rec(":100644 100644 " + A + " " + A + " R100", {"s/old.sql", "s/renamed.sql"}) +
                      rec(":100644 100755 " + A + " " + A + " M", {odd}) +
                      rec(":100644 100644 " + A + " " + B + " C075", {"s/src.sql", "s/copy.sql"}) +
                      rec(":100644 000000 " + A + " " + Z + " D", {"s/gone.sql"});
    auto whole = changes::parse_raw_diff(out);
    REQUIRE(whole);
    REQUIRE(whole->size() == 5);
    auto same = [](const Change& a, const Change& b) {
        return a.status == b.status && a.path == b.path && a.old_path == b.old_path && a.old_mode == b.old_mode &&
               a.new_mode == b.new_mode && a.similarity == b.similarity;
    };
    for (std::size_t piece = 1; piece <= out.size(); ++piece) {
        CAPTURE(piece);
        std::vector<Change> got;
        changes::RawDiffReader reader([&](const Change& c) { got.push_back(c); });
        for (std::size_t at = 0; at < out.size(); at += piece) reader.feed(std::string_view(out).substr(at, piece));
        REQUIRE(reader.finish());
        REQUIRE(got.size() == whole->size());
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(same(got[i], (*whole)[i]));
    }
    SUBCASE("an error in a later piece counts its bytes from the start of the output") {
        std::string bad = out + rec(":100644 100644 " + A + " " + B + " X", {"f"});
        changes::RawDiffReader reader([](const Change&) {});
        for (std::size_t at = 0; at < bad.size(); at += 7) reader.feed(std::string_view(bad).substr(at, 7));
        auto r = reader.finish();
        REQUIRE_FALSE(r);
        CHECK(r.error().message.starts_with("git diff: unexpected output at byte " + std::to_string(out.size()) +
                                            " (a known status letter)"));
    }
    SUBCASE("output that stops inside a record is an error at its start") {
        std::string cut = out + ":000000 100644 " + Z;
        changes::RawDiffReader reader([](const Change&) {});
        reader.feed(cut);
        auto r = reader.finish();
        REQUIRE_FALSE(r);
        CHECK(r.error().message.starts_with("git diff: unexpected output at byte " + std::to_string(out.size()) +
                                            " (a record starts with \":\")"));
    }
}

TEST_CASE("changes: GitHub's file objects become changes") {
    std::vector<Change> out;
    auto ok = changes::parse_api_files(
        R"([{"filename":"a.sql","status":"added","sha":"x","patch":"@@"},)"
        R"({"filename":"b.sql","status":"removed"},{"filename":"c.sql","status":"modified"},)"
        R"({"filename":"d2.sql","status":"renamed","previous_filename":"d.sql"},)"
        R"({"filename":"e2.sql","status":"copied","previous_filename":"e.sql"},)"
        R"({"filename":"f.sql","status":"changed"},{"filename":"g.sql","status":"unchanged"}])",
        out);
    REQUIRE(ok);
    REQUIRE(out.size() == 6);
    CHECK(out[0].status == Status::added);
    CHECK(out[1].status == Status::deleted);
    CHECK(out[1].path == "b.sql");
    CHECK(out[2].status == Status::modified);
    CHECK(out[3].status == Status::renamed);
    CHECK(out[3].old_path == "d.sql");
    CHECK(out[3].path == "d2.sql");
    CHECK(out[4].status == Status::copied);
    CHECK(out[5].status == Status::type_changed);
    SUBCASE("a comparison object's files, and one without files") {
        std::vector<Change> cmp;
        REQUIRE(changes::parse_api_files(R"({"status":"ahead","files":[{"filename":"x","status":"added"}]})", cmp));
        REQUIRE(cmp.size() == 1);
        CHECK(cmp[0].path == "x");
        std::vector<Change> none;
        REQUIRE(changes::parse_api_files(R"({"status":"identical","commits":[]})", none));
        CHECK(none.empty());
    }
}

TEST_CASE("changes: unexpected GitHub answers are errors naming what is wrong") {
    auto message = [](const std::string& json) {
        std::vector<Change> out;
        auto r = changes::parse_api_files(json, out);
        REQUIRE_FALSE(r);
        CHECK(r.error().hint == "check GITHUB_API_URL points at the GitHub REST API");
        return r.error().message;
    };
    CHECK(message("<html>") == "github api: unexpected response: not JSON");
    CHECK(message("\"text\"") == "github api: unexpected response: neither an array nor an object");
    CHECK(message(R"({"files":{}})") == "github api: unexpected response: \"files\" is not an array");
    CHECK(message(R"([1])") == "github api: unexpected response: a file entry is not an object");
    CHECK(message(R"([{"status":"added"}])") == "github api: unexpected response: a file entry has no \"filename\"");
    CHECK(message(R"([{"filename":"a","status":"renamed"}])") ==
          "github api: unexpected response: a renamed file has no \"previous_filename\"");
    CHECK(message(R"([{"filename":"a","status":"exploded"}])") ==
          "github api: unexpected response: unknown file status \"exploded\"");
}

TEST_CASE("github api: the next page from a Link header") {
    CHECK(github::next_link(R"(<https://api.github.com/repositories/1/pulls/7/files?page=2>; rel="next", )"
                            R"(<https://api.github.com/repositories/1/pulls/7/files?page=30>; rel="last")") ==
          "https://api.github.com/repositories/1/pulls/7/files?page=2");
    CHECK(github::next_link(R"(<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next")") ==
          "https://h/x?page=3");
    CHECK(github::next_link(R"(<https://h/x?page=1>; rel="first", <https://h/x?page=2>; rel="prev")") == "");
    CHECK(github::next_link(R"(<https://h/x?page=4>; rel=next)") == "https://h/x?page=4");
    CHECK(github::next_link(R"(<https://h/x?page=5>; rel="next last")") == "https://h/x?page=5");
    CHECK(github::next_link("") == "");
    CHECK(github::utc_time(1735786800) == "2025-01-02 03:00:00 UTC");
}
