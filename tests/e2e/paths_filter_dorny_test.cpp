// `sbdeploy paths-filter --filters` in dorny/paths-filter v3's syntax, on a real git
// repository: each form of its filters YAML (src/filter.ts), its outputs per filter and
// `changes` (exportResults in src/main.ts), its list-files formats (src/list-format), and
// the warning for a filter that matches no file of the repository.
#include <filesystem>
#include <fstream>

#include "e2e/paths_filter_harness.hpp"

using namespace sbdeploy::test;
namespace fs = std::filesystem;

namespace {

// One push to main, and a full checkout of it. As dorny sees it (git diff --no-renames,
// sorted by path), the push changes:
//   .github/workflows/ci.yml           modified
//   docs/guide.md                      deleted
//   docs/it's here.md                  added
//   lib/old.ts                         added    (renamed from src/old.ts)
//   src/app.ts                         modified
//   src/old.ts                         deleted
//   supabase/migrations/2_users.sql    added
struct Push {
    TempDir tmp;
    GitEnv env;
    GitRepo repo;
    std::string c0, c1;
    fs::path checkout;

    Push() : env(git_env(tmp.path("home"))), repo(tmp.path("work"), env) {
        env["GITHUB_API_URL"] = "http://127.0.0.1:9";
        repo.write("supabase/migrations/1_init.sql", "create table t (id int);\n");
        repo.write("README.md", "app\n");
        repo.write("docs/guide.md", "guide\n");
        repo.write("src/app.ts", "export const a = 1;\n");
        repo.write("src/old.ts", "export function old() {\n  return 'a long enough body to be a rename';\n}\n");
        repo.write(".github/workflows/ci.yml", "on: push\n");
        c0 = repo.commit("init");
        repo.push(c0, "refs/heads/main");
        repo.write("supabase/migrations/2_users.sql", "create table users (id int);\n");
        repo.write("src/app.ts", "export const a = 2;\n");
        repo.remove("docs/guide.md");
        repo.write("docs/it's here.md", "new\n");
        repo.move("src/old.ts", "lib/old.ts");
        repo.write(".github/workflows/ci.yml", "on: [push, pull_request]\n");
        c1 = repo.commit("change");
        repo.push(c1, "refs/heads/main");
        checkout = repo.checkout(tmp.path("checkout"), c1, "refs/remotes/origin/main", 0);
    }

    [[nodiscard]] Runner runner() const {
        Runner r;
        r.event = "push";
        r.ref = "refs/heads/main";
        r.sha = c1;
        r.payload = R"({"ref":"refs/heads/main","before":")" + c0 + R"(","after":")" + c1 +
                    R"(","created":false,"deleted":false,"forced":false,)" +
                    R"("repository":{"full_name":"octo/app","default_branch":"main"}})";
        return r;
    }
    [[nodiscard]] FilterRun run(const std::vector<std::string>& args, GitEnv more = {}) const {
        Runner r = runner();
        r.env = std::move(more);
        return run_paths_filter(checkout, r, env, args);
    }
};

// The outputs dorny writes: from the first filter's to `changes` (or the last filter's),
// i.e. everything between sbdeploy's `renamed` and `edited_existing`.
Outputs filter_outputs(const FilterRun& r) {
    Outputs o;
    bool in = false;
    for (const auto& [k, v] : r.outputs) {
        if (k == "edited_existing") break;
        if (in) o.emplace_back(k, v);
        in = in || k == "renamed";
    }
    return o;
}

struct Case {
    const char* name;
    std::string filters;
    std::vector<std::string> args;
    Outputs want;
};

}  // namespace

