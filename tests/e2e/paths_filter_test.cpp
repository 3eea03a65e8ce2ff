// `sbdeploy paths-filter` on real git repositories built here: an origin, a working
// repository that pushes to it, and checkouts made as actions/checkout makes them (one commit
// deep unless said). Each event's base rule, shallow checkouts, every change kind, odd file
// names, filters, and the outputs read back from GITHUB_OUTPUT exactly.
#include <filesystem>

#include "e2e/paths_filter_harness.hpp"

using namespace sbdeploy::test;
namespace fs = std::filesystem;

namespace {

const std::string kZeros(40, '0');

std::string mig(const std::string& name) { return "supabase/migrations/" + name + ".sql"; }
const std::string M1 = mig("20250101000000_init");
const std::string M2 = mig("20250102000000_users");
const std::string M3 = mig("20250103000000_orders");
const std::string M4 = mig("20250104000000_invoices");

// A repository and its origin in a temp folder, and checkouts of it.
struct World {
    TempDir tmp;
    GitEnv env;
    GitRepo repo;
    int checkouts = 0;

    World() : env(make_env(tmp)), repo(tmp.path("work"), env) {}

    static GitEnv make_env(const TempDir& tmp) {
        GitEnv e = git_env(tmp.path("home"));
        // Nothing here may reach a real GitHub: a closed local port refuses at once.
        e["GITHUB_API_URL"] = "http://127.0.0.1:9";
        return e;
    }
    fs::path checkout(const std::string& sha, const std::string& tracking_ref, int depth = 1) {
        return repo.checkout(tmp.path("checkout" + std::to_string(++checkouts)), sha, tracking_ref, depth);
    }
    FilterRun run(const fs::path& workdir, const Runner& runner, const std::vector<std::string>& args = {}) const {
        return run_paths_filter(workdir, runner, env, args);
    }
};

std::string repository_json() { return R"("repository":{"full_name":"octo/app","default_branch":"main"})"; }

std::string push_payload(const std::string& ref, const std::string& before, const std::string& after,
                         bool forced = false) {
    bool deleted = after == kZeros;
    return R"({"ref":")" + ref + R"(","before":")" + before + R"(","after":")" + after + R"(","created":)" +
           (before == kZeros ? "true" : "false") + R"(,"deleted":)" + (deleted ? "true" : "false") + R"(,"forced":)" +
           (forced ? "true" : "false") + "," + repository_json() + "}";
}

Runner push_runner(const std::string& branch, const std::string& before, const std::string& after,
                   bool forced = false) {
    Runner r;
    r.event = "push";
    r.ref = "refs/heads/" + branch;
    r.sha = after;
    r.payload = push_payload(r.ref, before, after, forced);
    return r;
}

std::string pr_payload(long number, const std::string& head_ref, const std::string& head_sha,
                       const std::string& base_ref, const std::string& base_sha,
                       const std::string& action = "synchronize", bool merged = false) {
    std::string n = std::to_string(number);
    return R"({"action":")" + action + R"(","number":)" + n + R"(,"pull_request":{"number":)" + n + R"(,"merged":)" +
           (merged ? "true" : "false") + R"(,"head":{"ref":")" + head_ref + R"(","sha":")" + head_sha +
           R"(","repo":{"full_name":"octo/app"}},"base":{"ref":")" + base_ref + R"(","sha":")" + base_sha +
           R"(","repo":{"full_name":"octo/app"}}},)" + repository_json() + "}";
}

// The base history of most cases: main with M1 and a README.
std::string initial(World& w) {
    w.repo.write(M1, "create table t (id int);\n");
    w.repo.write("README.md", "app\n");
    std::string c0 = w.repo.commit("init");
    w.repo.push(c0, "refs/heads/main");
    return c0;
}

} // namespace

