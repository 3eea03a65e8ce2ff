// push after a `git revert` (seed 003, rollback option 1: "git revert and push to main"),
// against the real PostgreSQL of the fixture and real git repositories checked out as
// actions/checkout does (one commit deep): the applied migrations the pushed diff deletes
// are rolled back with the parent commit's down SQL, newest first, then what is pending
// applies; refusals leave the database as it was; --no-rollback-on-revert keeps the
// Supabase CLI's "not found locally" error; the CLI agrees with the history afterwards.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "support/dump.hpp"
#include "support/file_commands.hpp"
#include "support/git_repo.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy::test;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> v(std::initializer_list<const char*> items) { return {items.begin(), items.end()}; }

constexpr const char* kMoodsFile = "supabase/migrations/20240101000001_moods.sql";
constexpr const char* kMoods = "create table public.moods (id bigint primary key, mood text not null);\n";
// The release that gets reverted: B's undo in down/, C's in a `-- sbdeploy:down` section.
constexpr const char* kNoteFile = "supabase/migrations/20240101000002_note.sql";
constexpr const char* kNote = "alter table public.moods add column note text;\n"
                              "create index moods_note on public.moods (note);\n";
constexpr const char* kNoteDownFile = "supabase/migrations/down/20240101000002_note.sql";
constexpr const char* kNoteDown = "drop index public.moods_note;\n"
                                  "alter table public.moods drop column note;\n";
constexpr const char* kCountFile = "supabase/migrations/20240101000003_count.sql";
constexpr const char* kCount = "create function public.mood_count() returns bigint language sql stable\n"
                               "  as $$ select count(*) from public.moods $$;\n"
                               "create view public.recent_moods as select id, mood from public.moods;\n"
                               "-- sbdeploy:down\n"
                               "drop view public.recent_moods;\n"
                               "drop function public.mood_count();\n";
constexpr const char* kLevelFile = "supabase/migrations/20240101000004_level.sql";
constexpr const char* kLevel = "alter table public.moods add column level int not null default 0;\n";

struct PushRun {
    sbdeploy::util::ProcessResult r;
    std::map<std::string, std::string> outputs;
    std::string summary;
    [[nodiscard]] std::string all() const { return r.out + r.err; }
};

// A repository with a bare origin; pushes run in one-commit-deep checkouts of main.
class Fixture {
public:
    Fixture() : env_(git_env(tmp_.path("home"))), repo_(tmp_.path("repo"), env_) {
        fs::create_directories(tmp_.path("home"));
    }

    GitRepo& repo() { return repo_; }

    // main at `sha` on the origin, checked out as actions/checkout does.
    fs::path checkout(const std::string& sha) {
        repo_.push(sha, "refs/heads/main");
        return repo_.checkout(tmp_.path("co" + std::to_string(++checkouts_)), sha, "refs/remotes/origin/main");
    }

