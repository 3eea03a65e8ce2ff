#include <doctest/doctest.h>

#include <sstream>

#include "cli/cli.hpp"

using namespace sbdeploy;

namespace {
struct RunResult {
    int code;
    std::string out, err;
};
RunResult run(std::vector<std::string> args, std::map<std::string, std::string, std::less<>> env = {}) {
    std::ostringstream out, err;
    int code = cli::run(args, util::Environment(std::move(env)), out, err);
    return {code, out.str(), err.str()};
}
} // namespace

TEST_CASE("an unknown command exits 2 and suggests the nearest one") {
    auto r = run({"pussh"});
    CHECK(r.code == 2);
    CHECK(r.err == "sbdeploy: error: unknown command \"pussh\"\nhint: did you mean 'sbdeploy push'?\n");
}

TEST_CASE("--version prints the version") {
    auto r = run({"--version"});
    CHECK(r.code == 0);
    CHECK(r.out.starts_with("sbdeploy "));
}