TEST_CASE("paths-filter: a push compares with the previous push") {
    World w;
    std::string c0 = initial(w);
    w.repo.write(M2, "create table users (id int);\n");
    std::string c1 = w.repo.commit("users");
    w.repo.write(M3, "create table orders (id int);\n");
    w.repo.write("README.md", "app, now with orders\n");
    std::string c2 = w.repo.commit("orders");
    w.repo.push(c2, "refs/heads/main");

    Expected e;
    e.files = e.added = {M2, M3};
    e.base = c0;
    e.head = c2;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    SUBCASE("one commit deep, as actions/checkout leaves it") {
        auto r = w.run(w.checkout(c2, "refs/remotes/origin/main"), push_runner("main", c0, c2));
        check_outputs(r, e);
        CHECK(r.out.starts_with("paths-filter: fetched the previous tip " + short_sha(c0) + "\n"));
    }
    SUBCASE("the whole history") {
        auto r = w.run(w.checkout(c2, "refs/remotes/origin/main", 0), push_runner("main", c0, c2));
        check_outputs(r, e);
        CHECK(r.out == "paths-filter: push to \"main\": changes since the previous push " + short_sha(c0) + "\n" +
                           "paths-filter: " + short_sha(c0) + ".." + short_sha(c2) + " (git): 3 changed, 2 matching " +
                           "supabase/migrations/*.sql\n" + "  added        " + M2 + "\n" + "  added        " + M3 +
                           "\n");
        // The outcome first, then what was compared, then the files; a blank line at the end.
        CHECK(r.summary == "✅ **paths-filter**: migrations changed (2 files)\n\nCompared `" + short_sha(c0) + "`..`" +
                               short_sha(c2) + "` (push to \"main\": changes since the previous push " + short_sha(c0) +
                               "), git: 3 changed files, 2 matching supabase/migrations/\\*.sql.\n\n"
                               "| change | file |\n| --- | --- |\n"
                               "| added | supabase/migrations/20250102000000\\_users.sql |\n"
                               "| added | supabase/migrations/20250103000000\\_orders.sql |\n\n");
    }
    (void)c1;
}

TEST_CASE("paths-filter: a new branch compares from its merge-base with the default branch") {
    World w;
    std::string c0 = initial(w);
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M2, "create table users (id int);\n");
    std::string f1 = w.repo.commit("feature: users");
    w.repo.write("docs/notes.md", "notes\n");
    std::string f2 = w.repo.commit("feature: notes");
    w.repo.push(f2, "refs/heads/feature");
    // The default branch moved on since the branch left it: its migration is not the branch's.
    w.repo.git({"checkout", "--quiet", "main"});
    w.repo.write(M3, "create table orders (id int);\n");
    std::string c1 = w.repo.commit("main: orders");
    w.repo.push(c1, "refs/heads/main");

    Expected e;
    e.files = e.added = {M2};
    e.base = c0;
    e.head = f2;
    e.reason = "new branch \"feature\": merge-base " + short_sha(c0) + " with the default branch \"main\"";
    SUBCASE("one commit deep") {
        check_outputs(w.run(w.checkout(f2, "refs/remotes/origin/feature"), push_runner("feature", kZeros, f2)), e);
    }
    SUBCASE("the whole history of the branch") {
        check_outputs(w.run(w.checkout(f2, "refs/remotes/origin/feature", 0), push_runner("feature", kZeros, f2)), e);
    }
    SUBCASE("the first push of the default branch: every file is new") {
        Runner first = push_runner("main", kZeros, c1);
        Expected all;
        all.files = all.added = {M1, M3};
        all.base = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";  // git's empty tree
        all.head = c1;
        all.reason = "first push of the default branch \"main\": every file is new";
        check_outputs(w.run(w.checkout(c1, "refs/remotes/origin/main"), first), all);
    }
    (void)f1;
}

TEST_CASE("paths-filter: a force push compares from the merge-base of the old and the new tip") {
    World w;
    std::string c0 = initial(w);
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M2, "create table users (id int);\n");
    std::string old_tip = w.repo.commit("feature: users");
    w.repo.push(old_tip, "refs/heads/feature");
    // Rewritten: the branch starts again from main with another migration.
    w.repo.git({"reset", "--quiet", "--hard", c0});
    w.repo.write(M3, "create table orders (id int);\n");
    std::string new_tip = w.repo.commit("feature: orders instead");
    w.repo.push(new_tip, "refs/heads/feature");
    Runner runner = push_runner("feature", old_tip, new_tip, true);

    Expected e;
    e.files = e.added = {M3};
    e.base = c0;
    e.head = new_tip;
    SUBCASE("one commit deep: the old tip is fetched and the history deepened") {
        e.reason = "force push to \"feature\": merge-base " + short_sha(c0) + " of the previous tip " +
                   short_sha(old_tip) + " and the new one";
        check_outputs(w.run(w.checkout(new_tip, "refs/remotes/origin/feature"), runner), e);
    }
    SUBCASE("the old tip is gone from the remote: from the merge-base with the default branch") {
        run_git(w.repo.dir().string() + ".git", w.env, {"gc", "--quiet", "--prune=now"});
        e.reason = "push to \"feature\": the previous tip " + short_sha(old_tip) + " cannot be fetched: merge-base " +
                   short_sha(c0) + " with the default branch \"main\"";
        check_outputs(w.run(w.checkout(new_tip, "refs/remotes/origin/feature"), runner), e);
    }
}

