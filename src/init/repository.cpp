#include "init/repository.hpp"

#include <algorithm>
#include <filesystem>

#include "changes/git.hpp"
#include "migrations/config_toml.hpp"
#include "util/strings.hpp"

namespace sbdeploy::init {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    for (auto& line : util::split(text, '\n')) {
        auto t = util::trim(line);
        if (!t.empty()) out.emplace_back(t);
    }
    return out;
}

// Local branches and origin's (refs/remotes/origin/<name>, origin/HEAD left out).
Result<std::vector<std::string>> branch_names(const changes::Git& git) {
    auto r = git.run({"for-each-ref", "--format=%(refname)", "refs/heads", "refs/remotes/origin"});
    if (!r) return fail(r.error());
    if (!r->ok()) return fail(ErrorKind::io, "git for-each-ref: " + changes::git_message(*r));
    std::vector<std::string> names;
    for (auto& ref : lines_of(r->out)) {
        std::string_view name = ref;
        if (name.starts_with("refs/heads/"))
            name.remove_prefix(11);
        else if (name.starts_with("refs/remotes/origin/"))
            name.remove_prefix(20);
        else
            continue;
        if (name != "HEAD") names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

} // namespace

std::string pick_branch(const std::vector<std::string>& branches, std::initializer_list<std::string_view> candidates) {
    for (auto c : candidates)
        if (std::find(branches.begin(), branches.end(), c) != branches.end()) return std::string(c);
    return std::string(*candidates.begin());
}

std::optional<std::string> github_repository_of(std::string_view url) {
    url = util::trim(url);
    std::string_view rest;
    for (std::string_view prefix :
         {"https://github.com/", "http://github.com/", "git@github.com:", "ssh://git@github.com/", "git://github.com/"})
        if (url.starts_with(prefix)) rest = url.substr(prefix.size());
    if (rest.empty()) {
        // https://user@github.com/o/n (a token or user name before the host)
        auto at = url.find("@github.com/");
        if (!url.starts_with("https://") || at == std::string_view::npos) return std::nullopt;
        rest = url.substr(at + 12);
    }
    while (rest.ends_with('/')) rest.remove_suffix(1);
    if (rest.ends_with(".git")) rest.remove_suffix(4);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size() ||
        rest.find('/', slash + 1) != std::string_view::npos)
        return std::nullopt;
    return std::string(rest);
}

Result<RepositoryFacts> read_repository(const std::string& workdir, const ProcessEnv& env) {
    RepositoryFacts facts;
    changes::GitSettings settings;
    settings.workdir = workdir;
    settings.env = env;
    changes::Git git(settings);
    facts.root = workdir;
    if (git.is_repository()) {
        facts.is_git = true;
        auto top = git.run({"rev-parse", "--show-toplevel"});
        if (!top) return fail(top.error());
        if (top->ok()) facts.root = std::string(util::trim(top->out));
        auto prefix = git.prefix();
        if (!prefix) return fail(prefix.error());
        facts.project_dir = *prefix;
        while (facts.project_dir.ends_with('/')) facts.project_dir.pop_back();
        auto names = branch_names(git);
        if (!names) return fail(names.error());
        facts.branches = std::move(*names);
        auto origin = git.run({"remote", "get-url", "origin"});
        if (origin && origin->ok())
            if (auto repo = github_repository_of(origin->out)) facts.github_repository = *repo;
    }
    facts.production_branch = pick_branch(facts.branches, {"main", "master"});
    facts.staging_branch = pick_branch(facts.branches, {"staging", "develop"});
    auto config = migrations::load_supabase_config(workdir);
    if (!config) return fail(config.error());
    facts.project_id = config->project_id;
    facts.remote_project_ids = config->remote_project_ids;
    return facts;
}

} // namespace sbdeploy::init
