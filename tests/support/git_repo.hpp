// Real git repositories built by tests: a working repository with files and commits, a bare
// "origin" it pushes to (serving any object by id, as GitHub does), and checkouts made the
// way actions/checkout makes them (one commit deep by default). Every git runs with a fixed
// identity and clock and no user or system configuration.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "util/process.hpp"
#include "util/strings.hpp"

namespace sbdeploy::test {

using GitEnv = std::map<std::string, std::string, std::less<>>;

// The environment every git (and sbdeploy, which runs git) gets in these tests.
inline GitEnv git_env(const std::filesystem::path& home) {
    return {{"PATH", "/usr/bin:/bin"},
            {"HOME", home.string()},
            {"GIT_CONFIG_NOSYSTEM", "1"},
            {"GIT_CONFIG_GLOBAL", "/dev/null"},
            {"GIT_AUTHOR_NAME", "Test Author"},
            {"GIT_AUTHOR_EMAIL", "author@example.com"},
            {"GIT_COMMITTER_NAME", "Test Committer"},
            {"GIT_COMMITTER_EMAIL", "committer@example.com"},
            {"LC_ALL", "C"}};
}

// Runs git in `dir`; the test fails (REQUIRE) when git does. Returns stdout, trailing
// newline removed.
inline std::string run_git(const std::filesystem::path& dir, const GitEnv& env, const std::vector<std::string>& args) {
    util::ProcessSpec spec;
    spec.program = "git";
    spec.args = args;
    spec.env = env;
    spec.workdir = dir.string();
    spec.timeout = std::chrono::milliseconds(120'000);
    auto r = util::run_process(spec);
    REQUIRE_MESSAGE(r, "cannot run git");
    std::string cmd = "git";
    for (const auto& a : args) cmd += " " + a;
    REQUIRE_MESSAGE(r->ok(), cmd << " failed in " << dir.string() << ": " << r->err);
    std::string out = std::move(r->out);
    while (out.ends_with('\n')) out.pop_back();
    return out;
}

class GitRepo {
public:
    // A new repository at `dir` on branch `branch`, with a bare origin at `dir`.git.
    GitRepo(std::filesystem::path dir, const GitEnv& env, const std::string& branch = "main")
        : dir_(std::move(dir)), origin_(dir_.string() + ".git"), env_(env) {
        std::filesystem::create_directories(dir_);
        std::filesystem::create_directories(origin_);
        run_git(origin_, env_, {"init", "--quiet", "--bare", "--initial-branch=" + branch});
        // GitHub serves any commit by id (also ones no branch reaches any more).
        run_git(origin_, env_, {"config", "uploadpack.allowAnySHA1InWant", "true"});
        git({"init", "--quiet", "--initial-branch=" + branch});
        git({"remote", "add", "origin", origin_url()});
    }

    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
    [[nodiscard]] std::string origin_url() const { return "file://" + origin_.string(); }

    std::string git(const std::vector<std::string>& args) const { return run_git(dir_, env_, args); }

    void write(const std::string& relative, const std::string& content) const {
        auto p = dir_ / relative;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << content;
    }
    void remove(const std::string& relative) const { git({"rm", "--quiet", "--", relative}); }
    void move(const std::string& from, const std::string& to) const {
        std::filesystem::create_directories((dir_ / to).parent_path());
        git({"mv", "--", from, to});
    }

    // Commits everything with a fixed clock `tick` seconds after the last commit; returns
    // the commit's full name.
    std::string commit(const std::string& message) {
        ++tick_;
        std::string date = "@" + std::to_string(1'700'000'000 + tick_ * 60) + " +0000";
        GitEnv env = env_;
        env["GIT_AUTHOR_DATE"] = date;
        env["GIT_COMMITTER_DATE"] = date;
        run_git(dir_, env, {"add", "--all"});
        run_git(dir_, env, {"commit", "--quiet", "--allow-empty", "--no-verify", "-m", message});
        return head();
    }

    [[nodiscard]] std::string head() const { return git({"rev-parse", "HEAD"}); }
    [[nodiscard]] std::string rev(const std::string& r) const { return git({"rev-parse", r + "^{commit}"}); }

    // git push --force origin <sha>:<ref> ("refs/heads/main", "refs/pull/7/head", ...).
    void push(const std::string& sha, const std::string& ref) const {
        git({"push", "--quiet", "--force", "origin", sha + ":" + ref});
    }
    void delete_remote(const std::string& ref) const { git({"push", "--quiet", "origin", ":" + ref}); }
    // The origin's default branch (its HEAD).
    void set_origin_head(const std::string& branch) const {
        run_git(origin_, env_, {"symbolic-ref", "HEAD", "refs/heads/" + branch});
    }

    // A checkout at `dir` as actions/checkout makes it: `sha` fetched `depth` commits deep
    // (0: all) into `tracking_ref`, and checked out detached.
    std::filesystem::path checkout(const std::filesystem::path& dir, const std::string& sha,
                                   const std::string& tracking_ref, int depth = 1) const {
        std::filesystem::create_directories(dir);
        run_git(dir, env_, {"init", "--quiet"});
        run_git(dir, env_, {"remote", "add", "origin", origin_url()});
        std::vector<std::string> fetch = {"fetch", "--quiet", "--no-tags", "--prune", "--no-recurse-submodules"};
        if (depth > 0) fetch.push_back("--depth=" + std::to_string(depth));
        fetch.insert(fetch.end(), {"origin", "+" + sha + ":" + tracking_ref});
        run_git(dir, env_, fetch);
        run_git(dir, env_, {"checkout", "--quiet", "--force", "--detach", tracking_ref});
        return dir;
    }

    // `git clone [--depth N] file://origin dir`, on `branch`.
    std::filesystem::path clone(const std::filesystem::path& dir, const std::string& branch, int depth = 0) const {
        std::vector<std::string> args = {"clone", "--quiet", "--branch", branch};
        if (depth > 0) args.push_back("--depth=" + std::to_string(depth));
        args.insert(args.end(), {origin_url(), dir.string()});
        run_git(dir.parent_path(), env_, args);
        return dir;
    }

private:
    std::filesystem::path dir_;
    std::filesystem::path origin_;
    GitEnv env_;
    int tick_ = 0;
};

} // namespace sbdeploy::test