TEST_CASE("paths-filter: a push GitHub says was not forced needs no merge-base, a forced or unsaid one gets it") {
    World w;
    std::string c0 = initial(w);
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M2, "create table users (id int);\n");
    std::string old_tip = w.repo.commit("feature: users");
    w.repo.push(old_tip, "refs/heads/feature");
    w.repo.write(M3, "create table orders (id int);\n");
    std::string next = w.repo.commit("feature: orders");
    w.repo.push(next, "refs/heads/feature");
    // Rewritten: the branch starts again from main with another migration.
    w.repo.git({"reset", "--quiet", "--hard", c0});
    w.repo.write(M4, "create table invoices (id int);\n");
    std::string new_tip = w.repo.commit("feature: invoices instead");
    w.repo.push(new_tip, "refs/heads/feature");
    fs::path checkout = w.checkout(new_tip, "refs/remotes/origin/feature", 0);
    run_git(checkout, w.env, {"fetch", "--quiet", "origin", next, old_tip});

    // Every git command paths-filter runs, by its subcommand, through a logging git on PATH.
    fs::path bin = w.tmp.path("logging-bin");
    fs::create_directories(bin);
    std::string log = w.tmp.path("git.log");
    const std::string path = w.env.at("PATH");
    w.tmp.write("logging-bin/git",
                "#!/bin/sh\nprintf '%s\\n' \"$1\" >>'" + log + "'\nPATH='" + path + "' exec git \"$@\"\n");
    fs::permissions(bin / "git", fs::perms::owner_all);
    auto logged = [&](Runner runner) {
        runner.env["PATH"] = bin.string() + ":" + path;
        fs::remove(log);
        auto r = w.run(checkout, runner);
        std::string commands = read_all(log);
        return std::pair(r, commands);
    };

    // One repository for all four runs (no SUBCASE: each would build it again).
    Expected forward;
    forward.files = forward.added = {M3};
    forward.base = old_tip;
    forward.head = next;
    forward.reason = "push to \"feature\": changes since the previous push " + short_sha(old_tip);
    Expected rewritten;
    rewritten.files = rewritten.added = {M4};
    rewritten.base = c0;
    rewritten.head = new_tip;
    rewritten.reason = "force push to \"feature\": merge-base " + short_sha(c0) + " of the previous tip " +
                       short_sha(next) + " and the new one";
    {
        INFO("\"forced\": false: the previous tip is the base, checked in the same git process as the facts");
        auto [r, commands] = logged(push_runner("feature", old_tip, next, false));
        check_outputs(r, forward);
        CHECK(commands == "rev-parse\ndiff\n");
    }
    {
        INFO("\"forced\": true: the merge-base of the old and the new tip");
        auto [r, commands] = logged(push_runner("feature", next, new_tip, true));
        check_outputs(r, rewritten);
        CHECK(commands == "rev-parse\nmerge-base\ndiff\n");
    }
    {
        INFO("a payload that does not say whether it was forced: the merge-base too");
        Runner runner = push_runner("feature", next, new_tip);
        auto at = runner.payload.find(R"("forced":false,)");
        REQUIRE(at != std::string::npos);
        runner.payload.erase(at, std::string(R"("forced":false,)").size());
        auto [r, commands] = logged(runner);
        check_outputs(r, rewritten);
        CHECK(commands == "rev-parse\nmerge-base\ndiff\n");
    }
    {
        INFO("one commit deep: the previous tip is not here, so it is looked up alone and fetched");
        checkout = w.checkout(new_tip, "refs/remotes/origin/feature");
        auto [r, commands] = logged(push_runner("feature", next, new_tip, true));
        check_outputs(r, rewritten);
        CHECK(commands.starts_with("rev-parse\nrev-parse\nremote\nfetch\n"));
    }
}

TEST_CASE("paths-filter: a tag push or a branch deletion compares nothing") {
    World w;
    std::string c0 = initial(w);
    fs::path not_a_checkout = w.tmp.path("empty");
    fs::create_directories(not_a_checkout);
    Expected e;
    e.head = c0;
    SUBCASE("tag push") {
        Runner r;
        r.event = "push";
        r.ref = "refs/tags/v1";
        r.sha = c0;
        r.payload = push_payload(r.ref, kZeros, c0);
        e.reason = "push of tag \"v1\": nothing to compare";
        auto run = w.run(not_a_checkout, r);
        check_outputs(run, e);
        CHECK(run.out == "paths-filter: push of tag \"v1\": nothing to compare\n");
        CHECK(run.summary == "⏭️ **paths-filter**: push of tag \"v1\": nothing to compare\n\n");
    }
    SUBCASE("branch deletion: GITHUB_SHA is the default branch's tip") {
        Runner r;
        r.event = "push";
        r.ref = "refs/heads/feature";
        r.sha = c0;
        r.payload = push_payload(r.ref, c0, kZeros);
        e.reason = "deletion of branch \"feature\": nothing to compare";
        check_outputs(w.run(not_a_checkout, r), e);
    }
}

