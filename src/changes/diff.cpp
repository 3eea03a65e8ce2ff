#include "changes/diff.hpp"

#include <array>
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

Error malformed(std::size_t offset, std::string_view record, std::string_view what) {
    std::string excerpt(record.substr(0, 60));
    for (auto& ch : excerpt)
        if (ch == '\0') ch = ' ';
    return make_error(ErrorKind::io,
                      "git diff: unexpected output at byte " + std::to_string(offset) + " (" + std::string(what) +
                          "): " + util::quoted(excerpt),
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

// "old_mode new_mode old_sha new_sha STATUS[score]" (after the ":") as five fields.
bool header_fields(std::string_view header, std::array<std::string_view, 5>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto space = header.find(' ');
        if ((space == std::string_view::npos) != (i == parts.size() - 1)) return false;
        parts[i] = header.substr(0, space);
        if (space != std::string_view::npos) header.remove_prefix(space + 1);
    }
    return !parts[4].empty();
}

} // namespace

RawDiffReader::Step RawDiffReader::read_record(std::string_view data, std::size_t& pos, bool final) {
    const std::size_t start = pos;
    auto bad = [&](std::string_view what) {
        error_ = malformed(consumed_ + start, data.substr(start), what);
        return Step::bad;
    };
    // A field not yet terminated: more may come, unless this is the end.
    auto missing = [&](std::string_view what) { return final ? bad(what) : Step::more; };
    std::size_t p = pos;
    std::string_view header;
    if (data[p] != ':') return bad("a record starts with \":\"");
    if (!field(data, p, header)) return missing("a record starts with \":\"");
    std::array<std::string_view, 5> parts;
    if (!header_fields(header.substr(1), parts)) return bad("five header fields");
    std::string_view p1, p2;
    if (!field(data, p, p1)) return missing("a path after the header");
    if (p1.empty()) return bad("a path after the header");
    Change& c = change_;
    char letter = parts[4][0];
    switch (letter) {
    case 'A': c.status = Status::added; break;
    case 'D': c.status = Status::deleted; break;
    case 'T': c.status = Status::type_changed; break;
    case 'M': c.status = parts[0] != parts[1] && parts[2] == parts[3] ? Status::mode_changed : Status::modified; break;
    case 'R':
    case 'C':
        if (!field(data, p, p2)) return missing("a second path");
        if (p2.empty()) return bad("a second path");
        c.status = letter == 'R' ? Status::renamed : Status::copied;
        break;
    default: return bad("a known status letter");
    }
    c.old_mode.assign(parts[0]);
    c.new_mode.assign(parts[1]);
    c.similarity = 0;
    std::string_view score = parts[4].substr(1);
    if (!score.empty()) std::from_chars(score.data(), score.data() + score.size(), c.similarity);
    if (p2.data() != nullptr) {
        c.old_path.assign(p1);
        c.path.assign(p2);
    } else {
        c.old_path.clear();
        c.path.assign(p1);
    }
    pos = p;
    return Step::record;
}

std::size_t RawDiffReader::read_records(std::string_view data, bool final) {
    std::size_t pos = 0;
    while (pos < data.size() && !error_) {
        Step step = read_record(data, pos, final);
        if (step != Step::record) break;
        sink_(change_);
    }
    return pos;
}

void RawDiffReader::feed(std::string_view piece) {
    if (error_ || piece.empty()) return;
    if (!pending_.empty()) {
        // Finish the record split across pieces. A record has at most three NUL-terminated
        // fields, so the piece up to its third NUL holds the rest of it; only that is copied.
        std::size_t take = piece.size();
        std::size_t at = 0;
        for (int nuls = 0; nuls < 3; ++nuls) {
            auto nul = piece.find('\0', at);
            if (nul == std::string_view::npos) break;
            at = nul + 1;
            if (nuls == 2) take = at;
        }
        const std::size_t had = pending_.size();
        pending_.append(piece.substr(0, take));
        std::size_t used = read_records(pending_, false);
        consumed_ += used;
        if (error_) return;
        if (used < had) {
            // Still not whole (the piece has fewer than three NULs): keep it all.
            pending_.erase(0, used);
            pending_.append(piece.substr(take));
            return;
        }
        // The split record is read; the rest of the piece is read where it is.
        piece.remove_prefix(used - had);
        pending_.clear();
    }
    std::size_t used = read_records(piece, false);
    pending_.assign(piece.substr(used));
    consumed_ += used;
}

Result<void> RawDiffReader::finish() {
    if (!error_ && !pending_.empty()) {
        std::size_t used = read_records(pending_, true);
        pending_.erase(0, used);
        consumed_ += used;
    }
    if (error_) return fail(*error_);
    return {};
}

Result<std::vector<Change>> parse_raw_diff(std::string_view out) {
    std::vector<Change> changes;
    RawDiffReader reader([&](const Change& c) { changes.push_back(c); });
    reader.feed(out);
    if (auto done = reader.finish(); !done) return fail(done.error());
    return changes;
}

} // namespace sbdeploy::changes
