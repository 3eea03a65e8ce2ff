// `sbdeploy new` against the real Supabase CLI 3.1.0's `migration new` (file name, content,
// message), its name rules and options; `sbdeploy init`'s arguments and what it reads from a
// repository (branches, config.toml, a project in a subfolder). The workflows init writes are
// checked and run end to end by tests/actions/init.test.mjs.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "support/git_repo.hpp"
#include "support/project.hpp"
#include "support/temp_dir.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;
using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

std::string now_version() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

util::ProcessResult run_in(const std::string& program, const std::vector<std::string>& args, const std::string& dir,
                           std::optional<std::string> stdin_text = std::nullopt) {
    util::ProcessSpec spec;
    spec.program = program;
    spec.args = args;
    spec.env = {{"PATH", "/usr/bin:/bin"},
                {"HOME", dir},
                {"SUPABASE_TELEMETRY_DISABLED", "1"},
                {"DO_NOT_TRACK", "1"},
                {"CI", "true"}};
    spec.workdir = dir;
    spec.stdin_text = std::move(stdin_text);
    spec.timeout = std::chrono::milliseconds(120'000);
    auto r = util::run_process(spec);
    REQUIRE(r);
    return *r;
}

const std::string kSupabase = std::string(SBDEPLOY_SOURCE_DIR) +
                              "/tests/node_modules/@supabase/cli-linux-x64/bin/supabase";

// The one file of `dir` (recursively), relative to it.
std::vector<std::string> files_below(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("new writes what supabase migration new writes") {
    REQUIRE(fs::exists(kSupabase));
    for (std::optional<std::string> piped :
         {std::optional<std::string>(), std::optional<std::string>("create table t (id int);\n")}) {
        CAPTURE(piped.value_or("(stdin /dev/null)"));
        TempDir cli, ours;
        const std::string before = now_version();
        auto c = run_in(kSupabase, {"migration", "new", "add_profiles"}, cli.path(""), piped);
        auto s = run_in(SBDEPLOY_BINARY, {"new", "add_profiles"}, ours.path(""), piped);
        const std::string after = now_version();
        REQUIRE_MESSAGE(c.exit_code == 0, c.err);
        REQUIRE_MESSAGE(s.exit_code == 0, describe(s));
        auto cli_files = files_below(fs::path(cli.path("supabase/migrations")));
        auto our_files = files_below(fs::path(ours.path("supabase/migrations")));
        REQUIRE(cli_files.size() == 1);
        REQUIRE(our_files.size() == 1);
        const std::regex name(R"(^(\d{14})_add_profiles\.sql$)");
        std::smatch m;
        REQUIRE(std::regex_match(our_files[0], m, name));
        CHECK(m[1].str() >= before);
        CHECK(m[1].str() <= after);
        CHECK(std::regex_match(cli_files[0], name));
        // Same content (empty, or stdin), same message with the file's own path.
        CHECK(slurp(ours.path("supabase/migrations/" + our_files[0])) ==
              slurp(cli.path("supabase/migrations/" + cli_files[0])));
        CHECK(slurp(ours.path("supabase/migrations/" + our_files[0])) == piped.value_or(""));
        CHECK(s.out == "Created new migration at supabase/migrations/" + our_files[0] + "\n");
        // The CLI writes the path in bold on a terminal only; here it is plain.
        CHECK(c.out.find("Created new migration at supabase/migrations/" + cli_files[0]) != std::string::npos);
    }
}

TEST_CASE("new: --down, --workdir, --migrations-dir, and one version per file") {
    TempDir dir;
    auto r = run_sbdeploy({"new", "moods", "--down", "--workdir", dir.path("")}, {});
    REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
    auto files = files_below(fs::path(dir.path("supabase/migrations")));
    REQUIRE(files.size() == 2);
    CHECK(files[1] == "down/" + files[0]);
    CHECK(r.out == "Created new migration at supabase/migrations/" + files[0] +
                       "\nCreated down migration at supabase/migrations/down/" + files[0] + "\n");

    // Twice in one second: the second file takes the next second, never the same version.
    auto a = run_sbdeploy({"new", "a", "--migrations-dir", "db/migrations"}, {{"SBDEPLOY_WORKDIR", dir.path("")}});
    auto b = run_sbdeploy({"new", "b", "--migrations-dir", "db/migrations"}, {{"SBDEPLOY_WORKDIR", dir.path("")}});
    REQUIRE(a.exit_code == 0);
    REQUIRE(b.exit_code == 0);
    auto two = files_below(fs::path(dir.path("db/migrations")));
    REQUIRE(two.size() == 2);
    CHECK(two[0].substr(0, 14) != two[1].substr(0, 14));
    CHECK(a.out.starts_with("Created new migration at db/migrations/"));
}

TEST_CASE("new: bad names exit 2 with the name that works") {
    TempDir dir;
    struct Case {
        std::vector<std::string> args;
        std::string err;
    };
    const Case cases[] = {
        {{"new"}, "sbdeploy: error: new: missing the migration name\nhint: write 'sbdeploy new add_profiles'\n"},
        {{"new", "add users table"},
         "sbdeploy: error: new: bad migration name \"add users table\": it contains a space\nhint: did you mean "
         "'sbdeploy new add_users_table'?\n"},
        {{"new", "add", "users"},
         "sbdeploy: error: new: unexpected argument \"users\"\nhint: the name is one word: 'sbdeploy new add_users'\n"},
        {{"new", "a/b"},
         "sbdeploy: error: new: bad migration name \"a/b\": it contains a path separator\nhint: did you mean 'sbdeploy "
         "new a_b'?\n"},
        {{"new", "moods.sql"},
         "sbdeploy: error: new: bad migration name \"moods.sql\": it ends in \".sql\" (the file would be "
         "<version>_<name>.sql.sql)\nhint: did you mean 'sbdeploy new moods'?\n"},
        {{"new", "moods.down"},
         "sbdeploy: error: new: bad migration name \"moods.down\": it ends in \".down\" (<version>_<name>.down.sql is "
         "read as another migration's down SQL)\nhint: did you mean 'sbdeploy new moods'?\n"},
        {{"new", "héllo"},
         "sbdeploy: error: new: bad migration name \"héllo\": it contains a character that is not ASCII\nhint: did you "
         "mean 'sbdeploy new h_llo'?\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args.back());
        auto r = run_sbdeploy(c.args, {}, dir.path(""));
        CHECK(r.exit_code == 2);
        CHECK(r.err == c.err);
    }
    CHECK_FALSE(fs::exists(dir.path("supabase")));
}

namespace {

struct InitRepo {
    TempDir home;
    GitRepo repo;
    explicit InitRepo(const std::vector<std::string>& branches)
        : repo(fs::path(home.path("repo")), git_env(home.path("")), branches.front()) {
        repo.write("supabase/config.toml", "project_id = \"moods\"\n");
        repo.commit("init");
        for (std::size_t i = 1; i < branches.size(); ++i) repo.git({"branch", branches[i]});
    }
    util::ProcessResult init(std::vector<std::string> args, Env env = {}) {
        args.insert(args.begin(), "init");
        env.try_emplace("HOME", home.path(""));
        return run_sbdeploy(args, env, repo.dir().string());
    }
    std::string file(const std::string& relative) const { return slurp((repo.dir() / relative).string()); }
};

} // namespace

TEST_CASE("init reads the branches and supabase/config.toml") {
    SUBCASE("main and staging") {
        InitRepo r({"main", "staging"});
        auto run = r.init({});
        REQUIRE_MESSAGE(run.exit_code == 0, describe(run));
        CHECK(run.out.starts_with("init: production branch \"main\", staging branch \"staging\" (branches: main, "
                                  "staging), project \"moods\"\n"));
        CHECK(r.file(".github/workflows/migrations-production.yml").find("branches: [main]") != std::string::npos);
        CHECK(r.file(".github/workflows/migrations-validate.yml").find("branches: [staging, main]") !=
              std::string::npos);
        CHECK(run.out.find("  environment production (migrations-production): PRODUCTION_DB_URL, STAGING_DB_URL\n") !=
              std::string::npos);
        CHECK(run.out.find("required status checks (Settings > Branches, or 'sbdeploy init --apply'):\n  staging: "
                           "validate-migrations\n  main: validate-migrations\n") != std::string::npos);
    }
    SUBCASE("master and develop, and a project in a subfolder") {
        InitRepo r({"master", "develop"});
        r.repo.write("backend/supabase/config.toml", "[remotes.production]\nproject_id = \"abcdefghijklmnopqrst\"\n");
        r.repo.commit("backend");
        auto run = run_sbdeploy({"init", "--workdir", "backend"}, {{"HOME", r.home.path("")}}, r.repo.dir().string());
        REQUIRE_MESSAGE(run.exit_code == 0, describe(run));
        auto production = r.file(".github/workflows/migrations-production.yml");
        CHECK(production.find("branches: [master]") != std::string::npos);
        CHECK(production.find("      SUPABASE_ACCESS_TOKEN: ${{ secrets.SUPABASE_ACCESS_TOKEN }}\n"
                              "      SBDEPLOY_STAGING_DB_URL: ${{ secrets.STAGING_DB_URL }}\n"
                              "      SBDEPLOY_WORKDIR: backend\n") != std::string::npos);
        CHECK(r.file(".github/workflows/migrations-staging.yml").find("branches: [develop]") != std::string::npos);
        CHECK(fs::exists(r.repo.dir() / "backend/supabase/verify.txt"));
        CHECK(
            run.out.find("  environment production (migrations-production): SUPABASE_ACCESS_TOKEN, STAGING_DB_URL\n") !=
            std::string::npos);
    }
    SUBCASE("no branch yet: the defaults, with a warning") {
        InitRepo r({"trunk"});
        auto run = r.init({});
        REQUIRE(run.exit_code == 0);
        CHECK(run.err.find("warning: init: branch \"staging\" does not exist yet, here or on origin") !=
              std::string::npos);
        CHECK(r.file(".github/workflows/migrations-staging.yml").find("branches: [staging]") != std::string::npos);
    }
}

TEST_CASE("init never overwrites without --force, and --dry-run writes nothing") {
    InitRepo r({"main", "staging"});
    r.repo.write(".github/workflows/migrations-staging.yml", "mine\n");
    auto dry = r.init({"--dry-run"});
    REQUIRE_MESSAGE(dry.exit_code == 0, describe(dry));
    CHECK_FALSE(fs::exists(r.repo.dir() / ".github/workflows/migrations-production.yml"));
    CHECK(dry.out.find("--- .github/workflows/migrations-production.yml (would write)\n# Written by sbdeploy init.") !=
          std::string::npos);
    auto kept = r.init({});
    CHECK(kept.exit_code == 0);
    CHECK(r.file(".github/workflows/migrations-staging.yml") == "mine\n");
    CHECK(kept.err.find("init: kept .github/workflows/migrations-staging.yml: it exists (--force overwrites it)") !=
          std::string::npos);
    // --json: stdout is the JSON document only.
    auto json = r.init({"--json"});
    CHECK(json.exit_code == 0);
    CHECK(json.out.starts_with("{\"production_branch\":\"main\",\"staging_branch\":\"staging\",\"files\":{"
                               "\".github/workflows/migrations-validate.yml\":\"kept\""));
    CHECK(json.out.ends_with(
        "\"required_checks\":{\"staging\":[\"validate-migrations\"],\"main\":[\"validate-migrations\"]},"
        "\"protection_applied\":false}\n"));
    auto forced = r.init({"--force"});
    CHECK(forced.exit_code == 0);
    CHECK(forced.out.find("overwrote .github/workflows/migrations-staging.yml\n") != std::string::npos);
    CHECK(r.file(".github/workflows/migrations-staging.yml").starts_with("# Written by sbdeploy init."));
}

TEST_CASE("init: bad arguments exit 2 before writing anything") {
    InitRepo r({"main", "staging"});
    struct Case {
        std::vector<std::string> args;
        Env env;
        std::string err;
    };
    const Case cases[] = {
        {{"here"}, {}, "sbdeploy: error: init: unexpected argument \"here\""},
        {{"--actions", "acme/sbdeploy"},
         {},
         "sbdeploy: error: init: option --actions: \"acme/sbdeploy\" is not OWNER/NAME@REF\nhint: for example "
         "--actions acme/sbdeploy@v1\n"},
        {{"--apply", "--repo", "acme/app"},
         {},
         "sbdeploy: error: init --apply: no GitHub token\nhint: give --token or set GITHUB_TOKEN to a token with "
         "administration write on acme/app\n"},
        {{"--apply", "--token", "t"},
         {},
         "sbdeploy: error: init --apply: which GitHub repository? origin is not a GitHub remote\nhint: give --repo "
         "OWNER/NAME\n"},
        {{"--apply", "--token", "t", "--repo", "acme"},
         {},
         "sbdeploy: error: init: option --repo: \"acme\" is not OWNER/NAME\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.args.front());
        auto run = r.init(c.args, c.env);
        CHECK(run.exit_code == 2);
        CHECK(run.err.find(c.err) != std::string::npos);
    }
    auto custom = r.init({"--actions", "acme/sbdeploy@v1.2.0", "--dry-run"});
    CHECK(custom.out.find("uses: acme/sbdeploy/push-migrations@v1.2.0\n") != std::string::npos);
}