TEST_CASE("paths-filter: a pull request compares from the merge-base with the base branch's current tip") {
    World w;
    std::string c0 = initial(w);
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M2, "create table users (id int);\n");
    std::string f1 = w.repo.commit("feature: users");
    w.repo.git({"checkout", "--quiet", "main"});
    w.repo.write(M3, "create table orders (id int);\n");
    std::string c1 = w.repo.commit("main: orders");
    w.repo.push(c1, "refs/heads/main");
    // The branch takes main in, so the payload's recorded base (c0) is stale: from it the
    // diff would show main's orders migration as the pull request's.
    w.repo.git({"checkout", "--quiet", "feature"});
    w.repo.git({"merge", "--quiet", "--no-edit", "main"});
    w.repo.write(M4, "create table invoices (id int);\n");
    std::string head = w.repo.commit("feature: invoices");
    w.repo.push(head, "refs/heads/feature");
    w.repo.push(head, "refs/pull/7/head");
    w.repo.git({"checkout", "--quiet", "--detach", "main"});
    w.repo.git({"merge", "--quiet", "--no-ff", "--no-edit", head});
    std::string merge = w.repo.head();
    w.repo.push(merge, "refs/pull/7/merge");

    Runner r;
    r.event = "pull_request";
    r.ref = "refs/pull/7/merge";
    r.sha = merge;
    r.payload = pr_payload(7, "feature", head, "main", c0);
    Expected e;
    e.files = e.added = {M2, M4};
    e.base = c1;
    e.head = head;
    e.reason = "pull request #7: merge-base " + short_sha(c1) + " of \"main\" (" + short_sha(c1) + ") and the head " +
               short_sha(head);
    SUBCASE("the merge commit one deep, as actions/checkout fetches it") {
        check_outputs(w.run(w.checkout(merge, "refs/remotes/pull/7/merge"), r), e);
    }
    SUBCASE("the whole history") { check_outputs(w.run(w.checkout(merge, "refs/remotes/pull/7/merge", 0), r), e); }
    SUBCASE("pull_request_target: the base branch checked out") {
        r.event = "pull_request_target";
        r.ref = "refs/heads/main";
        r.sha = c1;
        check_outputs(w.run(w.checkout(c1, "refs/remotes/origin/main"), r), e);
    }
    SUBCASE("a merged pull request compares with its recorded base") {
        w.repo.push(merge, "refs/heads/main");
        r.payload = pr_payload(7, "feature", head, "main", c1, "closed", true);
        r.sha = merge;
        r.ref = "refs/heads/main";
        e.reason = "merged pull request #7: merge-base " + short_sha(c1) + " of the recorded base " + short_sha(c1) +
                   " and the head " + short_sha(head);
        check_outputs(w.run(w.checkout(merge, "refs/remotes/origin/main"), r), e);
    }
    (void)f1;
}

TEST_CASE("paths-filter: a merge group compares its base and head") {
    World w;
    std::string c0 = initial(w);
    w.repo.write(M2, "create table users (id int);\n");
    w.repo.write("README.md", "users\n");
    std::string q1 = w.repo.commit("queue: users");
    std::string queue = "refs/heads/gh-readonly-queue/main/pr-7-" + c0;
    w.repo.push(q1, queue);
    Runner r;
    r.event = "merge_group";
    r.ref = queue;
    r.sha = q1;
    r.payload = R"({"action":"checks_requested","merge_group":{"head_sha":")" + q1 + R"(","head_ref":")" + queue +
                R"(","base_sha":")" + c0 + R"(","base_ref":"refs/heads/main"},)" + repository_json() + "}";
    Expected e;
    e.files = e.added = {M2};
    e.base = c0;
    e.head = q1;
    e.reason = "merge group into \"main\": its base " + short_sha(c0);
    check_outputs(w.run(w.checkout(q1, "refs/remotes/origin/gh-readonly-queue/main/pr-7"), r), e);
}

