#include "github/commit_pulls.hpp"

#include "github/api_json.hpp"

#include <rapidjson/document.h>

namespace sbdeploy::github {

namespace {

std::string repo_name(const rapidjson::Value* side) {
    if (side == nullptr) return {};
    const rapidjson::Value* repo = object_member(*side, "repo");
    return repo ? string_member(*repo, "full_name") : std::string();
}

AssociatedPull read_pull(const rapidjson::Value& p) {
    AssociatedPull a;
    if (auto it = p.FindMember("number"); it != p.MemberEnd() && it->value.IsInt64())
        a.number = static_cast<long>(it->value.GetInt64());
    const rapidjson::Value* head = object_member(p, "head");
    const rapidjson::Value* base = object_member(p, "base");
    if (head) a.head_ref = string_member(*head, "ref");
    if (base) a.base_ref = string_member(*base, "ref");
    a.merged = !string_member(p, "merged_at").empty();
    a.merge_commit_sha = string_member(p, "merge_commit_sha");
    const std::string head_repo = repo_name(head);
    a.fork = head_repo.empty() || head_repo != repo_name(base);  // head.repo is null once a fork is deleted
    if (auto it = p.FindMember("labels"); it != p.MemberEnd() && it->value.IsArray())
        for (const auto& label : it->value.GetArray())
            if (label.IsObject()) a.labels.push_back(string_member(label, "name"));
    return a;
}

} // namespace

Result<std::vector<AssociatedPull>> parse_associated_pulls(std::string_view json) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsArray())
        return fail(bad_json("the pull requests of a commit are not a JSON array"));
    std::vector<AssociatedPull> out;
    for (const auto& p : doc.GetArray()) {
        if (!p.IsObject()) return fail(bad_json("a pull request is not an object"));
        out.push_back(read_pull(p));
    }
    return out;
}

Result<std::vector<AssociatedPull>> pulls_for_commit(const Api& api, const std::string& repository,
                                                     const std::string& sha) {
    // Repository names and SHAs are [A-Za-z0-9._-/]: nothing to escape.
    auto r = api.get("/repos/" + repository + "/commits/" + sha + "/pulls?per_page=100");
    if (!r) return fail(std::move(r.error()));
    return parse_associated_pulls(r->body);
}

} // namespace sbdeploy::github
