#include "github/event.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "util/strings.hpp"

namespace sbdeploy::github {

namespace {

using rapidjson::Value;

constexpr std::string_view kPayloadHint =
    "sbdeploy reads the JSON payload the runner wrote for this event; check GITHUB_EVENT_PATH or --event-path";

// Forwards SAX events to the document and refuses nesting beyond kMaxEventDepth, so
// neither the parser (iterative) nor any later walk of the document can run out of stack.
class DepthLimit {
public:
    explicit DepthLimit(rapidjson::Document& doc) : doc_(doc) {}
    [[nodiscard]] bool too_deep() const { return too_deep_; }

    bool Null() { return doc_.Null(); }
    bool Bool(bool b) { return doc_.Bool(b); }
    bool Int(int i) { return doc_.Int(i); }
    bool Uint(unsigned u) { return doc_.Uint(u); }
    bool Int64(int64_t i) { return doc_.Int64(i); }
    bool Uint64(uint64_t u) { return doc_.Uint64(u); }
    bool Double(double d) { return doc_.Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
    bool StartObject() { return enter() && doc_.StartObject(); }
    bool EndObject(rapidjson::SizeType n) {
        --depth_;
        return doc_.EndObject(n);
    }
    bool StartArray() { return enter() && doc_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) {
        --depth_;
        return doc_.EndArray(n);
    }

private:
    bool enter() {
        if (++depth_ > kMaxEventDepth) too_deep_ = true;
        return !too_deep_;
    }
    rapidjson::Document& doc_;
    unsigned depth_ = 0;
    bool too_deep_ = false;
};

std::string at_line_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// RapidJSON's English messages in our style: lowercase, no final period.
std::string parse_error_text(rapidjson::ParseErrorCode code) {
    std::string s = rapidjson::GetParseError_En(code);
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

std::string type_name(const Value& v) {
    switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
    }
    return "a value";
}

// Typed access to payload fields. Absent and null fields read as empty; the first field
// of the wrong type is remembered as the error, named by its JSON path.
class Fields {
public:
    std::optional<Error> error;

    const Value* object(const Value& parent, const char* key, const std::string& prefix) {
        const Value* v = member(parent, key);
        if (v == nullptr) return nullptr;
        if (!v->IsObject()) return wrong(prefix + key, "an object", *v);
        return v;
    }

    std::string string(const Value& parent, const char* key, const std::string& prefix) {
        const Value* v = member(parent, key);
        if (v == nullptr) return {};
        if (!v->IsString()) return wrong(prefix + key, "a string", *v), std::string();
        return std::string(v->GetString(), v->GetStringLength());
    }

    bool boolean(const Value& parent, const char* key, const std::string& prefix) {
        const Value* v = member(parent, key);
        if (v == nullptr) return false;
        if (!v->IsBool()) return wrong(prefix + key, "a boolean", *v), false;
        return v->GetBool();
    }

    long whole(const Value& parent, const char* key, const std::string& prefix) {
        const Value* v = member(parent, key);
        if (v == nullptr) return 0;
        if (!v->IsNumber()) return wrong(prefix + key, "a number", *v), 0;
        if (!v->IsInt64() || v->GetInt64() < 0) {
            note(prefix + key + ": expected a positive whole number, got " + number_text(*v));
            return 0;
        }
        return static_cast<long>(v->GetInt64());
    }