TEST_CASE("paths-filter: workflow_dispatch compares with --base or the default branch") {
    World w;
    std::string c0 = initial(w);
    w.repo.write(M2, "create table users (id int);\n");
    std::string c1 = w.repo.commit("users");
    w.repo.git({"tag", "v0", c0});
    w.repo.git({"push", "--quiet", "origin", "v0"});
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M4, "create table invoices (id int);\n");
    std::string f1 = w.repo.commit("feature: invoices");
    w.repo.push(f1, "refs/heads/feature");
    w.repo.git({"checkout", "--quiet", "main"});
    w.repo.write(M3, "create table orders (id int);\n");
    std::string c2 = w.repo.commit("orders");
    w.repo.push(c2, "refs/heads/main");

    Runner r;
    r.event = "workflow_dispatch";
    r.ref = "refs/heads/feature";
    r.sha = f1;
    r.payload = R"({"ref":"refs/heads/feature","inputs":{},)" + repository_json() + "}";
    fs::path checkout = w.checkout(f1, "refs/remotes/origin/feature");
    Expected e;
    e.head = f1;
    SUBCASE("no --base: from the merge-base with the default branch") {
        e.files = e.added = {M4};
        e.base = c1;
        e.reason = "workflow_dispatch: merge-base " + short_sha(c1) + " with the default branch \"main\"";
        check_outputs(w.run(checkout, r), e);
    }
    SUBCASE("--base with a short commit name in upper case, found in deeper history") {
        std::string given = short_sha(c0);
        for (auto& ch : given) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        e.files = e.added = {M2, M4};
        e.base = c0;
        e.reason = "--base \"" + given + "\": that commit " + short_sha(c0);
        check_outputs(w.run(checkout, r, {"--base", given}), e);
    }
    SUBCASE("--base with a full commit name, fetched") {
        e.files = e.added = {M2, M4};
        e.base = c0;
        e.reason = "--base \"" + c0 + "\": that commit " + short_sha(c0);
        check_outputs(w.run(checkout, r, {"--base", c0}), e);
    }
    SUBCASE("--base with a branch: from the merge-base with its current tip") {
        e.files = e.added = {M4};
        e.base = c1;
        e.reason = "--base \"main\": merge-base " + short_sha(c1) + " with it";
        check_outputs(w.run(checkout, r, {"--base", "main"}), e);
    }
    SUBCASE("--base with a tag, fetched") {
        e.files = e.added = {M2, M4};
        e.base = c0;
        e.reason = "--base \"v0\": that commit " + short_sha(c0);
        check_outputs(w.run(checkout, r, {"--base", "v0"}), e);
    }
    SUBCASE("--base that names nothing: exit 2") {
        auto run = w.run(checkout, r, {"--base", "no-such-branch"});
        CHECK(run.code == 2);
        CHECK(run.err ==
              "sbdeploy: error: paths-filter: --base \"no-such-branch\" names no branch, tag or commit\n"
              "hint: give a branch, a tag or a commit (a short commit name must be in the fetched history)\n");
        CHECK(run.output_file == "");
    }
}

TEST_CASE("paths-filter: a depth-1 clone is deepened step by step, within --fetch-limit") {
    World w;
    std::string c0 = initial(w);
    w.repo.git({"checkout", "--quiet", "-b", "feature"});
    w.repo.write(M2, "create table users (id int);\n");
    std::string f1 = w.repo.commit("feature: users");
    for (int i = 0; i < 40; ++i) {
        w.repo.write("notes/" + std::to_string(i) + ".md", "note\n");
        w.repo.commit("feature: note " + std::to_string(i));
    }
    std::string tip = w.repo.head();
    w.repo.push(tip, "refs/heads/feature");
    w.repo.git({"checkout", "--quiet", "main"});
    w.repo.write(M3, "create table orders (id int);\n");
    std::string c1 = w.repo.commit("main: orders");
    w.repo.push(c1, "refs/heads/main");
    w.repo.set_origin_head("main");

    // `git clone --depth 1` of the branch: no main, no history, origin/HEAD unset.
    fs::path clone = w.repo.clone(w.tmp.path("clone"), "feature", 1);
    Runner r;
    r.event = "workflow_dispatch";
    r.ref = "refs/heads/feature";
    r.sha = tip;
    r.payload = R"({"ref":"refs/heads/feature","inputs":{},)" + repository_json() + "}";
    SUBCASE("the merge-base 42 commits back is reached with 16, 32, then 64 commits of history") {
        Expected e;
        e.files = e.added = {M2};
        e.base = c0;
        e.head = tip;
        e.reason = "workflow_dispatch: merge-base " + short_sha(c0) + " with the default branch \"main\"";
        auto run = w.run(clone, r);
        check_outputs(run, e);
        CHECK(run.out.starts_with("paths-filter: fetched the tip of \"main\"\n"
                                  "paths-filter: fetched 16 commits of history (at most 1000)\n"
                                  "paths-filter: fetched 32 commits of history (at most 1000)\n"
                                  "paths-filter: fetched 64 commits of history (at most 1000)\n"
                                  "paths-filter: workflow_dispatch: merge-base "));
    }
    SUBCASE("not within --fetch-limit and no GitHub API to ask: a clear error, no outputs") {
        r.repository = "";
        r.payload = R"({"ref":"refs/heads/feature","inputs":{},"repository":{"default_branch":"main"}})";
        auto run = w.run(clone, r, {"--fetch-limit", "20"});
        CHECK(run.code == 1);
        CHECK(run.err ==
              "sbdeploy: error: paths-filter: cannot tell what changed: the base is not within 20 commits of "
              "history (--fetch-limit)\n"
              "hint: check out with fetch-depth: 0, raise --fetch-limit, or run in GitHub Actions with "
              "GITHUB_REPOSITORY and GITHUB_TOKEN so the GitHub API can list the files\n");
        CHECK(run.output_file == "");
    }
    (void)f1;
}

