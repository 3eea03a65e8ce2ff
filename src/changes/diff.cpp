#include "changes/diff.hpp"

#include <charconv>

#include "util/strings.hpp"

namespace sbdeploy::changes {

std::string_view status_name(Status s) {
    switch (s) {
    case Status::added: return "added";
    case Status::modified: return "modified";
    case Status::deleted: return "deleted";
    case Status::renamed: return "renamed";
    case Status::copied: return "copied";
    case Status::type_changed: return "type_changed";
    case Status::mode_changed: return "mode_changed";
    }
    return "modified";
}

bool existed_on_base(const Change& c) { return c.status != Status::added && c.status != Status::copied; }

const std::string& base_path(const Change& c) { return c.status == Status::renamed ? c.old_path : c.path; }

namespace {

Error malformed(std::string_view out, std::size_t at, std::string_view what) {
    std::string excerpt(out.substr(at, 60));
    for (auto& ch : excerpt)
        if (ch == '\0') ch = ' ';
    return make_error(ErrorKind::io, "git diff: unexpected output at byte " + std::to_string(at) + " (" +
                                         std::string(what) + "): " + util::quoted(excerpt),
                      "this git is not one sbdeploy knows; run with --verbose and report it");
}

// The next NUL-terminated field from `pos`; false at a missing terminator.
bool field(std::string_view out, std::size_t& pos, std::string_view& value) {
    auto nul = out.find('\0', pos);
    if (nul == std::string_view::npos) return false;
    value = out.substr(pos, nul - pos);
    pos = nul + 1;
    return true;
}

} // namespace

Result<std::vector<Change>> parse_raw_diff(std::string_view out) {
    std::vector<Change> changes;
    // A raw record with full object names is ~100 bytes plus the path.
    changes.reserve(out.size() / 120 + 1);
    std::size_t pos = 0;
    while (pos < out.size()) {
        std::size_t start = pos;
        std::string_view header;
        if (out[pos] != ':' || !field(out, pos, header)) return fail(malformed(out, start, "a record starts with \":\""));
        // ":old_mode new_mode old_sha new_sha STATUS[score]"
        auto parts = util::split(header.substr(1), ' ');
        if (parts.size() != 5 || parts[4].empty()) return fail(malformed(out, start, "five header fields"));
        Change c;
        c.old_mode = parts[0];
        c.new_mode = parts[1];
        char letter = parts[4][0];
        std::string_view score = std::string_view(parts[4]).substr(1);
        if (!score.empty()) std::from_chars(score.data(), score.data() + score.size(), c.similarity);
        std::string_view p1, p2;
        if (!field(out, pos, p1) || p1.empty()) return fail(malformed(out, start, "a path after the header"));
        switch (letter) {
        case 'A': c.status = Status::added; break;
        case 'D': c.status = Status::deleted; break;
        case 'T': c.status = Status::type_changed; break;
        case 'M':
            c.status = c.old_mode != c.new_mode && parts[2] == parts[3] ? Status::mode_changed : Status::modified;
            break;
        case 'R':
        case 'C':
            if (!field(out, pos, p2) || p2.empty()) return fail(malformed(out, start, "a second path"));
            c.status = letter == 'R' ? Status::renamed : Status::copied;
            c.old_path = std::string(p1);
            p1 = p2;
            break;
        default: return fail(malformed(out, start, "a known status letter"));
        }
        c.path = std::string(p1);
        changes.push_back(std::move(c));
    }
    return changes;
}

} // namespace sbdeploy::changes
