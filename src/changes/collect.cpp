#include "changes/collect.hpp"

#include <vector>

#include "changes/github_files.hpp"
#include "util/strings.hpp"

namespace sbdeploy::changes {

using util::quoted;

std::string_view source_name(Source s) {
    switch (s) {
    case Source::none: return "none";
    case Source::git: return "git";
    case Source::api: return "GitHub API";
    }
    return "none";
}

namespace {

std::string with_thousands(std::size_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

// A commit name shortened, anything else (a branch) quoted.
std::string rev_text(const std::string& rev) {
    bool sha = (rev.size() == 40 || rev.size() == 64) && rev.find_first_not_of("0123456789abcdef") == std::string::npos;
    return sha ? short_sha(rev) : quoted(rev);
}

// What the comparison is about, for the API's reasons.
std::string subject(const Request& req, Rule rule) {
    switch (rule) {
    case Rule::push: return "push to " + quoted(req.branch);
    case Rule::new_branch: return "new branch " + quoted(req.branch);
    case Rule::pull_request:
        return "pull request" + (req.pr_number ? " #" + std::to_string(*req.pr_number) : std::string());
    case Rule::merge_group: return "merge group";
    case Rule::explicit_base: return "--base " + quoted(req.explicit_base);
    case Rule::default_branch: return req.event.empty() ? std::string("no event") : req.event;
    case Rule::nothing: break;
    }
    return "this run";
}

// Neither git nor the API could tell: both reasons, and the API's hint.
Error api_failed(const std::string& why_git, Error e) {
    e.message = "paths-filter: cannot tell what changed: " + why_git + "; " + e.message;
    return e;
}

Result<Collected> from_git(const Git& git, Range range, const Keep& keep) {
    Collected c;
    c.source = Source::git;
    auto diff = git.diff(range.base, range.head, keep);
    if (!diff) return fail(diff.error());
    c.changes = std::move(diff->changes);
    c.total = diff->total;
    c.range = std::move(range);
    return c;
}

Collected from_api(Range range, std::vector<Change> listed, const Keep& keep) {
    Collected c;
    c.source = Source::api;
    c.total = listed.size();
    if (keep) std::erase_if(listed, [&](const Change& change) { return !keep(change); });
    c.changes = std::move(listed);
    c.range = std::move(range);
    return c;
}

} // namespace

Result<Collected> collect(const Git& git, const github::Api* api, const Request& req, const ResolveSettings& settings,
                          const Note& note, const Keep& keep) {
    auto resolved = resolve_range(git, req, settings, note);
    if (!resolved) return fail(resolved.error());
    if (resolved->range) {
        if (resolved->range->rule == Rule::nothing) return Collected{std::move(*resolved->range), {}, Source::none, 0};
        return from_git(git, std::move(*resolved->range), keep);
    }

    Rule rule = choose_rule(req);
    const std::string why_git = resolved->unavailable;
    ApiQuery query = api_query(req, rule);
    if (api == nullptr || req.repository.empty() || query.kind == ApiQuery::Kind::none)
        return fail(ErrorKind::operation, "paths-filter: cannot tell what changed: " + why_git,
                    "check out with fetch-depth: 0, raise --fetch-limit, or run in GitHub Actions with "
                    "GITHUB_REPOSITORY and GITHUB_TOKEN so the GitHub API can list the files");
    note("git cannot tell what changed (" + why_git + "); asking the GitHub API");

    ApiFiles files;
    Range range;
    range.rule = rule;
    if (query.kind == ApiQuery::Kind::pull_files) {
        auto listed = pull_request_files(*api, req.repository, query.number);
        if (!listed) return fail(api_failed(why_git, listed.error()));
        files = std::move(*listed);
        range.base = req.pr_base_sha;
        range.head = req.pr_head_sha;
        range.reason = subject(req, rule) + ": the files GitHub lists for it (GitHub API)";
    } else {
        auto listed = compare_files(*api, req.repository, query.base, query.head);
        if (!listed) return fail(api_failed(why_git, listed.error()));
        files = std::move(*listed);
        range.base = files.base.empty() ? query.base : files.base;
        range.head = query.head;
        range.reason = subject(req, rule) + ": GitHub's comparison " + rev_text(query.base) + "..." +
                       rev_text(query.head) + " (GitHub API)";
    }
    if (!files.capped) return from_api(std::move(range), std::move(files.changes), keep);

    std::string capped = "the GitHub API lists at most " + with_thousands(files.cap) + " files " +
                         (query.kind == ApiQuery::Kind::pull_files ? "of a pull request" : "of a comparison") +
                         " and this one has that many or more";
    if (!git.is_repository())
        return fail(ErrorKind::operation, "paths-filter: cannot tell what changed: " + capped + ", and " + why_git,
                    "check out the repository with actions/checkout (fetch-depth: 0) so git can list every file");
    note(capped + "; falling back to git with the whole history");
    ResolveSettings whole = settings;
    whole.unlimited = true;
    auto again = resolve_range(git, req, whole, note);
    if (!again) return fail(again.error());
    if (!again->range)
        return fail(ErrorKind::operation,
                    "paths-filter: cannot tell what changed: " + capped +
                        ", and git cannot either: " + again->unavailable,
                    "check out the repository with fetch-depth: 0 so git can list every file");
    again->range->reason += " (the GitHub API list was capped at " + with_thousands(files.cap) + " files)";
    return from_git(git, std::move(*again->range), keep);
}

} // namespace sbdeploy::changes