TEST_CASE("paths-filter: every change kind, and edited existing migrations") {
    World w;
    const std::string M5 = mig("20250105000000_perms");
    w.repo.write(M1, "create table t (id int);\n");
    w.repo.write(M2, "create table users (id int);\n");
    w.repo.write(M3, "create table orders (id int, total numeric, note text, created_at timestamptz);\n");
    w.repo.write(M5, "grant select on t to anon;\n");
    w.repo.write("README.md", "app\n");
    std::string c0 = w.repo.commit("base");
    w.repo.push(c0, "refs/heads/main");
    w.repo.write(M1, "create table t (id bigint);\n");
    w.repo.remove(M2);
    const std::string M3b = mig("20250103000001_orders");
    w.repo.move(M3, M3b);
    w.repo.write(M4, "create table invoices (id int);\n");
    fs::permissions(w.repo.dir() / M5, fs::perms::owner_exec, fs::perm_options::add);
    w.repo.write("README.md", "app 2\n");
    w.repo.write("supabase/migrations/sub/20250106000000_nested.sql", "select 1;\n");
    std::string c1 = w.repo.commit("every kind");
    w.repo.push(c1, "refs/heads/main");
    fs::path checkout = w.checkout(c1, "refs/remotes/origin/main");

    Expected e;
    e.files = {M1, M2, M3b, M4, M5};
    e.added = {M4};
    e.modified = {M1, M5};
    e.deleted = {M2};
    e.renamed = {{M3, M3b}};
    e.edited = {M1, M2, M3};
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    const std::string modified_text = "exists on the base and was modified: an applied migration never runs again, "
                                      "so put the change in a new migration";
    const std::string deleted_text = "exists on the base and was deleted: databases that applied it keep its changes, "
                                     "and its version goes missing locally";
    const std::string renamed_text =
        "exists on the base and was renamed to " + M3b +
        ": databases that applied it see its version missing and the new name as a new migration";
    SUBCASE("in a terminal: warnings") {
        auto r = w.run(checkout, push_runner("main", c0, c1));
        check_outputs(r, e);
        CHECK(r.out.ends_with("  modified     " + M1 +
                              "\n"
                              "  deleted      " +
                              M2 +
                              "\n"
                              "  renamed      " +
                              M3 + " -> " + M3b +
                              "\n"
                              "  added        " +
                              M4 +
                              "\n"
                              "  mode_changed " +
                              M5 + "\n"));
        CHECK(r.err == "sbdeploy: warning: migration " + M1 + " " + modified_text + "\n" +
                           "sbdeploy: warning: migration " + M2 + " " + deleted_text + "\n" +
                           "sbdeploy: warning: migration " + M3 + " " + renamed_text + "\n");
        INFO("summary: " << r.summary);
        CHECK(r.summary.ends_with("| modified | supabase/migrations/20250101000000\\_init.sql |\n"
                                  "| deleted | supabase/migrations/20250102000000\\_users.sql |\n"
                                  "| renamed | supabase/migrations/20250103000000\\_orders.sql → "
                                  "supabase/migrations/20250103000001\\_orders.sql |\n"
                                  "| added | supabase/migrations/20250104000000\\_invoices.sql |\n"
                                  "| mode\\_changed | supabase/migrations/20250105000000\\_perms.sql |\n\n"
                                  "**3 migrations that exist on the base changed**: databases that applied them will "
                                  "not run the change again.\n\n"));
        // Edited migrations make it a warning from the first line.
        CHECK(r.summary.starts_with(
            "⚠️ **paths-filter**: migrations changed (5 files); 3 that exist on the base changed\n\n"));
    }
    SUBCASE("under Actions: warning annotations on the files") {
        Runner runner = push_runner("main", c0, c1);
        runner.env["GITHUB_ACTIONS"] = "true";
        auto r = w.run(checkout, runner);
        check_outputs(r, e);
        const std::string title = "title=migration changed after it was merged";
        CHECK(r.err == "::warning " + title + ",file=" + M1 + "::migration " + M1 + " " + modified_text + "\n" +
                           "::warning " + title + ",file=" + M2 + "::migration " + M2 + " " + deleted_text + "\n" +
                           "::warning " + title + ",file=" + M3b + "::migration " + M3 + " " + renamed_text + "\n");
    }
    SUBCASE("--fail-on-edited: error annotations and exit 1, outputs still written") {
        Runner runner = push_runner("main", c0, c1);
        runner.env["GITHUB_ACTIONS"] = "true";
        auto r = w.run(checkout, runner, {"--fail-on-edited"});
        CHECK(r.code == 1);
        CHECK(r.outputs == e.items());
        CHECK(r.err.starts_with("::error title=migration changed after it was merged,file=" + M1 + "::migration " +
                                M1));
    }
}