TEST_CASE("paths-filter: dorny/paths-filter's filter syntax, outputs as dorny writes them") {
    Push p;
    const Case cases[] = {
        {"a named filter with a list of globs",
         "migrations:\n  - 'supabase/migrations/**'\n",
         {},
         {{"migrations", "true"}, {"migrations_count", "1"}, {"changes", R"(["migrations"])"}}},
        {"a glob as a plain string, with list-files json",
         "migrations: supabase/migrations/**",
         {"--list-files", "json"},
         {{"migrations", "true"},
          {"migrations_count", "1"},
          {"migrations_files", R"(["supabase/migrations/2_users.sql"])"},
          {"changes", R"(["migrations"])"}}},
        {"several filters, in their order; one matches nothing that changed",
         "src:\n  - 'src/**'\ndocs:\n  - 'docs/**'\nreadme:\n  - README.md\n",
         {},
         {{"src", "true"},
          {"src_count", "2"},
          {"docs", "true"},
          {"docs_count", "2"},
          {"readme", "false"},
          {"readme_count", "0"},
          {"changes", R"(["src","docs"])"}}},
        {"dot: true: ** matches dotted folders",
         "ci:\n  - '**/*.yml'\n",
         {"--list-files", "csv"},
         {{"ci", "true"}, {"ci_count", "1"}, {"ci_files", ".github/workflows/ci.yml"}, {"changes", R"(["ci"])"}}},
        {"! excludes under predicate-quantifier every",
         "docs:\n  - 'docs/**'\n  - '!**/guide.md'\n",
         {"--predicate-quantifier", "every", "--list-files", "shell"},
         {{"docs", "true"}, {"docs_count", "1"}, {"docs_files", "\"docs/it's here.md\""}, {"changes", R"(["docs"])"}}},
        {"! alone under some matches every file outside it, as picomatch does",
         "notdocs:\n  - '!docs/**'\n",
         {"--list-files", "json"},
         {{"notdocs", "true"},
          {"notdocs_count", "5"},
          {"notdocs_files",
           R"([".github/workflows/ci.yml","lib/old.ts","src/app.ts","src/old.ts","supabase/migrations/2_users.sql"])"},
          {"changes", R"(["notdocs"])"}}},
        {"anchors and aliases; a list nested by an alias is flattened",
         "shared: &shared\n  - 'src/**'\n  - 'lib/**'\nbackend:\n  - *shared\n  - 'supabase/**'\n",
         {"--list-files", "json"},
         {{"shared", "true"},
          {"shared_count", "3"},
          {"shared_files", R"(["lib/old.ts","src/app.ts","src/old.ts"])"},
          {"backend", "true"},
          {"backend_count", "4"},
          {"backend_files", R"(["lib/old.ts","src/app.ts","src/old.ts","supabase/migrations/2_users.sql"])"},
          {"changes", R"(["shared","backend"])"}}},
        {"change types: one, combined with |, and a list of globs; a rename is added + deleted",
         "new:\n  - added: '**'\nedited:\n  - added|modified: 'src/**'\ngone:\n  - deleted: ['docs/**', 'src/**']\n",
         {"--list-files", "json"},
         {{"new", "true"},
          {"new_count", "3"},
          {"new_files", R"(["docs/it's here.md","lib/old.ts","supabase/migrations/2_users.sql"])"},
          {"edited", "true"},
          {"edited_count", "1"},
          {"edited_files", R"(["src/app.ts"])"},
          {"gone", "true"},
          {"gone_count", "2"},
          {"gone_files", R"(["docs/guide.md","src/old.ts"])"},
          {"changes", R"(["new","edited","gone"])"}}},
        {"list-files csv quotes only what needs it",
         "docs: 'docs/**'",
         {"--list-files", "csv"},
         {{"docs", "true"},
          {"docs_count", "2"},
          {"docs_files", "docs/guide.md,\"docs/it's here.md\""},
          {"changes", R"(["docs"])"}}},
        {"list-files escape backslashes what is unsafe",
         "docs: 'docs/**'",
         {"--list-files", "escape"},
         {{"docs", "true"},
          {"docs_count", "2"},
          {"docs_files", "docs/guide.md docs/it\\'s\\ here.md"},
          {"changes", R"(["docs"])"}}},
        {"list-files none writes no _files output",
         "docs: 'docs/**'",
         {"--list-files", "none"},
         {{"docs", "true"}, {"docs_count", "2"}, {"changes", R"(["docs"])"}}},
        {"a filter called changes keeps its name, and no changes array is written",
         "changes:\n  - 'src/**'\n",
         {},
         {{"changes", "true"}, {"changes_count", "2"}}},
        {"a bare glob list keeps working (the filter is called migrations)",
         "supabase/migrations/*.sql\n!supabase/migrations/1_*.sql\n",
         {},
         {{"migrations", "true"}, {"migrations_count", "1"}, {"changes", R"(["migrations"])"}}},
    };
    for (const auto& c : cases) {
        SUBCASE(c.name) {
            std::vector<std::string> args = {"--filters", c.filters};
            args.insert(args.end(), c.args.begin(), c.args.end());
            auto r = p.run(args);
            INFO("stdout: " << r.out);
            INFO("stderr: " << r.err);
            CHECK(r.code == 0);
            CHECK(filter_outputs(r) == c.want);
            // sbdeploy's own outputs stay, over the files any filter selects.
            CHECK(r.output("base") == p.c0);
            CHECK(r.output("head") == p.c1);
        }
    }
}

TEST_CASE("paths-filter: dorny's filters from a file, and the action's other dorny inputs") {
    Push p;
    SUBCASE("a path to a file in the workdir is read as the filters") {
        std::ofstream(p.checkout / ".github" / "filters.yml") << "migrations:\n  - 'supabase/migrations/**'\n";
        auto r = p.run({"--filters", ".github/filters.yml"});
        CHECK(r.code == 0);
        CHECK(filter_outputs(r) ==
              Outputs{{"migrations", "true"}, {"migrations_count", "1"}, {"changes", R"(["migrations"])"}});
    }
    SUBCASE("a glob naming one existing file that holds no filters stays a glob") {
        auto r = p.run({"--filters", "supabase/migrations/2_users.sql"});
        CHECK(r.code == 0);
        CHECK(filter_outputs(r) ==
              Outputs{{"migrations", "true"}, {"migrations_count", "1"}, {"changes", R"(["migrations"])"}});
    }
    SUBCASE("filter_outputs holds every filter's outputs as one JSON object") {
        auto r = p.run({"--filters", "src: 'src/**'\nreadme: README.md", "--list-files", "json"});
        CHECK(r.output("filter_outputs") ==
              R"({"src":"true","src_count":"2","src_files":"[\"src/app.ts\",\"src/old.ts\"]",)"
              R"("readme":"false","readme_count":"0","readme_files":"[]"})");
        // Union outputs: the changes some filter selects (src/old.ts -> lib/old.ts is one rename).
        CHECK(r.output("files") == R"(["lib/old.ts","src/app.ts"])");
        CHECK(r.output("changed") == "true");
        CHECK(r.summary.find(
                  "| filter | changed | files |\n| --- | --- | --- |\n| src | true | 2 |\n| readme | false | 0 |\n") !=
              std::string::npos);
        // The outcome first: which named filters changed.
        CHECK(r.summary.starts_with("✅ **paths-filter**: 1 of 2 filters changed: src\n\n"));
    }
    SUBCASE("--ref compares another head than the event's") {
        auto r = p.run({"--filters", "migrations: 'supabase/**'", "--ref", p.c0});
        CHECK(r.code == 0);
        CHECK(r.output("head") == p.c0);
        CHECK(r.output("migrations") == "false");
    }
    SUBCASE("--working-directory is relative to the workspace") {
        auto r = p.run({"--working-directory", "checkout", "--filters", "migrations: 'supabase/**'"},
                       {{"GITHUB_WORKSPACE", p.checkout.parent_path().string()}});
        CHECK(r.code == 0);
        CHECK(r.output("migrations") == "true");
    }
}

TEST_CASE("paths-filter: a filter that matches no file of the repository warns") {
    Push p;
    SUBCASE("a typo in a named filter") {
        auto r = p.run({"--filters", "migrations:\n  - 'supabase/migration/**'\ndocs: 'docs/**'"});
        CHECK(r.code == 0);
        CHECK(r.output("migrations") == "false");
        CHECK(r.err.find("warning: paths-filter: filter \"migrations\" matches no file of the repository") !=
              std::string::npos);
        CHECK(r.err.find("filter \"docs\"") == std::string::npos);
    }
    SUBCASE("under Actions, as a warning annotation") {
        auto r = p.run({"--filters", "supabase/migration/*.sql"}, {{"GITHUB_ACTIONS", "true"}});
        CHECK(r.code == 0);
        CHECK((r.out + r.err)
                  .find("::warning title=paths-filter%3A a filter matches no file::paths-filter: filter "
                        "\"migrations\" matches no file") != std::string::npos);
    }
    SUBCASE("a filter of deleted files only is not checked; one that matches a file is not warned about") {
        auto r = p.run({"--filters", "gone:\n  - deleted: 'old/**'\nreadme: README.md"});
        CHECK(r.code == 0);
        CHECK(r.err.find("matches no file") == std::string::npos);
    }
    SUBCASE("the default filter is not checked") {
        auto r = p.run({});
        CHECK(r.err.find("matches no file") == std::string::npos);
    }
}

TEST_CASE("paths-filter: dorny filters that cannot work are config errors") {
    Push p;
    struct Bad {
        const char* name;
        std::vector<std::string> args;
        std::string message;
    };
    const Bad bad[] = {
        {"YAML that does not parse",
         {"--filters", "migrations:\n  - a\n - b\n"},
         "--filters line 3: not valid YAML: end of map not found"},
        {"a list without a filter name", {"--filters=- 'supabase/**'"}, "--filters: a YAML list needs a filter name"},
        {"an unknown change type", {"--filters", "m:\n  - changed: '**'\n"}, "\"changed\" is not a change type"},
        {"a filter without globs", {"--filters", "m:\n"}, "filter \"m\" has no globs"},
        {"a filter defined twice", {"--filters", "m: a\nm: b\n"}, "filter \"m\" is defined twice"},
        {"an unknown predicate-quantifier",
         {"--filters", "m: a", "--predicate-quantifier", "all"},
         "--predicate-quantifier \"all\" is not a quantifier"},
        {"GLOB arguments beside named filters", {"--filters", "m: a", "b/**"}, "GLOB arguments cannot be added"},
    };
    for (const auto& b : bad) {
        SUBCASE(b.name) {
            auto r = p.run(b.args);
            INFO("stderr: " << r.err);
            CHECK(r.code == 2);
            CHECK(r.err.find(b.message) != std::string::npos);
            CHECK(r.err.find("hint: ") != std::string::npos);
        }
    }
}
