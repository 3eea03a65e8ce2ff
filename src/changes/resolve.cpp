// Resolving the base paths-filter compares with: the rule choose_rule picks for the event
// (changes/base.hpp), applied to the checkout through detail::Resolver (fetching within the
// bound); "unavailable" with the reason when git cannot answer, so the caller can ask the API.
#include "changes/resolve.hpp"

#include "changes/resolver.hpp"
#include "util/strings.hpp"

namespace sbdeploy::changes {

using detail::Found;
using detail::is_full_sha;
using detail::is_hex;
using detail::Resolver;
using util::quoted;

namespace {

Resolution unavailable(std::string why) { return Resolution{std::nullopt, std::move(why)}; }

Resolution found(Rule rule, std::string base, std::string head, std::string reason) {
    return Resolution{Range{rule, std::move(base), std::move(head), std::move(reason)}, {}};
}

Error no_default_branch(const Request& req) {
    return make_error(ErrorKind::config,
                      "paths-filter: no base for " + (req.event.empty() ? std::string("this run") : quoted(req.event)) +
                          ": the default branch is unknown",
                      "pass --base with a branch or commit to compare with");
}

std::string default_branch_of(const Git& git, const Request& req) {
    if (!req.default_branch.empty()) return req.default_branch;
    if (auto head = git.remote_head()) return *head;
    for (std::string name : {"main", "master"})
        for (const auto& ref : {"refs/remotes/" + git.settings().remote + "/" + name, "refs/heads/" + name})
            if (git.resolve(ref)) return name;
    return {};
}

// The commit the run is about when the event names none: GITHUB_SHA, else HEAD.
Result<std::optional<std::string>> run_head(Resolver& r, const Git& git, const Request& req) {
    if (!req.sha.empty()) return r.commit(req.sha, "the head");
    if (auto head = git.resolve("HEAD")) return head;
    r.why = "HEAD does not name a commit";
    return std::optional<std::string>();
}

#define TRY_SHA(var, expr)                      \
    auto var##_r = (expr);                      \
    if (!var##_r) return fail(var##_r.error()); \
    if (!*var##_r) return unavailable(r.why);   \
    const std::string var = **var##_r;

#define TRY_FOUND(var, expr)            \
    auto var = (expr);                  \
    if (!var) return fail(var.error()); \
    if (var->state == Found::State::unavailable) return unavailable(r.why);

// The merge-base of `head` and the tip of `branch`; the reason is
// "<context>: merge-base <sha> with <with_text>".
Result<Resolution> merge_base_with_branch(Resolver& r, Rule rule, const std::string& branch, const std::string& head,
                                          const std::string& context, const std::string& with_text) {
    TRY_SHA(tip, r.branch_tip(branch));
    TRY_FOUND(mb, r.merge_base(tip, head));
    if (mb->state == Found::State::unrelated)
        return fail(ErrorKind::operation,
                    "paths-filter: " + context + ": the head has no history in common with " + with_text,
                    "pass --base with a commit to compare with");
    return found(rule, mb->sha, head, context + ": merge-base " + short_sha(mb->sha) + " with " + with_text);
}

Result<Resolution> resolve_push(Resolver& r, const Git& git, const Request& req) {
    std::string what = "push to " + quoted(req.branch);
    TRY_SHA(head, req.after.empty() ? run_head(r, git, req) : r.commit(req.after, "the pushed commit"));
    auto before_r = r.commit(req.before, "the previous tip");
    if (!before_r) return fail(before_r.error());
    if (!*before_r) {
        // Force-pushed away and gone from the remote: compare from where the branch left
        // the default branch.
        std::string gone = r.why;
        std::string branch = default_branch_of(git, req);
        if (branch.empty() || branch == req.branch || !r.can_fetch()) return unavailable(gone);
        r.why.clear();
        return merge_base_with_branch(r, Rule::push, branch, head,
                                      what + ": the previous tip " + short_sha(req.before) + " cannot be fetched",
                                      "the default branch " + quoted(branch));
    }
    const std::string before = **before_r;
    std::string since = what + ": changes since the previous push " + short_sha(before);
    // GitHub says whether the push was forced: a push that was not moved the branch forward
    // from `before`, so their merge-base is `before` itself and needs no look-up (nor, in a
    // shallow checkout, any history). A force push, or a payload that does not say, gets
    // the merge-base.
    if (!req.forced && (req.fast_forward || r.shallow())) return found(Rule::push, before, head, since);
    TRY_FOUND(mb, r.merge_base(before, head));
    if (mb->state == Found::State::unrelated)
        return found(Rule::push, before, head,
                     "force push to " + quoted(req.branch) + ": no history in common with the previous tip " +
                         short_sha(before) + ", compared with it directly");
    if (mb->sha == before) return found(Rule::push, before, head, since);
    return found(Rule::push, mb->sha, head,
                 "force push to " + quoted(req.branch) + ": merge-base " + short_sha(mb->sha) +
                     " of the previous tip " + short_sha(before) + " and the new one");
}

Result<Resolution> resolve_new_branch(Resolver& r, const Git& git, const Request& req) {
    TRY_SHA(head, req.after.empty() ? run_head(r, git, req) : r.commit(req.after, "the pushed commit"));
    std::string branch = default_branch_of(git, req);
    if (branch.empty()) return fail(no_default_branch(req));
    if (branch == req.branch) {
        auto empty = git.empty_tree();
        if (!empty) return fail(empty.error());
        return found(Rule::new_branch, *empty, head,
                     "first push of the default branch " + quoted(branch) + ": every file is new");
    }
    return merge_base_with_branch(r, Rule::new_branch, branch, head, "new branch " + quoted(req.branch),
                                  "the default branch " + quoted(branch));
}

Result<Resolution> resolve_pull_request(Resolver& r, const Git& git, const Request& req) {
    std::string what = "pull request" + (req.pr_number ? " #" + std::to_string(*req.pr_number) : std::string());
    auto head_r = r.commit(req.pr_head_sha, "the pull request head");
    if (!head_r) return fail(head_r.error());
    if (!*head_r && req.pr_number) {
        // A fork's head is reachable from the base repository's refs/pull/N/head.
        std::string why = r.why;
        if (r.fetch_ref("refs/pull/" + std::to_string(*req.pr_number) + "/head"))
            head_r = std::optional<std::string>(git.resolve(req.pr_head_sha));
        r.why = why;
    }
    if (!*head_r) return unavailable(r.why);
    const std::string head = **head_r;
    std::string tip;
    std::string tip_text;
    if (req.pr_merged || req.pr_base_ref.empty()) {
        // After a merge the base branch contains the head; its recorded base is what the
        // pull request was compared with.
        TRY_SHA(recorded, r.commit(req.pr_base_sha, "the recorded base"));
        tip = recorded;
        tip_text = "the recorded base " + short_sha(recorded);
        what = (req.pr_merged ? "merged " : "") + what;
    } else {
        auto current = r.branch_tip(req.pr_base_ref);
        if (!current) return fail(current.error());
        if (*current) {
            tip = **current;
        } else {
            TRY_SHA(recorded, r.commit(req.pr_base_sha, "the recorded base"));
            tip = recorded;
        }
        tip_text = quoted(req.pr_base_ref) + " (" + short_sha(tip) + ")";
    }
    TRY_FOUND(mb, r.merge_base(tip, head));
    if (mb->state == Found::State::unrelated)
        return fail(ErrorKind::operation,
                    "paths-filter: " + what + ": the head has no history in common with " + tip_text,
                    "pass --base with a commit to compare with");
    return found(Rule::pull_request, mb->sha, head,
                 what + ": merge-base " + short_sha(mb->sha) + " of " + tip_text + " and the head " + short_sha(head));
}

Result<Resolution> resolve_merge_group(Resolver& r, const Request& req) {
    TRY_SHA(head, r.commit(req.group_head_sha, "the merge group head"));
    TRY_SHA(base, r.commit(req.group_base_sha, "the merge group base"));
    std::string into = req.group_base_ref.empty() ? std::string() : " into " + quoted(req.group_base_ref);
    return found(Rule::merge_group, base, head, "merge group" + into + ": its base " + short_sha(base));
}

bool branch_like(std::string_view rev) {
    return !rev.empty() && rev.find_first_of("~^:@ \\*?[") == std::string_view::npos && !rev.starts_with("refs/") &&
           !rev.starts_with("-");
}

Result<Resolution> resolve_explicit(Resolver& r, const Git& git, const Request& req) {
    TRY_SHA(head, run_head(r, git, req));
    const std::string& rev = req.explicit_base;
    std::string label = "--base " + quoted(rev);
    auto direct = [&](const std::string& base) {
        return found(Rule::explicit_base, base, head, label + ": that commit " + short_sha(base));
    };
    // A commit name already here (any case, short allowed) is compared with directly.
    if (is_hex(rev))
        if (auto sha = git.resolve(util::to_lower(rev))) return direct(*sha);
    // A branch: its current tip on the remote, then the merge-base, as for a pull request.
    if (branch_like(rev) && !is_full_sha(rev)) {
        auto tip = r.branch_tip(rev);
        if (!tip) return fail(tip.error());
        if (*tip) {
            TRY_FOUND(mb, r.merge_base(**tip, head));
            if (mb->state == Found::State::found)
                return found(Rule::explicit_base, mb->sha, head,
                             label + ": merge-base " + short_sha(mb->sha) + " with it");
            return found(Rule::explicit_base, **tip, head, label + ": no history in common, compared with it directly");
        }
        r.why.clear();
    }
    // Anything else git can resolve (a tag, origin/x, HEAD~3), a full commit name to fetch,
    // or a short one to look for in deeper history.
    auto base = r.revision(rev, head);
    if (!base) return fail(base.error());
    if (!*base && branch_like(rev) && r.fetch_ref("+refs/tags/" + rev + ":refs/tags/" + rev)) {
        if (auto sha = git.resolve("refs/tags/" + rev)) return direct(*sha);
    }
    if (*base) return direct(**base);
    if (is_full_sha(util::to_lower(rev)) && !r.why.empty()) return unavailable(r.why);
    return fail(ErrorKind::config, "paths-filter: " + label + " names no branch, tag or commit",
                "give a branch, a tag or a commit (a short commit name must be in the fetched history)");
}

Result<Resolution> resolve_default(Resolver& r, const Git& git, const Request& req) {
    TRY_SHA(head, run_head(r, git, req));
    std::string branch = default_branch_of(git, req);
    if (branch.empty()) return fail(no_default_branch(req));
    std::string what = req.event.empty() ? std::string("no event") : req.event;
    return merge_base_with_branch(r, Rule::default_branch, branch, head, what, "the default branch " + quoted(branch));
}

#undef TRY_SHA
#undef TRY_FOUND

} // namespace

Result<Resolution> resolve_range(const Git& git, const Request& req, const ResolveSettings& settings,
                                 const Note& note) {
    Rule rule = choose_rule(req);
    if (rule == Rule::nothing) {
        Range range;
        range.head = req.sha;
        range.reason = nothing_reason(req);
        return Resolution{range, {}};
    }
    if (!git.is_repository()) return unavailable("the working directory is not a git checkout");
    Resolver r(git, settings, note);
    if (auto ok = r.init(); !ok) return fail(ok.error());
    switch (rule) {
    case Rule::push: return resolve_push(r, git, req);
    case Rule::new_branch: return resolve_new_branch(r, git, req);
    case Rule::pull_request: return resolve_pull_request(r, git, req);
    case Rule::merge_group: return resolve_merge_group(r, req);
    case Rule::explicit_base: return resolve_explicit(r, git, req);
    case Rule::default_branch: return resolve_default(r, git, req);
    case Rule::nothing: break;
    }
    return unavailable("no rule");
}

} // namespace sbdeploy::changes
