// The built binary against hostile or broken surroundings, no database: destinations that are
// not loopback with a weak sslmode, statements nested too deeply for the parser, links out of
// the project, durations beyond what Postgres takes, an unwritable stdout, forged refs.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "util/process.hpp"

using namespace sbdeploy::test;

namespace {

namespace fs = std::filesystem;

using Env = std::map<std::string, std::string, std::less<>>;

// A project folder with one migration.
struct Project {
    TempDir dir;
    Project() {
        fs::create_directories(dir.path("supabase/migrations"));
        dir.write("supabase/migrations/20240101000000_one.sql", "create table one (id int);\n");
    }
    [[nodiscard]] std::string root() const { return dir.path(""); }
};

// True when this machine can give a process a network namespace of its own (no interface but
// a down loopback): a refusal test then sends nothing anywhere even if the refusal regressed.
bool can_isolate() {
    static const bool ok = [] {
        sbdeploy::util::ProcessSpec spec;
        spec.program = "unshare";
        spec.args = {"-rn", "true"};
        spec.env = {{"PATH", "/usr/bin:/bin"}};
        auto r = sbdeploy::util::run_process(spec);
        return r && r->exit_code == 0;
    }();
    return ok;
}

sbdeploy::util::ProcessResult run(std::vector<std::string> args, Env env = {}, bool isolated = false) {
    sbdeploy::util::ProcessSpec spec;
    env.try_emplace("PATH", "/usr/bin:/bin");
    env.try_emplace("HOME", "/nonexistent");
    if (isolated && can_isolate()) {
        spec.program = "unshare";
        args.insert(args.begin(), {"-rn", SBDEPLOY_BINARY});
    } else {
        spec.program = SBDEPLOY_BINARY;
    }
    spec.args = std::move(args);
    spec.env = std::move(env);
    spec.timeout = std::chrono::milliseconds(60'000);
    auto r = sbdeploy::util::run_process(spec);
    REQUIRE(r);
    REQUIRE_FALSE(r->timed_out);
    return *r;
}

// sbdeploy with stdout on /dev/full.
sbdeploy::util::ProcessResult run_to_full(const std::string& args) {
    sbdeploy::util::ProcessSpec spec;
    spec.program = "/bin/sh";
    spec.args = {"-c", "exec \"$0\" " + args + " >/dev/full", SBDEPLOY_BINARY};
    spec.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/nonexistent"}};
    auto r = sbdeploy::util::run_process(spec);
    REQUIRE(r);
    return *r;
}

std::string describe(const sbdeploy::util::ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.signal) + "\nstdout:\n" +
           r.out.substr(0, 2000) + "\nstderr:\n" + r.err.substr(0, 2000);
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
    std::size_t at = 0;
    while (at <= text.size()) {
        auto eol = text.find('\n', at);
        auto line = text.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
        if (line.starts_with(prefix)) return true;
        if (eol == std::string::npos) break;
        at = eol + 1;
    }
    return false;
}

} // namespace

TEST_CASE("hardening: an sslmode weaker than require to a destination that is not loopback is refused before "
          "connecting") {
    Project project;
    const std::string refused = " which is not loopback, may send the password and the migrations in clear\n"
                                "hint: use sslmode require, verify-ca or verify-full (the URL's sslmode, --sslmode, "
                                "PGSSLMODE or the service file); --allow-insecure-transport accepts the risk\n";
    auto status = [&](const std::string& url, Env env = {}, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"status", "--workdir", project.root(), "--db-url", url, "--connect-timeout",
                                         "2s"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run(args, std::move(env), true);
    };
    SUBCASE("hostaddr names the real destination, whatever the host name says") {
        auto r = status("postgresql://postgres:pw@localhost:5432/postgres?hostaddr=192.0.2.10&sslmode=disable");
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: sslmode \"disable\" to \"192.0.2.10\"," + refused);
    }
    SUBCASE("a URL without a host, PGHOST names a remote one") {
        auto r =
            status("postgresql://postgres:pw@/postgres", {{"PGHOST", "db.example.invalid"}, {"PGSSLMODE", "prefer"}});
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: sslmode \"prefer\" to \"db.example.invalid\"," + refused);
    }
    SUBCASE("--sslmode allow to a remote host") {
        auto r = status("postgresql://postgres:pw@db.example.invalid:5432/postgres", {}, {"--sslmode", "allow"});
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: sslmode \"allow\" to \"db.example.invalid\"," + refused);
    }
    SUBCASE("a service file names the host and the sslmode") {
        TempDir conf;
        auto file = conf.write("pg_service.conf", "[remote]\nhost=db.example.invalid\nsslmode=disable\n");
        auto r = status("postgresql://postgres:pw@/postgres?service=remote", {{"PGSERVICEFILE", file}});
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: sslmode \"disable\" to \"db.example.invalid\"," + refused);
    }
    SUBCASE("one host of a multi-host list is remote") {
        auto r = status("host=127.0.0.1,db.example.invalid port=5432 user=postgres password=pw dbname=postgres "
                        "sslmode=prefer");
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err == "sbdeploy: error: sslmode \"prefer\" to \"db.example.invalid\"," + refused);
    }
}