TEST_CASE("paths-filter: odd file names are read and written safely") {
    World w;
    std::string c0 = initial(w);
    const std::vector<std::string> names = {
        mig("20250101000001_with space"),
        mig("20250101000002_quote\"d"),
        mig("20250101000003_it's"),
        mig("20250101000004_caf\xc3\xa9"),
        mig("20250101000005_new\n::warning::injected"),
        mig("20250101000006_back\\slash,comma"),
    };
    for (const auto& n : names) w.repo.write(n, "select 1;\n");
    std::string c1 = w.repo.commit("odd names");
    w.repo.push(c1, "refs/heads/main");
    fs::path checkout = w.checkout(c1, "refs/remotes/origin/main");
    Runner runner = push_runner("main", c0, c1);
    runner.env["GITHUB_ACTIONS"] = "true";

    Expected e;
    e.files = e.added = names;
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    SUBCASE("outputs, and a log no file name can inject a workflow command into") {
        auto r = w.run(checkout, runner);
        check_outputs(r, e);
        CHECK(
            r.output("files") ==
            R"(["supabase/migrations/20250101000001_with space.sql","supabase/migrations/20250101000002_quote\"d.sql",)"
            R"("supabase/migrations/20250101000003_it's.sql","supabase/migrations/20250101000004_caf)"
            "\xc3\xa9"
            R"(.sql","supabase/migrations/20250101000005_new\n::warning::injected.sql",)"
            R"("supabase/migrations/20250101000006_back\\slash,comma.sql"])");
        CHECK(r.out.find("\n::") == std::string::npos);
        CHECK(r.out.ends_with("  added        supabase/migrations/20250101000001_with space.sql\n"
                              "  added        \"supabase/migrations/20250101000002_quote\\\"d.sql\"\n"
                              "  added        supabase/migrations/20250101000003_it's.sql\n"
                              "  added        supabase/migrations/20250101000004_caf\xc3\xa9.sql\n"
                              "  added        \"supabase/migrations/20250101000005_new\\n::warning::injected.sql\"\n"
                              "  added        \"supabase/migrations/20250101000006_back\\\\slash,comma.sql\"\n"));
    }
    SUBCASE("--list-files json") {
        e.migrations_files = e.items()[2].second;
        check_outputs(w.run(checkout, runner, {"--list-files", "json"}), e);
    }
    SUBCASE("--list-files csv") {
        e.migrations_files = "\"supabase/migrations/20250101000001_with space.sql\","
                             "\"supabase/migrations/20250101000002_quote\"\"d.sql\","
                             "\"supabase/migrations/20250101000003_it's.sql\","
                             "\"supabase/migrations/20250101000004_caf\xc3\xa9.sql\","
                             "\"supabase/migrations/20250101000005_new\n::warning::injected.sql\","
                             "\"supabase/migrations/20250101000006_back\\slash,comma.sql\"";
        check_outputs(w.run(checkout, runner, {"--list-files", "csv"}), e);
    }
    SUBCASE("--list-files shell") {
        e.migrations_files = "'supabase/migrations/20250101000001_with space.sql' "
                             "'supabase/migrations/20250101000002_quote\"d.sql' "
                             "\"supabase/migrations/20250101000003_it's.sql\" "
                             "'supabase/migrations/20250101000004_caf\xc3\xa9.sql' "
                             "'supabase/migrations/20250101000005_new\n::warning::injected.sql' "
                             "'supabase/migrations/20250101000006_back\\slash,comma.sql'";
        check_outputs(w.run(checkout, runner, {"--list-files", "shell"}), e);
    }
    SUBCASE("--list-files escape") {
        e.migrations_files = "supabase/migrations/20250101000001_with\\ space.sql "
                             "supabase/migrations/20250101000002_quote\\\"d.sql "
                             "supabase/migrations/20250101000003_it\\'s.sql "
                             "supabase/migrations/20250101000004_caf\\\xc3\xa9.sql "
                             "supabase/migrations/20250101000005_new'\n'::warning::injected.sql "
                             "supabase/migrations/20250101000006_back\\\\slash,comma.sql";
        check_outputs(w.run(checkout, runner, {"--list-files", "escape"}), e);
    }
}

