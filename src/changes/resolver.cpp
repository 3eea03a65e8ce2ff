// Looking commits up for the base rules, fetching what a shallow checkout lacks: single
// commits one deep, branch tips brought up to date, history deepened step by step (16, 32, 64
// ... commits) within --fetch-limit. Each failure to look something up leaves its reason in
// `why` for the API fallback to show.
#include "changes/resolver.hpp"

#include <algorithm>
#include <cctype>

#include "util/strings.hpp"

namespace sbdeploy::changes::detail {

using util::quoted;

bool is_hex(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool is_full_sha(std::string_view s) { return (s.size() == 40 || s.size() == 64) && is_hex(s); }

Result<void> Resolver::init() {
    auto shallow = git_.is_shallow();
    if (!shallow) return fail(shallow.error());
    shallow_ = *shallow;
    return {};
}

bool Resolver::fetch_ref(const std::string& refspec) {
    if (!can_fetch()) return false;
    auto fetched = git_.fetch({refspec}, new_ref_depth());
    if (!fetched) {
        why = "cannot fetch " + quoted(refspec) + ": " + fetched.error().message;
        return false;
    }
    note_("fetched " + refspec);
    return true;
}

Result<std::optional<std::string>> Resolver::commit(const std::string& sha, std::string_view what) {
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

Result<std::optional<std::string>> Resolver::branch_tip(const std::string& name) {
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

Result<bool> Resolver::deepen(const std::vector<std::string>& tips) {
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

Result<Found> Resolver::merge_base(const std::string& a, const std::string& b) {
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

Result<std::optional<std::string>> Resolver::revision(const std::string& rev, const std::string& head) {
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

} // namespace sbdeploy::changes::detail