    // sbdeploy push of the push event before..after, in a checkout of `after`.
    // `sub`: the project's folder in the repository ("" for its root).
    PushRun push(const std::string& url, const std::string& before, const std::string& after,
                 const std::vector<std::string>& extra = {}, const GitEnv& more = {}, const std::string& sub = {}) {
        const fs::path root = checkout(after);
        const fs::path dir = sub.empty() ? root : root / sub;
        TempDir runner;
        GitEnv env = env_;
        env["GITHUB_ACTIONS"] = "true";
        env["GITHUB_EVENT_NAME"] = "push";
        env["GITHUB_EVENT_PATH"] =
            runner.write("event.json",
                         R"({"ref":"refs/heads/main","before":")" + before + R"(","after":")" + after +
                             R"(","forced":false,"repository":{"default_branch":"main","full_name":"octo/app"}})");
        env["GITHUB_REF"] = "refs/heads/main";
        env["GITHUB_SHA"] = after;
        env["GITHUB_WORKSPACE"] = root.string();
        env["GITHUB_API_URL"] = "http://127.0.0.1:9";  // nothing here may need the GitHub API
        env["GITHUB_OUTPUT"] = runner.write("output", "");
        env["GITHUB_STEP_SUMMARY"] = runner.write("summary", "");
        for (const auto& [k, val] : more) env[k] = val;
        std::vector<std::string> args = {"push", "--db-url", url, "--promote-from", "none", "--workdir", dir.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        PushRun run{run_sbdeploy(args, env, dir.string()), {}, {}};
        for (auto& [name, value] : parse_file_commands(read_all(env["GITHUB_OUTPUT"]))) run.outputs[name] = value;
        run.summary = read_all(env["GITHUB_STEP_SUMMARY"]);
        last_checkout_ = dir;
        return run;
    }

    // sbdeploy validate of pull request #7 from "revert-release" (at `head`) into staging (at `base`).
    PushRun validate(const std::string& url, const std::string& base, const std::string& head) {
        repo_.push(base, "refs/heads/staging");
        const fs::path dir = checkout(head);
        TempDir runner;
        GitEnv env = env_;
        env["GITHUB_ACTIONS"] = "true";
        env["GITHUB_EVENT_NAME"] = "pull_request";
        env["GITHUB_EVENT_PATH"] = runner.write(
            "event.json",
            R"({"action":"opened","number":7,"pull_request":{"number":7,"merged":false,)"
            R"("head":{"ref":"revert-release","sha":")" +
                head + R"(","repo":{"full_name":"octo/app"}},"base":{"ref":"staging","sha":")" + base +
                R"(","repo":{"full_name":"octo/app"}}},"repository":{"default_branch":"main","full_name":"octo/app"}})");
        env["GITHUB_REF"] = "refs/pull/7/merge";
        env["GITHUB_HEAD_REF"] = "revert-release";
        env["GITHUB_BASE_REF"] = "staging";
        env["GITHUB_SHA"] = head;
        env["GITHUB_WORKSPACE"] = dir.string();
        env["GITHUB_API_URL"] = "http://127.0.0.1:9";
        env["GITHUB_OUTPUT"] = runner.write("output", "");
        env["GITHUB_STEP_SUMMARY"] = runner.write("summary", "");
        PushRun run{run_sbdeploy({"validate", "--db-url", url, "--workdir", dir.string()}, env, dir.string()), {}, {}};
        for (auto& [name, value] : parse_file_commands(read_all(env["GITHUB_OUTPUT"]))) run.outputs[name] = value;
        run.summary = read_all(env["GITHUB_STEP_SUMMARY"]);
        return run;
    }

    [[nodiscard]] const fs::path& last_checkout() const { return last_checkout_; }

private:
    TempDir tmp_;
    GitEnv env_;
    GitRepo repo_;
    int checkouts_ = 0;
    fs::path last_checkout_;
};

// The history as rows and the schema as pg_dump prints it: "nothing changed" checks.
struct Snapshot {
    std::vector<std::string> rows;
    std::string schema;
    bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const std::string& url) { return {history_rows(url), schema_dump(url)}; }

// A database that only ever had `files` (pushed by sbdeploy from a plain folder).
std::string reference(const std::vector<std::pair<std::string, std::string>>& files) {
    TempProject project;
    for (const auto& [path, sql] : files) project.file(path, sql);
    const std::string url = fresh_database("revert_ref");
    auto r = run_with_db("push", project, url);
    INFO(describe(r));
    REQUIRE(r.exit_code == 0);
    return url;
}

// The line `supabase migration list` prints for a version applied remotely and present locally.
std::string listed_applied(const std::string& version) {
    const std::string& s = version;
    return "   `" + s + "` | `" + s + "` | `" + s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + " " +
           s.substr(8, 2) + ":" + s.substr(10, 2) + ":" + s.substr(12, 2) + "` \n";
}

// main: the moods table, then the release (B with a down file, C with a down section),
// pushed and applied; returns {first, release}.
std::pair<std::string, std::string> applied_release(Fixture& f, const std::string& url,
                                                    const char* note_down = kNoteDown) {
    f.repo().write(kMoodsFile, kMoods);
    const std::string first = f.repo().commit("moods");
    f.repo().write(kNoteFile, kNote);
    if (note_down != nullptr) f.repo().write(kNoteDownFile, note_down);
    f.repo().write(kCountFile, kCount);
    const std::string release = f.repo().commit("Merge pull request #7 from octo/release");
    auto r = f.push(url, first, release);
    INFO(describe(r.r));
    REQUIRE(r.r.exit_code == 0);
    REQUIRE(history_versions(url) == v({"20240101000001", "20240101000002", "20240101000003"}));
    return {first, release};
}

} // namespace

