// util's file helpers: read_file's Result, and the one glob file walker (match_files) behind
// seed sql_paths, --junit and --test-results: what it finds, how deep it looks, what it skips,
// and a glob it refuses.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "util/file.hpp"
#include "util/glob.hpp"
#include "util/glob_files.hpp"

using namespace sbdeploy;
namespace fs = std::filesystem;

namespace {

using Strings = std::vector<std::string>;

void touch(const test::TempDir& dir, const std::string& rel) {
    fs::create_directories(fs::path(dir.path(rel)).parent_path());
    dir.write(rel, "x");
}

Strings found(const std::string& root, std::string_view pattern, util::SkipFolders skip = util::SkipFolders::none) {
    auto r = util::match_files(root, pattern, skip);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
}

} // namespace

TEST_CASE("util read_file: the bytes, or the cause") {
    test::TempDir dir;
    auto ok = util::read_file(dir.write("a.bin", std::string("a\0b\r\n", 5)));
    REQUIRE(ok);
    CHECK(*ok == std::string("a\0b\r\n", 5));
    auto missing = util::read_file(dir.path("missing"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::io);
    CHECK(missing.error().message == "No such file or directory");
    auto project = util::read_project_file(dir.path("missing"), "seed file \"seeds/a.sql\"", "seeds/a.sql");
    REQUIRE_FALSE(project);
    CHECK(project.error().kind == ErrorKind::config);
    CHECK(project.error().message == "cannot read seed file \"seeds/a.sql\": No such file or directory");
    CHECK(project.error().hint == "check the file's permissions");
    CHECK(project.error().file == "seeds/a.sql");
}

TEST_CASE("util match_files: the files a glob selects below a folder, sorted") {
    test::TempDir dir;
    for (const char* f : {"r/a.xml", "r/b.txt", "r/deep/c.xml", "r/deep/deeper/d.xml", "r/.git/e.xml",
                          "r/node_modules/f.xml", "top.xml"})
        touch(dir, f);
    const std::string root = dir.path("");
    SUBCASE("one segment: no deeper than the pattern") { CHECK(found(root, "r/*.xml") == Strings{"r/a.xml"}); }
    SUBCASE("** goes down, and tooling folders are skipped only when asked") {
        CHECK(found(root, "r/**/*.xml") ==
              Strings{"r/.git/e.xml", "r/a.xml", "r/deep/c.xml", "r/deep/deeper/d.xml", "r/node_modules/f.xml"});
        CHECK(found(root, "./r/**/*.xml", util::SkipFolders::tooling) ==
              Strings{"r/a.xml", "r/deep/c.xml", "r/deep/deeper/d.xml"});
    }
    SUBCASE("a pattern without wildcards names one file") {
        CHECK(found(root, "top.xml") == Strings{"top.xml"});
        CHECK(found(root, "r/deep").empty());  // a folder is not a file
        CHECK(found(root, "nowhere/*.xml").empty());
    }
    SUBCASE("a glob util::Glob refuses is its error, wildcards or not") {
        for (std::string_view bad : {"+(a|b).xml", "tests/(a|b).json"}) {
            CAPTURE(bad);
            auto r = util::match_files(root, bad, util::SkipFolders::tooling);
            REQUIRE_FALSE(r);
            CHECK(r.error().kind == ErrorKind::config);
            CHECK(r.error().message == util::Glob::compile(bad).error().message);
            CHECK(r.error().hint == util::Glob::compile(bad).error().hint);
        }
    }
}
