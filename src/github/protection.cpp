#include "github/protection.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

#include "net/http.hpp"
#include "util/strings.hpp"

namespace sbdeploy::github {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Flags GET answers as {"enabled": bool} and PUT takes as booleans.
constexpr const char* kFlags[] = {
    "required_linear_history",          "allow_force_pushes", "allow_deletions",   "block_creations",
    "required_conversation_resolution", "lock_branch",        "allow_fork_syncing"};
constexpr const char* kReviewFields[] = {"dismiss_stale_reviews", "require_code_owner_reviews",
                                         "require_last_push_approval"};

const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
    if (!v.IsObject()) return nullptr;
    auto it = v.FindMember(name);
    return it == v.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::optional<bool> enabled(const rapidjson::Value& root, const char* name) {
    const auto* v = member(root, name);
    const auto* e = v ? member(*v, "enabled") : nullptr;
    return e && e->IsBool() ? std::optional<bool>(e->GetBool()) : std::nullopt;
}

void status_checks(Writer& w, const rapidjson::Value& root, const std::vector<std::string>& add) {
    const auto* current = member(root, "required_status_checks");
    const auto* strict = current ? member(*current, "strict") : nullptr;
    w.Key("required_status_checks");
    w.StartObject();
    w.Key("strict");
    w.Bool(strict && strict->IsBool() ? strict->GetBool() : true);
    w.Key("checks");
    w.StartArray();
    std::vector<std::string> seen;
    if (const auto* checks = current ? member(*current, "checks") : nullptr; checks && checks->IsArray())
        for (const auto& c : checks->GetArray()) {
            const auto* context = member(c, "context");
            if (!context || !context->IsString()) continue;
            seen.emplace_back(context->GetString());
            w.StartObject();
            w.Key("context");
            w.String(context->GetString());
            if (const auto* app = member(c, "app_id"); app && app->IsInt64()) {
                w.Key("app_id");
                w.Int64(app->GetInt64());
            }
            w.EndObject();
        }
    for (const auto& c : add) {
        if (std::find(seen.begin(), seen.end(), c) != seen.end()) continue;
        w.StartObject();
        w.Key("context");
        w.String(c);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

void reviews(Writer& w, const rapidjson::Value& root) {
    w.Key("required_pull_request_reviews");
    w.StartObject();
    const auto* current = member(root, "required_pull_request_reviews");
    const auto* count = current ? member(*current, "required_approving_review_count") : nullptr;
    w.Key("required_approving_review_count");
    w.Int(count && count->IsInt() ? count->GetInt() : 1);
    for (const char* field : kReviewFields)
        if (const auto* v = current ? member(*current, field) : nullptr; v && v->IsBool()) {
            w.Key(field);
            w.Bool(v->GetBool());
        }
    w.EndObject();
}

// GET answers restrictions as objects; PUT takes their logins and slugs.
void restrictions(Writer& w, const rapidjson::Value& root) {
    w.Key("restrictions");
    const auto* current = member(root, "restrictions");
    if (!current) {
        w.Null();
        return;
    }
    w.StartObject();
    for (auto [list, key] : {std::pair{"users", "login"}, std::pair{"teams", "slug"}, std::pair{"apps", "slug"}}) {
        w.Key(list);
        w.StartArray();
        if (const auto* items = member(*current, list); items && items->IsArray())
            for (const auto& item : items->GetArray())
                if (const auto* name = member(item, key); name && name->IsString()) w.String(name->GetString());
        w.EndArray();
    }
    w.EndObject();
}

std::string encoded_branch(std::string_view branch) {
    std::string out;
    for (unsigned char c : branch) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string github_message(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    const auto* m = doc.HasParseError() ? nullptr : member(doc, "message");
    return m && m->IsString() ? std::string(m->GetString()) : std::string();
}

Result<net::Response> send(const ProtectionSettings& s, const std::string& method, const std::string& path,
                           const std::string& body) {
    net::Request request;
    request.method = method;
    request.url = s.api_url + path;
    request.headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
    if (!s.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + s.token);
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
    request.timeout = s.timeout;
    auto outcome = net::perform(request);
    if (!outcome.response) {
        Error e = outcome.response.error();
        e.message = "github api: " + e.message;
        e.hint = "check GITHUB_API_URL (" + s.api_url + ") and the network";
        return fail(std::move(e));
    }
    return std::move(*outcome.response);
}

Error api_error(const std::string& what, const net::Response& r, const std::string& branch) {
    std::string message = github_message(r.body);
    std::string said = message.empty() ? std::string() : " (" + util::replace_all(message, "\n\n", ": ") + ")";
    std::string hint;
    if (r.status == 401) hint = "the token is not accepted: pass a valid one with --token or GITHUB_TOKEN";
    if (r.status == 403)
        hint = "the token needs administration write on the repository (a fine-grained token's \"Administration: "
               "Read and write\", or a classic token with repo scope; a workflow's GITHUB_TOKEN cannot); private "
               "repositories need GitHub Pro, Team or Enterprise for branch protection";
    if (r.status == 404)
        hint = message == "Branch not found" ? "push the branch first: git push origin " + branch
                                             : "check --repo, and that the token can see the repository";
    return make_error(ErrorKind::connection, what + ": HTTP " + std::to_string(r.status) + said, hint);
}

} // namespace

Result<std::string> protection_body(std::string_view current, const std::vector<std::string>& checks) {
    rapidjson::Document doc;
    doc.SetObject();
    if (!current.empty()) {
        doc.Parse(current.data(), current.size());
        if (doc.HasParseError() || !doc.IsObject())
            return fail(ErrorKind::input, "github api: the branch protection GitHub answered is not a JSON object");
    }
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    status_checks(w, doc, checks);
    w.Key("enforce_admins");
    w.Bool(enabled(doc, "enforce_admins").value_or(false));
    reviews(w, doc);
    restrictions(w, doc);
    for (const char* flag : kFlags)
        if (auto v = enabled(doc, flag)) {
            w.Key(flag);
            w.Bool(*v);
        }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

Result<ProtectionRequest> plan_protection(const ProtectionSettings& s, const std::string& branch,
                                          const std::vector<std::string>& checks) {
    ProtectionRequest request;
    request.branch = branch;
    request.path = "/repos/" + s.repository + "/branches/" + encoded_branch(branch) + "/protection";
    auto r = send(s, "GET", request.path, "");
    if (!r) return fail(r.error());
    std::string current;
    if (r->status == 200) {
        current = r->body;
        request.was_protected = true;
    } else if (!(r->status == 404 && github_message(r->body) == "Branch not protected")) {
        return fail(api_error("github api: GET " + request.path, *r, branch));
    }
    auto body = protection_body(current, checks);
    if (!body) return fail(body.error());
    request.body = std::move(*body);
    return request;
}

Result<void> apply_protection(const ProtectionSettings& s, const ProtectionRequest& request) {
    auto r = send(s, "PUT", request.path, request.body);
    if (!r) return fail(r.error());
    if (r->status != 200) return fail(api_error("github api: PUT " + request.path, *r, request.branch));
    return {};
}

} // namespace sbdeploy::github
