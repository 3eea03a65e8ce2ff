// A changed path between two commits, as `git diff --raw -z` or the GitHub API reports
// it, and the parser of git's raw -z output (NUL-separated, so any byte but NUL and "/"
// can appear in a path: spaces, quotes, newlines, non-ASCII).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::changes {

enum class Status { added, modified, deleted, renamed, copied, type_changed, mode_changed };

// "added", "modified", "deleted", "renamed", "copied", "type_changed", "mode_changed".
std::string_view status_name(Status s);

struct Change {
    Status status = Status::modified;
    std::string path;      // the path in head; a deleted file's path in base
    std::string old_path;  // renamed and copied: the path in base
    std::string old_mode;  // octal as git prints it ("100644"); empty from the API
    std::string new_mode;
    int similarity = 0;    // renamed and copied: git's score, 0-100
};

// The change touches a file that exists on the base: modified, deleted, renamed, type
// or mode changed. Added and copied files are new.
bool existed_on_base(const Change& c);

// The path on the base: old_path for renames, path otherwise.
const std::string& base_path(const Change& c);

// Which changes a caller keeps (an empty function keeps all); the rest are only counted.
using Keep = std::function<bool(const Change&)>;

// Reads the output of `git diff --raw -z [-M]` piece by piece as it arrives (a record may
// be split anywhere), so a diff of any size is read in constant memory. Each whole record
// goes to the sink as a Change the reader reuses (copy it to keep it). A modification that
// only changes the mode is mode_changed; one that changes the content (and maybe the mode)
// is modified. Malformed output is an io error quoting where it went wrong; after one,
// the rest is ignored.
class RawDiffReader {
public:
    using Sink = std::function<void(const Change&)>;
    explicit RawDiffReader(Sink sink) : sink_(std::move(sink)) {}

    void feed(std::string_view piece);
    // The end of the output: the first error, or bytes left that are no whole record.
    [[nodiscard]] Result<void> finish();

private:
    enum class Step { record, more, bad };
    // Reads whole records of `data` from `pos`; returns where the first incomplete one starts.
    std::size_t read_records(std::string_view data, bool final);
    Step read_record(std::string_view data, std::size_t& pos, bool final);

    Sink sink_;
    Change change_;
    std::string pending_;       // the start of a record split across pieces
    std::size_t consumed_ = 0;  // bytes before pending_ (error positions count from the start)
    std::optional<Error> error_;
};

// The whole output at once: every change, in order.
Result<std::vector<Change>> parse_raw_diff(std::string_view out);

} // namespace sbdeploy::changes
