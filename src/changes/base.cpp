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

} // namespace sbdeploy::changes