    // A workflow_dispatch input: strings as they are, booleans and numbers as text.
    std::string input(const Value& v, const std::string& path) {
        if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
        if (v.IsBool()) return v.GetBool() ? "true" : "false";
        if (v.IsNumber()) return number_text(v);
        if (v.IsNull()) return {};
        wrong(path, "a string", v);
        return {};
    }

private:
    static const Value* member(const Value& parent, const char* key) {
        auto it = parent.FindMember(key);
        if (it == parent.MemberEnd() || it->value.IsNull()) return nullptr;
        return &it->value;
    }
    // As JSON writes it: 3, -1, 2.5, 1e300.
    static std::string number_text(const Value& v) {
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        v.Accept(writer);
        return std::string(buffer.GetString(), buffer.GetSize());
    }
    const Value* wrong(const std::string& path, const char* expected, const Value& got) {
        note(path + ": expected " + expected + ", got " + type_name(got));
        return nullptr;
    }
    void note(std::string text) {
        if (!error) error = make_error(ErrorKind::input, "event payload field " + text, std::string(kPayloadHint));
    }
};

PullRequest read_pull_request(Fields& f, const Value& pr) {
    PullRequest p;
    p.number = f.whole(pr, "number", "pull_request.");
    p.title = f.string(pr, "title", "pull_request.");
    if (const Value* user = f.object(pr, "user", "pull_request."))
        p.author = f.string(*user, "login", "pull_request.user.");
    p.draft = f.boolean(pr, "draft", "pull_request.");
    p.merged = f.boolean(pr, "merged", "pull_request.");
    p.created_at = f.string(pr, "created_at", "pull_request.");
    p.merged_at = f.string(pr, "merged_at", "pull_request.");
    p.merge_commit_sha = f.string(pr, "merge_commit_sha", "pull_request.");
    bool head_repo_known = false;
    for (const char* side : {"base", "head"}) {
        std::string prefix = std::string("pull_request.") + side + ".";
        const Value* s = f.object(pr, side, "pull_request.");
        if (s == nullptr) continue;
        bool is_base = side[0] == 'b';
        (is_base ? p.base_ref : p.head_ref) = f.string(*s, "ref", prefix);
        (is_base ? p.base_sha : p.head_sha) = f.string(*s, "sha", prefix);
        if (const Value* repo = f.object(*s, "repo", prefix)) {
            (is_base ? p.base_repo : p.head_repo) = f.string(*repo, "full_name", prefix + "repo.");
            if (!is_base) head_repo_known = true;
        }
    }
    // head.repo is null when the fork the PR came from was deleted.
    const bool head_present = pr.HasMember("head") && pr["head"].IsObject();
    p.fork = head_present && (!head_repo_known || p.head_repo != p.base_repo);
    if (auto it = pr.FindMember("labels"); it != pr.MemberEnd() && it->value.IsArray())
        for (const auto& label : it->value.GetArray())
            if (label.IsObject()) p.labels.push_back(f.string(label, "name", "pull_request.labels[]."));
    return p;
}

Event read_fields(Fields& f, const Value& root) {
    Event e;
    e.action = f.string(root, "action", "");
    e.ref = f.string(root, "ref", "");
    e.ref_type = f.string(root, "ref_type", "");
    e.before = f.string(root, "before", "");
    e.after = f.string(root, "after", "");
    e.created = f.boolean(root, "created", "");
    e.deleted = f.boolean(root, "deleted", "");
    e.forced = f.boolean(root, "forced", "");
    e.base_ref = f.string(root, "base_ref", "");
    if (const Value* repo = f.object(root, "repository", "")) {
        e.repository = f.string(*repo, "full_name", "repository.");
        e.default_branch = f.string(*repo, "default_branch", "repository.");
    }
    if (const Value* pr = f.object(root, "pull_request", "")) e.pull_request = read_pull_request(f, *pr);
    if (const Value* inputs = f.object(root, "inputs", "")) {
        for (auto it = inputs->MemberBegin(); it != inputs->MemberEnd(); ++it) {
            std::string key(it->name.GetString(), it->name.GetStringLength());
            e.inputs[key] = f.input(it->value, "inputs." + key);
        }
    }
    if (const Value* mg = f.object(root, "merge_group", "")) {
        MergeGroup m;
        m.base_sha = f.string(*mg, "base_sha", "merge_group.");
        m.head_sha = f.string(*mg, "head_sha", "merge_group.");
        m.base_ref = f.string(*mg, "base_ref", "merge_group.");
        m.head_ref = f.string(*mg, "head_ref", "merge_group.");
        e.merge_group = m;
    }
    if (const Value* wr = f.object(root, "workflow_run", "")) {
        WorkflowRun w;
        w.head_branch = f.string(*wr, "head_branch", "workflow_run.");
        w.head_sha = f.string(*wr, "head_sha", "workflow_run.");
        w.event = f.string(*wr, "event", "workflow_run.");
        w.conclusion = f.string(*wr, "conclusion", "workflow_run.");
        w.status = f.string(*wr, "status", "workflow_run.");
        e.workflow_run = w;
    }
    if (const Value* ds = f.object(root, "deployment_status", "")) {
        DeploymentStatus d;
        d.state = f.string(*ds, "state", "deployment_status.");
        d.environment = f.string(*ds, "environment", "deployment_status.");
        e.deployment_status = d;
    }
    return e;
}

std::string lower_first(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

} // namespace

std::string branch_of(std::string_view ref) {
    constexpr std::string_view prefix = "refs/heads/";
    return ref.starts_with(prefix) ? std::string(ref.substr(prefix.size())) : std::string();
}

std::string tag_of(std::string_view ref) {
    constexpr std::string_view prefix = "refs/tags/";
    return ref.starts_with(prefix) ? std::string(ref.substr(prefix.size())) : std::string();
}

std::string infer_event_name(const rapidjson::Document& payload) {
    if (!payload.IsObject()) return {};
    auto is_object = [&](const char* key) {
        auto it = payload.FindMember(key);
        return it != payload.MemberEnd() && it->value.IsObject();
    };
    auto has = [&](const char* key) { return payload.HasMember(key); };
    if (is_object("merge_group")) return "merge_group";
    if (is_object("workflow_run")) return "workflow_run";
    if (is_object("deployment_status")) return "deployment_status";
    if (is_object("pull_request")) {
        if (is_object("review")) return "pull_request_review";
        if (is_object("comment")) return "pull_request_review_comment";
        if (is_object("thread")) return "pull_request_review_thread";
        return "pull_request";
    }
    if (has("inputs") && has("workflow")) return "workflow_dispatch";
    if (has("ref") && has("before") && has("after")) return "push";
    if (has("ref_type")) return has("master_branch") ? "create" : "delete";
    return {};
}

Result<Event> parse_event(std::string_view json, std::string_view name) {
    if (json.size() > kMaxEventBytes)
        return fail(ErrorKind::input,
                    "the event payload is larger than 64 MiB (" + std::to_string(json.size()) + " bytes)",
                    std::string(kPayloadHint));
    std::size_t skipped = 0;
    if (json.starts_with("\xEF\xBB\xBF")) skipped = 3;  // a UTF-8 byte order mark
    std::string_view body = json.substr(skipped);
    if (util::trim(body).empty())
        return fail(ErrorKind::input, "the event payload is empty", std::string(kPayloadHint));
    if (auto nul = body.find('\0'); nul != std::string_view::npos)
        return fail(ErrorKind::input,
                    "the event payload is not valid JSON at " + at_line_column(json, skipped + nul) + ": a NUL byte",
                    std::string(kPayloadHint));

    auto doc = std::make_shared<rapidjson::Document>();
    rapidjson::ParseResult result;
    bool too_deep = false;
    auto generate = [&](rapidjson::Document& handler) {
        rapidjson::MemoryStream stream(body.data(), body.size());
        DepthLimit limit(handler);
        rapidjson::Reader reader;
        result = reader.Parse < rapidjson::kParseIterativeFlag |
                 rapidjson::kParseValidateEncodingFlag > (stream, limit);
        too_deep = limit.too_deep();
        return !result.IsError();
    };
    doc->Populate(generate);
    if (result.IsError()) {
        std::size_t offset = result.Offset();
        std::string where = at_line_column(json, skipped + offset);
        if (too_deep)
            return fail(ErrorKind::input,
                        "the event payload nests deeper than " + std::to_string(kMaxEventDepth) + " levels at " + where,
                        std::string(kPayloadHint));
        std::string what = offset >= body.size() ? "is truncated" : "is not valid JSON";
        return fail(ErrorKind::input,
                    "the event payload " + what + " at " + where + ": " + parse_error_text(result.Code()),
                    std::string(kPayloadHint));
    }
    if (!doc->IsObject())
        return fail(ErrorKind::input, "the event payload is not a JSON object but " + type_name(*doc),
                    std::string(kPayloadHint));

    Fields fields;
    Event event = read_fields(fields, *doc);
    if (fields.error) return fail(std::move(*fields.error));
    event.name = name.empty() ? infer_event_name(*doc) : std::string(name);
    event.document = std::move(doc);
    return event;
}

Result<Event> read_event(const std::string& path, std::string_view name) {
    auto with_file = [&](Error e) {
        e.file = path;
        return std::unexpected<Error>(std::move(e));
    };
    auto unreadable = [&](int err) {
        return with_file(make_error(ErrorKind::input,
                                    "cannot read the event payload: " + lower_first(std::strerror(err)),
                                    "set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both "
                                    "unset outside GitHub Actions"));
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return unreadable(errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st{};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) return unreadable(EISDIR);
    auto too_large = [&](std::string size) {
        return with_file(make_error(ErrorKind::input, "the event payload is larger than 64 MiB" + size,
                                    std::string(kPayloadHint)));
    };
    if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > kMaxEventBytes)
        return too_large(" (" + std::to_string(st.st_size) + " bytes)");
    // Pipes and the like: read at most one byte past the bound.
    std::string text;
    std::array<char, 65536> buffer{};
    while (text.size() <= kMaxEventBytes) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return unreadable(errno);
        if (n == 0) break;
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    if (text.size() > kMaxEventBytes) return too_large("");
    auto event = parse_event(text, name);
    if (!event) return with_file(std::move(event.error()));
    return event;
}

} // namespace sbdeploy::github