TEST_CASE("revert push: the reverted migrations are rolled back, newest first, to the schema of a database that never "
          "had them") {
    Fixture f;
    const std::string url = fresh_database("revert");
    auto [first, release] = applied_release(f, url);
    f.repo().git({"revert", "--no-edit", release});
    const std::string revert = f.repo().head();

    auto r = f.push(url, release, revert);
    INFO(describe(r.r));
    CHECK(r.r.exit_code == 0);
    // Newest first, each named, with a notice on the deleted file.
    const auto count = r.r.out.find("Rolled back 20240101000003_count.sql (");
    const auto note = r.r.out.find("Rolled back 20240101000002_note.sql (");
    CHECK(count != std::string::npos);
    CHECK(note != std::string::npos);
    CHECK(count < note);
    CHECK(contains(r.all(),
                   "::notice file=" + std::string(kCountFile) + "::rolled back 20240101000003 with its down SQL"));
    CHECK(r.outputs["reverted"] == R"(["20240101000003","20240101000002"])");
    CHECK(r.outputs["reverted_count"] == "2");
    CHECK(r.outputs["applied_count"] == "0");
    CHECK(contains(r.summary, "Rolled back (this push deleted their files)"));
    CHECK(contains(r.summary, "| 20240101000002 | note | rolled back |"));

    // As if the release had never run: history and pg_dump.
    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK(schema_dump(url) == schema_dump(reference({{kMoodsFile, kMoods}})));

    // The Supabase CLI agrees: its list shows the one version applied, and it has nothing to push.
    const std::string root = f.last_checkout().string();
    auto list = run_supabase({"migration", "list", "--remote=" + url, "--workdir", root}, root);
    INFO(describe(list));
    CHECK(list.exit_code == 0);
    CHECK(contains(list.out, listed_applied("20240101000001")));
    CHECK_FALSE(contains(list.out, "20240101000002"));
    CHECK_FALSE(contains(list.out, "20240101000003"));
    auto dry = run_supabase({"db", "push", "--dry-run", "--remote=" + url, "--yes", "--workdir", root}, root);
    INFO(describe(dry));
    CHECK(dry.exit_code == 0);
    CHECK(dry.out.ends_with("Remote database is up to date.\n"));

    // Running the same push again finds nothing left to do.
    auto again = f.push(url, release, revert);
    INFO(describe(again.r));
    CHECK(again.r.exit_code == 0);
    CHECK(contains(again.r.out, "Remote database is up to date"));
}

TEST_CASE("revert push: a revert and a new migration in one push roll back, then apply") {
    Fixture f;
    const std::string url = fresh_database("revert_new");
    auto [first, release] = applied_release(f, url);
    f.repo().git({"revert", "--no-edit", release});
    f.repo().write(kLevelFile, kLevel);
    const std::string head = f.repo().commit("level");

    SUBCASE("dry run: says both, changes nothing") {
        const Snapshot before = snapshot(url);
        auto r = f.push(url, release, head, {"--dry-run"});
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 0);
        CHECK(contains(r.r.out, "Would roll back 2 migrations that this push ("));
        CHECK(contains(r.r.out, "  20240101000003_count.sql\n  20240101000002_note.sql\n"));
        CHECK(contains(r.r.out, "Would push 1 migration to"));
        CHECK(contains(r.summary, "| 20240101000002 | note | `" + std::string(kNoteDownFile) + "` |"));
        CHECK(snapshot(url) == before);
    }
    SUBCASE("push") {
        auto r = f.push(url, release, head);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 0);
        const auto rolled = r.r.out.find("Rolled back 20240101000002_note.sql (");
        const auto applied = r.r.out.find("Applied 20240101000004_level.sql (");
        CHECK(rolled != std::string::npos);
        CHECK(applied != std::string::npos);
        CHECK(rolled < applied);
        CHECK(r.outputs["reverted"] == R"(["20240101000003","20240101000002"])");
        CHECK(r.outputs["applied"] == R"(["20240101000004"])");
        CHECK(history_versions(url) == v({"20240101000001", "20240101000004"}));
        CHECK(schema_dump(url) == schema_dump(reference({{kMoodsFile, kMoods}, {kLevelFile, kLevel}})));
    }
}

TEST_CASE("revert push: without down SQL it refuses before changing anything, naming the versions and the fixes") {
    Fixture f;
    const std::string url = fresh_database("revert_nodown");
    f.repo().write(kMoodsFile, kMoods);
    const std::string first = f.repo().commit("moods");
    f.repo().write(kNoteFile, kNote);  // no down file
    f.repo().write(kCountFile, kCount);
    const std::string release = f.repo().commit("release");
    REQUIRE(f.push(url, first, release).r.exit_code == 0);
    f.repo().git({"revert", "--no-edit", release});
    f.repo().write(kLevelFile, kLevel);
    const std::string head = f.repo().commit("level");
    const Snapshot before = snapshot(url);

    auto r = f.push(url, release, head);
    INFO(describe(r.r));
    CHECK(r.r.exit_code == 1);
    CHECK(contains(r.r.err, "push refused, nothing was changed: this push ("));
    CHECK(contains(r.r.err, "deletes the files of 2 applied migrations, and this one has no down SQL in the parent "
                            "commit to roll back with: 20240101000002 (" +
                                std::string(kNoteFile) + ")"));
    CHECK(contains(r.r.err, "`sbdeploy rollback --last 2`"));
    CHECK(contains(r.r.err, "`sbdeploy repair --status reverted 20240101000003 20240101000002`"));
    CHECK_FALSE(contains(r.r.out, "Rolled back"));
    CHECK(snapshot(url) == before);  // not even the one with down SQL, nor the new migration
}

