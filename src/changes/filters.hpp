// paths-filter's filters: dorny/paths-filter v3's YAML (named filters of globs, `!`
// negations, anchors, `added|modified: glob` change types) or a bare glob list (one unnamed
// filter, src/util/glob.hpp's ordered lines), matched against changes as dorny reports them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "changes/diff.hpp"
#include "util/error.hpp"
#include "util/glob.hpp"

namespace sbdeploy::changes {

// dorny's predicate-quantifier: a file matches a filter when some (default) or every rule
// of it matches.
enum class Quantifier { some, every };
std::optional<Quantifier> parse_quantifier(std::string_view text);

// A changed file as dorny sees it (git diff --no-renames): a rename is its new path
// "added" and its old path "deleted"; statuses added, copied, deleted, modified, renamed,
// unmerged.
struct FileChange {
    std::string filename;
    std::string status;
};
// In filename order, as `git diff --no-renames` lists them.
std::vector<FileChange> dorny_files(const std::vector<Change>& changes);
std::vector<FileChange> dorny_files(const Change& change);

// One item of a filter: a picomatch glob (dot: true; a leading "!" negates it) with the
// change types it is limited to (empty: any).
struct FilterRule {
    std::vector<std::string> statuses;
    bool negated = false;
    util::Glob glob;
    std::string pattern;  // as written
};

struct NamedFilter {
    std::string name;
    std::vector<FilterRule> rules;
};

struct Filters {
    enum class Form { globs, dorny };
    Form form = Form::globs;
    std::vector<NamedFilter> named;       // dorny
    std::optional<util::GlobList> globs;  // globs: the one filter, named `globs_name`
    std::string globs_name = "migrations";
    Quantifier quantifier = Quantifier::some;

    // The filter `index` (of names()) selects this file.
    [[nodiscard]] bool matches(std::size_t index, const FileChange& file) const;
    // Ignoring change types: whether the filter could select a file at this path.
    [[nodiscard]] bool matches_path(std::size_t index, std::string_view path) const;
    // Any filter selects some file of the change (kept for the union outputs).
    [[nodiscard]] bool selects(const Change& change) const;
    [[nodiscard]] std::vector<std::string> names() const;
    // For people: "migrations: supabase/migrations/**; docs: !*.md".
    [[nodiscard]] std::string describe() const;
};

// Whether `text` is dorny's YAML (a mapping of filter names) rather than glob lines.
// A YAML list without a name, or text that is clearly meant as YAML but does not parse,
// is a config error saying where.
Result<bool> is_dorny_yaml(std::string_view text, std::string_view source);

// dorny's YAML. `source` names it in errors ("filters", or the file's path).
Result<Filters> parse_dorny_filters(std::string_view text, std::string_view source, Quantifier quantifier);

}  // namespace sbdeploy::changes
