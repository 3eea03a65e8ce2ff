#include "cli/hotfix_route.hpp"

#include <algorithm>
#include <optional>

#include "changes/github_files.hpp"
#include "cli/resolve.hpp"
#include "db/history.hpp"
#include "github/commit_pulls.hpp"
#include "github/outputs.hpp"
#include "util/glob.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

using util::quoted;

// A pull request as the route sees it, from the event or from the API.
struct PullFacts {
    long number = 0;
    std::string head;
    bool fork = false;
    std::vector<std::string> labels;
};

policy::HotfixRoute not_taken(std::string why) {
    policy::HotfixRoute r;
    r.not_taken = std::move(why);
    return r;
}

bool is_sha(std::string_view s) {
    return s.size() >= 7 && s.size() <= 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string token_of(const Context& ctx) {
    std::string t = ctx.env.get_or("GITHUB_TOKEN", "");
    return t.empty() ? ctx.env.get_or("GH_TOKEN", "") : t;
}

github::Api api_of(const Context& ctx) {
    github::ApiSettings s;
    s.base_url = github::RunnerContext::from(ctx.env).api_url;
    s.token = token_of(ctx);
    s.user_agent = "sbdeploy/" SBDEPLOY_VERSION;
    s.max_wait = std::chrono::seconds(10);  // a deploy waits for no long rate-limit window
    return github::Api(std::move(s));
}

// The migrations of `project` among the pull request's changed files (paths from the
// repository root; the project's are from the workdir, which may sit below it).
std::vector<std::string> versions_brought(const Project& project, const std::vector<changes::Change>& files) {
    std::vector<std::string> out;
    for (const auto& m : project.migrations)
        for (const auto& c : files) {
            if (c.status == changes::Status::deleted) continue;
            if (c.path == m.file.display || c.path.ends_with("/" + m.file.display)) {
                out.push_back(m.file.version);
                break;
            }
        }
    return out;
}

// The route of one pull request: a hotfix or not, and what it brought.
policy::HotfixRoute route_of(const github::Api& api, const Project& project, const std::string& repository,
                             const PullFacts& pr, const std::string& pattern) {
    const std::string label = "pull request #" + std::to_string(pr.number) + " from " + quoted(pr.head);
    auto why = policy::hotfix_reason(pr.head, pr.fork, pr.labels, pattern);
    if (!why)
        return not_taken(label + " is not a hotfix: " +
                         (pattern.empty() || pr.fork ? std::string("its branch proves nothing")
                                                     : "its branch does not match " + quoted(pattern)) +
                         " and it has no " + quoted(policy::kHotfixLabel) + " label");
    auto files = changes::pull_request_files(api, repository, pr.number);
    if (!files) return not_taken("could not list the files of " + label + ": " + files.error().message);
    return {policy::HotfixPull{pr.number, pr.head, *why, versions_brought(project, files->changes)}, {}};
}

// The merged pull request into `branch` whose merge (or head) the pushed commit is.
std::optional<PullFacts> merged_pull(const std::vector<github::AssociatedPull>& pulls, const std::string& branch,
                                     const std::string& sha) {
    const github::AssociatedPull* best = nullptr;
    for (const auto& p : pulls) {
        if (!p.merged || p.base_ref != branch) continue;
        if (best == nullptr || (p.merge_commit_sha == sha && best->merge_commit_sha != sha)) best = &p;
    }
    if (best == nullptr) return std::nullopt;
    return PullFacts{best->number, best->head_ref, best->fork, best->labels};
}

std::string needs_token(const std::string& what) {
    return "no GitHub token to find " + what +
           ": set GITHUB_TOKEN (the action's github-token input) with "
           "pull-requests: read";
}

} // namespace

Result<std::string> hotfix_pattern(const Context& ctx) {
    std::string pattern = ctx.options.get_or("hotfix-pattern", policy::kDefaultHotfixPattern);
    if (!pattern.empty())
        if (auto compiled = util::Glob::compile(pattern); !compiled)
            return fail(ErrorKind::config, "option --hotfix-pattern: " + compiled.error().message,
                        "give a branch glob such as hotfix/*");
    return pattern;
}

Result<policy::HotfixRoute> find_hotfix_route(Context& ctx, const Project& project, const Target& target) {
    auto pattern = hotfix_pattern(ctx);
    if (!pattern) return fail(std::move(pattern.error()));
    const auto& f = target.facts;
    const bool pull_request = f.event == "pull_request" || f.event == "pull_request_target";
    if (f.event != "push" && !pull_request) return policy::HotfixRoute{};  // no pull request to look for
    if (f.repository.empty()) return not_taken("GITHUB_REPOSITORY is not set, so no pull request can be looked up");
    github::Api api = api_of(ctx);
    if (pull_request) {
        PullFacts pr{f.pr_number.value_or(0), f.branch, f.fork, f.labels};
        // Not a hotfix: route_of says so without asking GitHub anything.
        if (policy::hotfix_reason(pr.head, pr.fork, pr.labels, *pattern) && api.settings().token.empty())
            return not_taken(needs_token("the files of pull request #" + std::to_string(pr.number)));
        return route_of(api, project, f.repository, pr, *pattern);
    }
    const std::string sha = f.head_sha.empty() ? f.sha : f.head_sha;
    if (!is_sha(sha) || github::is_null_sha(sha)) return not_taken("the push names no commit");
    const std::string short_sha = sha.substr(0, 7);
    if (api.settings().token.empty()) return not_taken(needs_token("the pull request of commit " + short_sha));
    auto pulls = github::pulls_for_commit(api, f.repository, sha);
    if (!pulls)
        return not_taken("the GitHub API could not list the pull requests of commit " + short_sha + ": " +
                         pulls.error().message);
    auto pr = merged_pull(*pulls, f.branch, sha);
    if (!pr) return not_taken("commit " + short_sha + " is in no merged pull request into " + quoted(f.branch));
    return route_of(api, project, f.repository, *pr, *pattern);
}

} // namespace sbdeploy::cli