TEST_CASE("revert push: only versions the pushed diff deleted are rolled back") {
    Fixture f;
    const std::string url = fresh_database("revert_other");
    auto [first, release] = applied_release(f, url);

    SUBCASE("--no-rollback-on-revert keeps the Supabase CLI's error") {
        f.repo().git({"revert", "--no-edit", release});
        const std::string revert = f.repo().head();
        const Snapshot before = snapshot(url);
        for (const auto& [label, args, env] : std::vector<std::tuple<std::string, std::vector<std::string>, GitEnv>>{
                 {"flag", {"--no-rollback-on-revert"}, {}},
                 {"variable", {}, {{"SBDEPLOY_NO_ROLLBACK_ON_REVERT", "true"}}}}) {
            INFO(label);
            auto r = f.push(url, release, revert, args, env);
            INFO(describe(r.r));
            CHECK(r.r.exit_code == 1);
            CHECK(contains(r.r.err, "remote migration versions not found in \"supabase/migrations\": 20240101000002 "
                                    "20240101000003"));
            CHECK(snapshot(url) == before);
        }
    }
    SUBCASE("a version applied from elsewhere keeps the error, and nothing is rolled back") {
        query_column(url, "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) "
                          "VALUES ('20240101000009', 'hand', '{}') RETURNING version");
        f.repo().git({"revert", "--no-edit", release});
        const std::string revert = f.repo().head();
        const Snapshot before = snapshot(url);
        auto r = f.push(url, release, revert);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 1);
        CHECK(contains(r.r.err, "remote migration versions not found in \"supabase/migrations\": 20240101000009"));
        CHECK_FALSE(contains(r.r.err, "20240101000002"));
        CHECK(snapshot(url) == before);
    }
    SUBCASE("a push whose previous commit git cannot fetch keeps the error") {
        f.repo().git({"revert", "--no-edit", release});
        const std::string revert = f.repo().head();
        const Snapshot before = snapshot(url);
        auto r = f.push(url, std::string(40, 'e'), revert, {"--verbose"});
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 1);
        CHECK(contains(r.all(), "push: cannot tell whether this run deletes the files of 2 applied versions missing "
                                "locally: "));
        CHECK(contains(r.r.err, "remote migration versions not found in \"supabase/migrations\": 20240101000002 "
                                "20240101000003"));
        CHECK(snapshot(url) == before);
    }
    SUBCASE("a push that deletes nothing keeps the error") {
        f.repo().write("README.md", "hello\n");
        const std::string head = f.repo().commit("readme");
        query_column(url, "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) "
                          "VALUES ('20240101000009', 'hand', '{}') RETURNING version");
        auto r = f.push(url, release, head);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 1);
        CHECK(contains(r.r.err, "remote migration versions not found in \"supabase/migrations\": 20240101000009"));
    }
}

TEST_CASE("revert push: a failing rollback keeps that version whole and applies nothing pending") {
    // One transaction per version, as `sbdeploy rollback`: the versions rolled back before
    // the failing one stay rolled back; the failing one is untouched.
    Fixture f;
    const std::string url = fresh_database("revert_fail");
    f.repo().write(kMoodsFile, kMoods);
    const std::string first = f.repo().commit("moods");
    f.repo().write(kNoteFile, kNote);
    f.repo().write(kNoteDownFile, "drop index public.moods_note;\nalter table public.moods drop column nope;\n");
    f.repo().write(kCountFile, kCount);
    const std::string release = f.repo().commit("release");
    REQUIRE(f.push(url, first, release).r.exit_code == 0);
    f.repo().git({"revert", "--no-edit", release});
    f.repo().write(kLevelFile, kLevel);
    const std::string head = f.repo().commit("level");

    auto r = f.push(url, release, head);
    INFO(describe(r.r));
    CHECK(r.r.exit_code == 1);
    CHECK(contains(r.r.out, "Rolled back 20240101000003_count.sql ("));
    CHECK(contains(r.r.err, "::error file=" + std::string(kNoteDownFile) + ",line=2::rolling back 20240101000002: "));
    CHECK(contains(r.r.err, "column \"nope\" of relation \"moods\" does not exist"));
    CHECK(contains(r.r.err, "nothing pending was applied; when the cause passes, run this push again"));
    CHECK(contains(r.r.err, "`sbdeploy repair --status reverted 20240101000002`"));
    CHECK(contains(r.summary, "| 20240101000002 | note | ❌ **failed** at line 2 |"));
    CHECK(r.summary.starts_with("❌ **push to production**: the rollback of a reverted migration failed at `" +
                                std::string(kNoteDownFile) + "` line 2; nothing pending was applied"));
    CHECK(r.outputs["reverted"] == R"(["20240101000003"])");
    CHECK(r.outputs["applied_count"] == "0");
    CHECK(history_versions(url) == v({"20240101000001", "20240101000002"}));
    CHECK(exists(url, "public.moods_note"));  // the failing version's rollback left nothing
    CHECK_FALSE(exists(url, "public.recent_moods"));
    CHECK(schema_dump(url) == schema_dump(reference({{kMoodsFile, kMoods}, {kNoteFile, kNote}})));
}

