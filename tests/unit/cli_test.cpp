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

TEST_CASE("--help for the program and for each command") {
    auto r = run({"--help"});
    CHECK(r.code == 0);
    CHECK(r.out.find("usage: sbdeploy <command> [options]") != std::string::npos);
    for (const auto& c : cli::command_table()) {
        CAPTURE(c.name);
        CHECK(r.out.find("  " + std::string(c.name) + " ") != std::string::npos);
        auto h = run({std::string(c.name), "--help"});
        CHECK(h.code == 0);
        CHECK(h.out.starts_with("usage: sbdeploy " + std::string(c.name)));
    }
    auto push = run({"push", "--help"});
    CHECK(push.out.find("  --db-url URL\n") != std::string::npos);
    CHECK(push.out.find("env: SBDEPLOY_DB_URL") != std::string::npos);
}

TEST_CASE("rollback without --to or --last says what it needs and exits 2") {
    auto r = run({"rollback"});
    CHECK(r.code == 2);
    CHECK(r.err == "sbdeploy: error: rollback: say what to roll back\n"
                   "hint: --to VERSION (undo the versions after it) or --last N (undo the N newest)\n");
}

TEST_CASE("no command: the help on stderr and exit 2") {
    auto r = run({});
    CHECK(r.code == 2);
    CHECK(r.err.find("usage: sbdeploy <command>") != std::string::npos);
}

TEST_CASE("secrets in the environment are masked before anything else under Actions") {
    auto r = run({"push", "--frobnicate"}, {{"GITHUB_ACTIONS", "true"},
                                            {"SUPABASE_ACCESS_TOKEN", "sbp_0123456789abcdef"},
                                            {"SBDEPLOY_DB_URL", "postgresql://u:p%40ss-word@db.example.com/postgres"}});
    CHECK(r.code == 2);
    CHECK(r.out.starts_with("::add-mask::"));
    CHECK(r.out.find("::add-mask::sbp_0123456789abcdef\n") != std::string::npos);
    CHECK(r.out.find("::add-mask::p@ss-word\n") != std::string::npos);
    CHECK(r.out.find("::add-mask::p%2540ss-word\n") != std::string::npos);
}