TEST_CASE("paths-filter: filters select, and a ! line really excludes") {
    World w;
    std::string c0 = initial(w);
    const std::string draft = mig("20250102000000_users_draft");
    w.repo.write(M2, "create table users (id int);\n");
    w.repo.write(draft, "-- not yet\n");
    w.repo.write("supabase/seed.sql", "insert into t values (1);\n");
    w.repo.write("docs/a.md", "a\n");
    std::string c1 = w.repo.commit("mixed");
    w.repo.push(c1, "refs/heads/main");
    fs::path checkout = w.checkout(c1, "refs/remotes/origin/main");
    Runner runner = push_runner("main", c0, c1);
    Expected e;
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    SUBCASE("the default filter: the migrations folder's *.sql") {
        e.files = e.added = {M2, draft};
        check_outputs(w.run(checkout, runner), e);
    }
    SUBCASE("--filters with a ! line") {
        e.files = e.added = {M2};
        check_outputs(w.run(checkout, runner,
                            {"--filters", "supabase/migrations/*.sql\n!supabase/migrations/*_draft.sql"}),
                      e);
    }
    SUBCASE("globs as arguments, braces and globstars") {
        e.files = e.added = {"docs/a.md", "supabase/seed.sql"};
        check_outputs(w.run(checkout, runner, {"supabase/*.sql", "**/*.{md,txt}"}), e);
    }
    SUBCASE("only exclusions: everything else") {
        e.files = e.added = {"docs/a.md", draft, "supabase/seed.sql"};
        check_outputs(w.run(checkout, runner, {"--filters", "!supabase/migrations/2025010200000?_users.sql"}), e);
    }
    SUBCASE("a bad glob: exit 2 naming the line") {
        auto r = w.run(checkout, runner, {"--filters", "supabase/**\n+(a|b)"});
        CHECK(r.code == 2);
        CHECK(r.err == "sbdeploy: error: filter line 2 \"+(a|b)\": extglob \"+(\"...) is not supported\n"
                       "hint: use {a,b} for alternatives, or escape the parenthesis as \\(\n");
    }
}

TEST_CASE("paths-filter: no migration changed") {
    World w;
    std::string c0 = initial(w);
    w.repo.write("README.md", "only the readme\n");
    std::string c1 = w.repo.commit("docs");
    w.repo.push(c1, "refs/heads/main");
    auto r = w.run(w.checkout(c1, "refs/remotes/origin/main"), push_runner("main", c0, c1));
    Expected e;
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    check_outputs(r, e);
    CHECK(r.err == "");
    CHECK(r.summary.starts_with("⏭️ **paths-filter**: no migration changed\n\n"));
    CHECK(r.summary.ends_with("git: 1 changed file, 0 matching supabase/migrations/\\*.sql.\n\n"));
}

// A type change (git's T: a file that became a symlink) is reported as modified and, for a
// migration of the base, as an edit: the content databases applied is no longer the file's.
TEST_CASE("paths-filter: a migration replaced by a symlink is a type change and an edit") {
    World w;
    w.repo.write(M1, "create table t (id int);\n");
    w.repo.write(M2, "create table users (id int);\n");
    std::string c0 = w.repo.commit("init");
    w.repo.push(c0, "refs/heads/main");
    fs::remove(w.repo.dir() / M2);
    fs::create_symlink("20250101000000_init.sql", w.repo.dir() / M2);
    std::string c1 = w.repo.commit("users is now a link");
    w.repo.push(c1, "refs/heads/main");
    auto r = w.run(w.checkout(c1, "refs/remotes/origin/main"), push_runner("main", c0, c1));
    Expected e;
    e.files = e.modified = e.edited = {M2};
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    check_outputs(r, e);
    CHECK(r.out.ends_with("  type_changed " + M2 + "\n"));
    CHECK(r.summary.find("| type\\_changed | supabase/migrations/20250102000000\\_users.sql |\n") != std::string::npos);
}

TEST_CASE("paths-filter: the default filter follows the workdir and --migrations-dir") {
    World w;
    w.repo.write("db/supabase/migrations/20250101000000_init.sql", "select 1;\n");
    w.repo.write("db/sql/20250101000000_init.sql", "select 1;\n");
    std::string c0 = w.repo.commit("init");
    w.repo.write("db/supabase/migrations/20250102000000_users.sql", "select 2;\n");
    w.repo.write("db/sql/20250102000000_users.sql", "select 2;\n");
    w.repo.write("supabase/migrations/20250102000000_other_app.sql", "select 3;\n");
    std::string c1 = w.repo.commit("users");
    w.repo.push(c1, "refs/heads/main");
    fs::path checkout = w.checkout(c1, "refs/remotes/origin/main");
    Expected e;
    e.base = c0;
    e.head = c1;
    e.reason = "push to \"main\": changes since the previous push " + short_sha(c0);
    SUBCASE("the workdir is a folder of the repository") {
        e.files = e.added = {"db/supabase/migrations/20250102000000_users.sql"};
        check_outputs(w.run(checkout / "db", push_runner("main", c0, c1)), e);
    }
    SUBCASE("--workdir and --migrations-dir") {
        e.files = e.added = {"db/sql/20250102000000_users.sql"};
        check_outputs(w.run(checkout, push_runner("main", c0, c1),
                            {"--workdir", (checkout / "db").string(), "--migrations-dir", "sql"}),
                      e);
    }
}