TEST_CASE("revert push: a project in a subfolder of the repository (--workdir)") {
    Fixture f;
    const std::string url = fresh_database("revert_sub");
    f.repo().write(std::string("app/") + kMoodsFile, kMoods);
    const std::string first = f.repo().commit("moods");
    f.repo().write(std::string("app/") + kCountFile, kCount);
    f.repo().write("supabase/migrations/20240101000002_elsewhere.sql", "select 1;\n");  // not the project's
    const std::string release = f.repo().commit("release");
    REQUIRE(f.push(url, first, release, {}, {}, "app").r.exit_code == 0);
    REQUIRE(history_versions(url) == v({"20240101000001", "20240101000003"}));
    f.repo().git({"revert", "--no-edit", release});
    const std::string revert = f.repo().head();

    auto r = f.push(url, release, revert, {}, {}, "app");
    INFO(describe(r.r));
    CHECK(r.r.exit_code == 0);
    CHECK(r.outputs["reverted"] == R"(["20240101000003"])");
    CHECK(history_versions(url) == v({"20240101000001"}));
    CHECK_FALSE(exists(url, "public.recent_moods"));
}

TEST_CASE("revert pull request: validate dry-runs the rollback the push after the merge would run") {
    Fixture f;
    const std::string url = fresh_database("revert_pr");

    SUBCASE("down SQL that works: valid, nothing changed") {
        auto [first, release] = applied_release(f, url);
        f.repo().git({"revert", "--no-edit", release});
        const std::string head = f.repo().head();
        const Snapshot before = snapshot(url);
        auto r = f.validate(url, release, head);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 0);
        CHECK(contains(r.r.out, "ok      20240101000003_count.sql\nok      20240101000002_note.sql\n"));
        CHECK(r.outputs["valid"] == "true");
        CHECK(contains(r.summary, "The push after the merge rolls back what this pull request deletes"));
        CHECK(contains(r.summary, "| 20240101000002 | note | `" + std::string(kNoteDownFile) + "` | ✅ ok |"));
        CHECK(snapshot(url) == before);
    }
    SUBCASE("down SQL that fails: invalid at its file and line, nothing changed") {
        auto [first, release] =
            applied_release(f, url, "drop index public.moods_note;\nalter table public.moods drop column nope;\n");
        f.repo().git({"revert", "--no-edit", release});
        const std::string head = f.repo().head();
        const Snapshot before = snapshot(url);
        auto r = f.validate(url, release, head);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 1);
        CHECK(contains(r.r.out, "FAILED  20240101000002_note.sql (down SQL line 2)"));
        CHECK(contains(r.r.err,
                       "::error file=" + std::string(kNoteDownFile) + ",line=2::rolling back 20240101000002: "));
        CHECK(contains(r.r.err, "the push after the merge would fail here"));
        CHECK(r.outputs["valid"] == "false");
        CHECK(snapshot(url) == before);
    }
    SUBCASE("no down SQL: invalid, naming the versions and the fixes") {
        auto [first, release] = applied_release(f, url, nullptr);
        f.repo().git({"revert", "--no-edit", release});
        const std::string head = f.repo().head();
        auto r = f.validate(url, release, head);
        INFO(describe(r.r));
        CHECK(r.r.exit_code == 1);
        CHECK(contains(r.r.err, "validate: the push after this pull request would be refused: it ("));
        CHECK(contains(r.r.err, "20240101000002 (" + std::string(kNoteFile) + ")"));
        CHECK(contains(r.r.err, "`sbdeploy repair --status reverted 20240101000003 20240101000002`"));
    }
}
