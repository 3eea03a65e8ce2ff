#include "changes/base.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "util/strings.hpp"

namespace sbdeploy::changes {

using util::quoted;

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

Request make_request(const github::RunFacts& facts, const github::Event& event, std::string explicit_base) {
    Request r;
    r.event = facts.event;
    r.ref = facts.ref;
    r.branch = facts.branch;
    r.deleted = facts.deleted;
    r.sha = facts.sha;
    r.default_branch = event.default_branch;
    r.repository = facts.repository;
    r.explicit_base = std::move(explicit_base);
    if (facts.event == "push") {
        r.before = event.before;
        r.after = event.after.empty() || github::is_null_sha(event.after) ? facts.sha : event.after;
        r.deleted = r.deleted || github::is_null_sha(event.after);
        r.forced = event.forced;
        if (event.document && event.document->IsObject()) {
            auto it = event.document->FindMember("forced");
            r.fast_forward = it != event.document->MemberEnd() && it->value.IsFalse();
        }
    }
    if (event.pull_request) {
        r.pr_number = facts.pr_number;
        r.pr_base_ref = event.pull_request->base_ref;
        r.pr_base_sha = event.pull_request->base_sha;
        r.pr_head_sha = event.pull_request->head_sha;
        r.pr_merged = event.pull_request->merged;
    }
    if (event.merge_group) {
        r.group_base_ref = facts.base_ref;
        r.group_base_sha = event.merge_group->base_sha;
        r.group_head_sha = event.merge_group->head_sha;
    }
    return r;
}

std::string_view rule_name(Rule r) {
    switch (r) {
    case Rule::nothing: return "nothing";
    case Rule::push: return "push";
    case Rule::new_branch: return "new_branch";
    case Rule::pull_request: return "pull_request";
    case Rule::merge_group: return "merge_group";
    case Rule::explicit_base: return "explicit_base";
    case Rule::default_branch: return "default_branch";
    }
    return "nothing";
}

Rule choose_rule(const Request& req) {
    if (!req.explicit_base.empty()) return Rule::explicit_base;
    if (req.event == "push") {
        if (req.ref.starts_with("refs/tags/") || req.deleted) return Rule::nothing;
        if (req.before.empty()) return Rule::default_branch;  // no payload
        return github::is_null_sha(req.before) ? Rule::new_branch : Rule::push;
    }
    if (!req.pr_head_sha.empty()) return Rule::pull_request;
    if (req.event == "merge_group" && !req.group_base_sha.empty() && !req.group_head_sha.empty())
        return Rule::merge_group;
    if (req.event == "delete") return Rule::nothing;
    return Rule::default_branch;
}

std::string nothing_reason(const Request& req) {
    if (req.ref.starts_with("refs/tags/")) return "push of tag " + quoted(req.ref.substr(10)) + ": nothing to compare";
    std::string what = req.event == "delete" ? "deletion" : "deletion of branch " + quoted(req.branch);
    return what + ": nothing to compare";
}

std::vector<std::string> commits_to_check(const Request& req) {
    std::vector<std::string> shas;
    auto add = [&](const std::string& sha) {
        if (!sha.empty() && !github::is_null_sha(sha)) shas.push_back(sha);
    };
    switch (choose_rule(req)) {
    case Rule::nothing: break;
    case Rule::push:
        add(req.after);
        add(req.before);
        break;
    case Rule::new_branch: add(req.after); break;
    case Rule::pull_request:
        add(req.pr_head_sha);
        if (req.pr_merged || req.pr_base_ref.empty()) add(req.pr_base_sha);
        break;
    case Rule::merge_group:
        add(req.group_head_sha);
        add(req.group_base_sha);
        break;
    case Rule::explicit_base:
    case Rule::default_branch: add(req.sha); break;
    }
    return shas;
}

ApiQuery api_query(const Request& req, Rule rule) {
    ApiQuery q;
    auto compare = [&](std::string base, std::string head) {
        if (base.empty() || head.empty()) return;
        q.kind = ApiQuery::Kind::compare;
        q.base = std::move(base);
        q.head = std::move(head);
    };
    switch (rule) {
    case Rule::nothing: break;
    case Rule::push: compare(req.before, req.after); break;
    case Rule::new_branch: compare(req.default_branch, req.after); break;
    case Rule::pull_request:
        if (req.pr_number) {
            q.kind = ApiQuery::Kind::pull_files;
            q.number = *req.pr_number;
        }
        break;
    case Rule::merge_group: compare(req.group_base_sha, req.group_head_sha); break;
    case Rule::explicit_base: compare(req.explicit_base, req.sha); break;
    case Rule::default_branch: compare(req.default_branch, req.sha); break;
    }
    return q;
}

namespace {

bool is_hex(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool is_full_sha(std::string_view s) { return (s.size() == 40 || s.size() == 64) && is_hex(s); }

// One merge-base lookup's outcome.
struct Found {
    enum class State { found, unrelated, unavailable };
    State state = State::unavailable;
    std::string sha;
};

// Applies the rules to one repository. Every "unavailable" leaves its reason in `why`.
class Resolver {
public:
    Resolver(const Git& git, const ResolveSettings& settings, const Note& note)
        : git_(git), settings_(settings), note_(note) {}

    Result<void> init() {
        auto shallow = git_.is_shallow();
        if (!shallow) return fail(shallow.error());
        shallow_ = *shallow;
        return {};
    }

    // Asked only when something must be fetched (one git process less otherwise).
    bool remote() const { return git_.has_remote(); }
    bool can_fetch() const { return (settings_.fetch_limit > 0 || settings_.unlimited) && remote(); }
    bool shallow() const { return shallow_; }

    // Fetching a commit this repository has none of: in a shallow clone only that commit
    // (a plain fetch would bring its whole history), else as git would.
    FetchDepth new_ref_depth() const { return shallow_ ? FetchDepth{FetchDepth::Kind::depth, 1} : FetchDepth{}; }

    // Fetches a ref such as refs/pull/7/head; false (with `why`) when it cannot.
    bool fetch_ref(const std::string& refspec) {
        if (!can_fetch()) return false;
        auto fetched = git_.fetch({refspec}, new_ref_depth());
        if (!fetched) {
            why = "cannot fetch " + quoted(refspec) + ": " + fetched.error().message;
            return false;
        }
        note_("fetched " + refspec);
        return true;
    }

    // A commit by its full name: present, or fetched (one commit deep in a shallow clone).
    Result<std::optional<std::string>> commit(const std::string& sha, std::string_view what) {
        if (auto have = git_.resolve(sha)) return have;
        if (!can_fetch()) {
            why = std::string(what) + " " + short_sha(sha) + " is not in the checkout" +
                  (remote() ? " and fetching is off (--fetch-limit 0)" : " and there is no remote to fetch it from");
            return std::optional<std::string>();
        }
        auto fetched = git_.fetch({sha}, new_ref_depth());
        if (!fetched) {
            why = "cannot fetch " + std::string(what) + " " + short_sha(sha) + ": " + fetched.error().message;
            return std::optional<std::string>();
        }
        note_("fetched " + std::string(what) + " " + short_sha(sha));
        if (auto have = git_.resolve(sha)) return have;
        why = "fetched " + std::string(what) + " " + short_sha(sha) + " but it is not a commit";
        return std::optional<std::string>();
    }

    // The current tip of a branch of the remote (fetched, so it is not stale), else the
    // remote-tracking or local branch already here.
    Result<std::optional<std::string>> branch_tip(const std::string& name) {
        std::string tracking = "refs/remotes/" + git_.settings().remote + "/" + name;
        if (can_fetch()) {
            // A branch already here is brought up to date; a new one comes one commit deep.
            auto fetched = git_.fetch({"+refs/heads/" + name + ":" + tracking},
                                      git_.resolve(tracking) ? FetchDepth{} : new_ref_depth());
            if (fetched)
                note_("fetched the tip of " + quoted(name));
            else
                why = "cannot fetch branch " + quoted(name) + ": " + fetched.error().message;
        }
        for (const auto& ref : {tracking, "refs/heads/" + name})
            if (auto sha = git_.resolve(ref)) return sha;
        if (why.empty())
            why = "branch " + quoted(name) + " is not in the checkout" + (remote() ? "" : " and there is no remote");
        return std::optional<std::string>();
    }

    // Fetches the history behind `tips` one step deeper (16, 32, 64 ... commits from each
    // tip, at most the limit); false when it cannot. The depth counts from the tips
    // (--depth), not from the shallow boundary (--deepen): a server does not deepen
    // behind a commit no branch reaches any more, such as a force push's previous tip.
    Result<bool> deepen(const std::vector<std::string>& tips) {
        if (!shallow_) return false;
        if (!remote()) {
            why = "the checkout is shallow and there is no remote to fetch history from";
            return false;
        }
        FetchDepth depth;
        if (settings_.unlimited) {
            depth = {FetchDepth::Kind::unshallow, 0};
        } else {
            if (depth_ >= settings_.fetch_limit) {
                why = settings_.fetch_limit == 0
                          ? std::string("the checkout is shallow and fetching is off (--fetch-limit 0)")
                          : "the base is not within " + std::to_string(settings_.fetch_limit) +
                                " commits of history (--fetch-limit)";
                return false;
            }
            depth_ = std::min(depth_ == 0 ? settings_.first_depth : depth_ * 2, settings_.fetch_limit);
            depth = {FetchDepth::Kind::depth, depth_};
        }
        auto fetched = git_.fetch(tips, depth);
        if (!fetched) {
            why = "cannot deepen the shallow history: " + fetched.error().message;
            return false;
        }
        if (depth.kind == FetchDepth::Kind::unshallow)
            note_("fetched the whole history");
        else
            note_("fetched " + std::to_string(depth_) + " commits of history (at most " +
                  std::to_string(settings_.fetch_limit) + ")");
        auto shallow = git_.is_shallow();
        if (!shallow) return fail(shallow.error());
        shallow_ = *shallow;
        return true;
    }

    Result<Found> merge_base(const std::string& a, const std::string& b) {
        for (;;) {
            auto mb = git_.merge_base(a, b);
            if (!mb) return fail(mb.error());
            if (*mb) return Found{Found::State::found, **mb};
            if (!shallow_) return Found{Found::State::unrelated, {}};
            auto more = deepen({a, b});
            if (!more) return fail(more.error());
            if (!*more) return Found{};
        }
    }

    // A revision that may be short or any case: resolved here, fetched when it is a full
    // commit name, or looked for in deeper history behind `head`.
    Result<std::optional<std::string>> revision(const std::string& rev, const std::string& head) {
        std::string lowered = is_hex(rev) ? util::to_lower(rev) : rev;
        for (;;) {
            if (auto sha = git_.resolve(lowered)) return sha;
            if (lowered != rev)
                if (auto sha = git_.resolve(rev)) return sha;
            if (is_full_sha(lowered)) return commit(lowered, "the base");
            if (!is_hex(lowered)) return std::optional<std::string>();
            auto more = deepen({head});
            if (!more) return fail(more.error());
            if (!*more) return std::optional<std::string>();
        }
    }

    std::string why;

private:
    const Git& git_;
    const ResolveSettings& settings_;
    const Note& note_;
    bool shallow_ = false;
    long depth_ = 0;  // of the last history fetch
};

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

#define TRY_SHA(var, expr)                           \
    auto var##_r = (expr);                           \
    if (!var##_r) return fail(var##_r.error());      \
    if (!*var##_r) return unavailable(r.why);        \
    const std::string var = **var##_r;

#define TRY_FOUND(var, expr)                                                 \
    auto var = (expr);                                                       \
    if (!var) return fail(var.error());                                      \
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
        return fail(ErrorKind::operation, "paths-filter: " + what + ": the head has no history in common with " + tip_text,
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
                return found(Rule::explicit_base, mb->sha, head, label + ": merge-base " + short_sha(mb->sha) + " with it");
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

Result<Resolution> resolve_range(const Git& git, const Request& req, const ResolveSettings& settings, const Note& note) {
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
