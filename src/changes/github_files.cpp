#include "changes/github_files.hpp"

#include <rapidjson/document.h>

#include <cctype>

#include "github/api_json.hpp"
#include "util/strings.hpp"

namespace sbdeploy::changes {

namespace {

using github::bad_json;
using github::string_member;

// Percent-encodes all but unreserved characters and "/" (refs such as feature/x).
std::string path_escape(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string r;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            r.push_back(ch);
        } else {
            r.push_back('%');
            r.push_back(hex[c >> 4]);
            r.push_back(hex[c & 15]);
        }
    }
    return r;
}

Result<void> append_files(const rapidjson::Value& files, std::vector<Change>& out) {
    if (!files.IsArray()) return fail(bad_json("\"files\" is not an array"));
    for (const auto& f : files.GetArray()) {
        if (!f.IsObject()) return fail(bad_json("a file entry is not an object"));
        Change c;
        c.path = string_member(f, "filename");
        std::string status = string_member(f, "status");
        if (c.path.empty()) return fail(bad_json("a file entry has no \"filename\""));
        if (status == "added") {
            c.status = Status::added;
        } else if (status == "removed") {
            c.status = Status::deleted;
        } else if (status == "modified") {
            c.status = Status::modified;
        } else if (status == "renamed" || status == "copied") {
            c.status = status == "renamed" ? Status::renamed : Status::copied;
            c.old_path = string_member(f, "previous_filename");
            if (c.old_path.empty()) return fail(bad_json("a renamed file has no \"previous_filename\""));
        } else if (status == "changed") {
            c.status = Status::type_changed;  // GitHub's "changed": the mode or type only
        } else if (status == "unchanged") {
            continue;
        } else {
            return fail(bad_json("unknown file status " + util::quoted(status)));
        }
        out.push_back(std::move(c));
    }
    return {};
}

} // namespace

Result<void> parse_api_files(std::string_view json, std::vector<Change>& out) {
    rapidjson::Document doc;
    doc.Parse(json.data(), json.size());
    if (doc.HasParseError()) return fail(bad_json("not JSON"));
    if (doc.IsArray()) return append_files(doc, out);
    if (doc.IsObject()) {
        auto it = doc.FindMember("files");
        if (it == doc.MemberEnd()) return {};  // a comparison without changes
        return append_files(it->value, out);
    }
    return fail(bad_json("neither an array nor an object"));
}

Result<ApiFiles> pull_request_files(const github::Api& api, const std::string& repository, long number) {
    ApiFiles result;
    result.cap = kPullFilesCap;
    constexpr int kPerPage = 100;
    constexpr int kMaxPages = static_cast<int>(kPullFilesCap) / kPerPage;
    bool more = false;
    auto pages = api.get_pages(
        "/repos/" + path_escape(repository) + "/pulls/" + std::to_string(number) +
            "/files?per_page=" + std::to_string(kPerPage),
        kMaxPages, [&](const github::ApiResponse& r) { return parse_api_files(r.body, result.changes); }, &more);
    if (!pages) return fail(pages.error());
    result.capped = more || result.changes.size() >= kPullFilesCap;
    return result;
}

Result<ApiFiles> compare_files(const github::Api& api, const std::string& repository, const std::string& base,
                               const std::string& head) {
    ApiFiles result;
    result.cap = kCompareFilesCap;
    // per_page=1 keeps the commit list short; the files come whole on the first page.
    auto r = api.get("/repos/" + path_escape(repository) + "/compare/" + path_escape(base) + "..." + path_escape(head) +
                     "?per_page=1");
    if (!r) return fail(r.error());
    rapidjson::Document doc;
    doc.Parse(r->body.c_str(), r->body.size());
    if (doc.HasParseError() || !doc.IsObject()) return fail(bad_json("the comparison is not a JSON object"));
    auto mb = doc.FindMember("merge_base_commit");
    if (mb != doc.MemberEnd() && mb->value.IsObject()) result.base = string_member(mb->value, "sha");
    if (auto ok = parse_api_files(r->body, result.changes); !ok) return fail(ok.error());
    result.capped = result.changes.size() >= kCompareFilesCap;
    return result;
}

} // namespace sbdeploy::changes