TEST_CASE("hardening: a statement nested too deeply for the parser is an error naming the file, never a crash") {
    Project project;
    std::string deep = "select 1";
    for (int i = 0; i < 100'000; ++i) deep += "+1";
    project.dir.write("supabase/migrations/20240101000001_deep.sql", "-- generated\n" + deep + ";\n");
    SUBCASE("lint") {
        auto r = run({"lint", "--workdir", project.root()});
        INFO(describe(r));
        CHECK(r.signal == 0);
        CHECK(r.exit_code == 1);
        CHECK(r.out.find("supabase/migrations/20240101000001_deep.sql:2:") != std::string::npos);
        CHECK(r.out.find("statement too deeply nested") != std::string::npos);
    }
    SUBCASE("validate, offline") {
        auto r = run({"validate", "--workdir", project.root()});
        INFO(describe(r));
        CHECK(r.signal == 0);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("supabase/migrations/20240101000001_deep.sql:2: statement too deeply nested") !=
              std::string::npos);
    }
}

TEST_CASE("hardening: a link in the migrations folder that leaves the project is refused, one inside it works") {
    Project project;
    TempDir outside;
    auto target = outside.write("evil.sql", "drop table one;\n");
    SUBCASE("outside") {
        fs::create_symlink(target, project.dir.path("supabase/migrations/20240101000001_evil.sql"));
        auto r = run({"lint", "--workdir", project.root()});
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err.starts_with("sbdeploy: error: supabase/migrations/20240101000001_evil.sql: "
                                "migration \"supabase/migrations/20240101000001_evil.sql\" is a link to \"" +
                                fs::canonical(target).string() + "\", outside the project\n"));
    }
    SUBCASE("inside") {
        fs::create_directories(project.dir.path("sql"));
        project.dir.write("sql/two.sql", "create table two (id int);\n");
        fs::create_symlink("../../sql/two.sql", project.dir.path("supabase/migrations/20240101000001_two.sql"));
        auto r = run({"lint", "--workdir", project.root(), "--lint-disable", "all"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("Linting all 2 migration files") != std::string::npos);
    }
}

TEST_CASE("hardening: a duration beyond what PostgreSQL takes is a usage error") {
    Project project;
    auto r = run({"push", "--workdir", project.root(), "--db-url", "postgresql://postgres:pw@127.0.0.1:9/postgres",
                  "--statement-timeout", "999999999h"},
                 {}, true);
    INFO(describe(r));
    CHECK(r.exit_code == 2);
    CHECK(r.err.starts_with("sbdeploy: error: option --statement-timeout: \"999999999h\" is longer than 2147483647ms "
                            "(about 24 days), the most PostgreSQL and libcurl accept\n"));
}

TEST_CASE("hardening: a write error on stdout is exit 1 with a message on stderr") {
    Project project;
    for (const std::string& args : {std::string("--version"), "lint --lint-disable all --workdir " + project.root(),
                                    "lint --json --lint-disable all --workdir " + project.root(), std::string("env")}) {
        CAPTURE(args);
        auto r = run_to_full(args);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("sbdeploy: error: cannot write to standard output") != std::string::npos);
    }
}

TEST_CASE("hardening: a ref with a newline never forges a workflow command") {
    TempDir dir;
    const std::string forged = "x\n::error::forged";
    auto check = [](const sbdeploy::util::ProcessResult& r) {
        INFO(describe(r));
        CHECK(r.signal == 0);
        CHECK_FALSE(has_line_starting(r.out, "::error::forged"));
        CHECK_FALSE(has_line_starting(r.err, "::error::forged"));
    };
    Env base = {{"GITHUB_ACTIONS", "true"},
                {"RUNNER_DEBUG", "1"},
                {"GITHUB_OUTPUT", dir.write("output", "")},
                {"GITHUB_STEP_SUMMARY", dir.write("summary", "")}};
    SUBCASE("GITHUB_REF") {
        Env env = base;
        env["GITHUB_EVENT_NAME"] = "push";
        env["GITHUB_REF"] = "refs/heads/" + forged;
        check(run({"env"}, env));
    }
    SUBCASE("GITHUB_HEAD_REF") {
        Env env = base;
        env["GITHUB_EVENT_NAME"] = "pull_request";
        env["GITHUB_REF"] = "refs/pull/1/merge";
        env["GITHUB_BASE_REF"] = "main";
        env["GITHUB_HEAD_REF"] = forged;
        check(run({"env"}, env));
        check(run({"env", "--environments", "production=main"}, env));
    }
    SUBCASE("the payload's ref") {
        Env env = base;
        env["GITHUB_EVENT_NAME"] = "push";
        env["GITHUB_EVENT_PATH"] =
            dir.write("event.json", R"({"ref": "refs/heads/x\n::error::forged", "after": "abc"})");
        check(run({"env"}, env));
    }
}
