// util::run_process: arguments, exact environment, stdin, both output streams at once
// (no deadlock on large output), exit codes, signals and the timeout.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "support/temp_dir.hpp"
#include "util/process.hpp"

using namespace sbdeploy;
using namespace sbdeploy::util;

namespace {

ProcessResult run(std::string program, std::vector<std::string> args, std::optional<std::string> input = std::nullopt) {
    ProcessSpec spec;
    spec.program = std::move(program);
    spec.args = std::move(args);
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    spec.stdin_text = std::move(input);
    auto r = run_process(spec);
    REQUIRE(r);
    return *r;
}

} // namespace

TEST_CASE("arguments reach the program as they are") {
    auto r = run("sh", {"-c", "printf '%s|' \"$@\"", "sh", "a", "b c", "", "$HOME"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "a|b c||$HOME|");
    CHECK(r.err == "");
}

TEST_CASE("the child gets exactly the given environment") {
    ProcessSpec spec;
    spec.program = "/usr/bin/env";
    spec.env = {{"FOO", "bar baz"}, {"PATH", "/usr/bin:/bin"}};
    auto r = run_process(spec);
    REQUIRE(r);
    CHECK(r->out == "FOO=bar baz\nPATH=/usr/bin:/bin\n");
}

TEST_CASE("stdin, stdout and stderr are all drained together") {
    SUBCASE("8 MiB through cat") {
        std::string input(8 * 1024 * 1024, 'x');
        for (std::size_t i = 0; i < input.size(); i += 4096) input[i] = '\n';
        auto r = run("cat", {}, input);
        CHECK(r.exit_code == 0);
        CHECK(r.out.size() == input.size());
        CHECK(r.out == input);
    }
    SUBCASE("large output on both streams") {
        auto r = run("sh", {"-c", "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2; echo done"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.size() == 3000005);
        CHECK(r.err.size() == 2000000);
    }
    SUBCASE("a child that does not read its stdin does not kill us") {
        auto r = run("true", {}, std::string(4 * 1024 * 1024, 'x'));
        CHECK(r.exit_code == 0);
    }
    SUBCASE("without stdin text, stdin is empty") {
        auto r = run("cat", {});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "");
    }
}

TEST_CASE("exit codes and signals are reported") {
    auto failed = run("sh", {"-c", "echo oops >&2; exit 3"});
    CHECK(failed.exit_code == 3);
    CHECK(failed.signal == 0);
    CHECK(failed.err == "oops\n");
    CHECK_FALSE(failed.ok());
    auto killed = run("sh", {"-c", "kill -TERM $$"});
    CHECK(killed.exit_code == -1);
    CHECK(killed.signal == 15);
    CHECK_FALSE(killed.timed_out);
}

TEST_CASE("a timeout kills the program and what it started") {
    ProcessSpec spec;
    spec.program = "sh";
    spec.args = {"-c", "echo started; sleep 30 & wait"};
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    spec.timeout = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    auto r = run_process(spec);
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(r);
    CHECK(r->timed_out);
    CHECK(r->signal == 9);
    CHECK(r->out == "started\n");
    // The backgrounded sleep holds the pipes too; it must have been killed with the group.
    CHECK(elapsed < std::chrono::seconds(10));
}

TEST_CASE("the working directory is set") {
    test::TempDir dir;
    ProcessSpec spec;
    spec.program = "pwd";
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    spec.workdir = dir.path("");
    auto r = run_process(spec);
    REQUIRE(r);
    REQUIRE(r->out.ends_with("\n"));
    CHECK(std::filesystem::equivalent(r->out.substr(0, r->out.size() - 1), dir.path("")));
}

TEST_CASE("a program that cannot start is an error") {
    ProcessSpec spec;
    spec.program = "sbdeploy-no-such-program";
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    auto r = run_process(spec);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "cannot run \"sbdeploy-no-such-program\": not found in PATH");
    CHECK(r.error().kind == ErrorKind::io);

    spec.program = "/nonexistent/bin/tool";
    auto missing = run_process(spec);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "cannot run \"/nonexistent/bin/tool\": no such file or directory");
}

TEST_CASE("stdout can be handed over piece by piece instead of kept") {
    ProcessSpec spec;
    spec.program = "sh";
    spec.args = {"-c", "head -c 1000000 /dev/zero | tr '\\0' x; echo warn >&2"};
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    std::size_t bytes = 0;
    std::size_t pieces = 0;
    bool only_x = true;
    spec.on_out = [&](std::string_view piece) {
        bytes += piece.size();
        ++pieces;
        only_x = only_x && piece.find_first_not_of('x') == std::string_view::npos;
    };
    auto r = run_process(spec);
    REQUIRE(r);
    CHECK(r->exit_code == 0);
    CHECK(bytes == 1000000);
    CHECK(pieces > 1);
    CHECK(only_x);
    CHECK(r->out.empty());
    CHECK(r->err == "warn\n");  // stderr is kept as before
}
