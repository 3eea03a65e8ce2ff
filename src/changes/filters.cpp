#include "changes/filters.hpp"

#include <yaml-cpp/yaml.h>
#include <algorithm>

#include "util/strings.hpp"

namespace sbdeploy::changes {

namespace {

using util::quoted;

// dorny's ChangeStatus values (src/file.ts).
constexpr std::string_view kStatuses[] = {"added", "copied", "deleted", "modified", "renamed", "unmerged"};
// Aliases can nest lists in lists; deeper than this is a cycle or a mistake.
constexpr int kMaxDepth = 64;

std::string where(std::string_view source, const YAML::Mark& mark) {
    std::string s(source);
    if (!mark.is_null()) s += " line " + std::to_string(mark.line + 1);
    return s;
}

std::string_view status_of(Status s) {
    switch (s) {
    case Status::added:
    case Status::copied: return "added";  // --no-renames finds no copies
    case Status::deleted: return "deleted";
    case Status::renamed: return "renamed";
    // git's T has no dorny status; a type or mode change is an edit of the file.
    case Status::modified:
    case Status::type_changed:
    case Status::mode_changed: return "modified";
    }
    return "modified";
}

bool rule_matches(const FilterRule& r, std::string_view path) { return r.glob.matches(path) != r.negated; }

bool status_matches(const FilterRule& r, std::string_view status) {
    return r.statuses.empty() || std::find(r.statuses.begin(), r.statuses.end(), status) != r.statuses.end();
}

Result<FilterRule> make_rule(const YAML::Node& node, std::vector<std::string> statuses, const std::string& context) {
    const std::string& pattern = node.Scalar();
    FilterRule r;
    r.statuses = std::move(statuses);
    r.pattern = pattern;
    // picomatch: each leading "!" (not "!(", an extglob) negates the rest.
    std::string_view rest = pattern;
    while (rest.starts_with('!') && !rest.starts_with("!(")) {
        r.negated = !r.negated;
        rest.remove_prefix(1);
    }
    auto glob = util::Glob::compile(rest);
    if (!glob) {
        auto e = glob.error();
        e.message = context + ": " + e.message;
        return fail(std::move(e));
    }
    r.glob = std::move(*glob);
    return r;
}

struct Parser {
    std::string_view source;

    Result<void> item(const YAML::Node& node, const std::string& name, std::vector<FilterRule>& out, int depth) {
        std::string context = where(source, node.Mark()) + ": filter " + quoted(name);
        if (depth > kMaxDepth)
            return fail(ErrorKind::config, context + ": lists nested more than " + std::to_string(kMaxDepth) + " deep",
                        "an alias may not refer to a list that contains it");
        if (node.IsSequence()) {
            for (const auto& child : node)
                if (auto ok = item(child, name, out, depth + 1); !ok) return ok;
            return {};
        }
        if (node.IsScalar()) {
            auto rule = make_rule(node, {}, context);
            if (!rule) return fail(rule.error());
            out.push_back(std::move(*rule));
            return {};
        }
        if (node.IsMap()) {
            // `added|modified: glob` or `deleted: [glob, ...]`
            for (const auto& kv : node) {
                std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
                std::vector<std::string> statuses;
                for (auto& part : util::split(key, '|')) {
                    auto s = util::to_lower(util::trim(part));
                    if (s.empty()) continue;
                    if (std::find(std::begin(kStatuses), std::end(kStatuses), s) == std::end(kStatuses))
                        return fail(ErrorKind::config, context + ": " + quoted(s) + " is not a change type",
                                    "use added, modified, deleted, copied, renamed or unmerged, joined by |: "
                                    "'added|modified: glob'");
                    statuses.push_back(s);
                }
                const YAML::Node& value = kv.second;
                auto one = [&](const YAML::Node& v) -> Result<void> {
                    if (!v.IsScalar())
                        return fail(ErrorKind::config,
                                    context + ": " + quoted(key) + " takes a glob or a list of globs",
                                    "write '" + key + ": \"path/**\"'");
                    auto rule = make_rule(v, statuses, context);
                    if (!rule) return fail(rule.error());
                    out.push_back(std::move(*rule));
                    return {};
                };
                if (value.IsSequence()) {
                    // One rule for the list: picomatch(array) matches any of them.
                    for (const auto& v : value)
                        if (auto ok = one(v); !ok) return ok;
                } else if (auto ok = one(value); !ok) {
                    return ok;
                }
            }
            return {};
        }
        return fail(ErrorKind::config, context + " has no globs",
                    "list globs under the filter's name: '" + name + ":\\n  - \"path/**\"'");
    }
};

// Lines that can only be YAML: a "key:" or "key: value" line, or a "- item" line.
bool looks_like_yaml(std::string_view text) {
    for (auto& line : util::split(std::string(text), '\n')) {
        auto t = util::trim(line);
        if (t.empty() || t.starts_with('#')) continue;
        if (t.starts_with("- ") || t.ends_with(':') || t.find(": ") != std::string::npos) return true;
    }
    return false;
}

}  // namespace

std::optional<Quantifier> parse_quantifier(std::string_view text) {
    if (text == "some") return Quantifier::some;
    if (text == "every") return Quantifier::every;
    return std::nullopt;
}

std::vector<FileChange> dorny_files(const Change& c) {
    if (c.status == Status::renamed && !c.old_path.empty()) return {{c.path, "added"}, {c.old_path, "deleted"}};
    return {{c.path, std::string(status_of(c.status))}};
}

std::vector<FileChange> dorny_files(const std::vector<Change>& changes) {
    std::vector<FileChange> files;
    for (const auto& c : changes)
        for (auto& f : dorny_files(c)) files.push_back(std::move(f));
    std::stable_sort(files.begin(), files.end(),
                     [](const FileChange& a, const FileChange& b) { return a.filename < b.filename; });
    return files;
}

bool Filters::matches(std::size_t index, const FileChange& file) const {
    if (form == Form::globs) return globs && globs->matches(file.filename);
    const auto& rules = named.at(index).rules;
    auto pred = [&](const FilterRule& r) { return status_matches(r, file.status) && rule_matches(r, file.filename); };
    // dorny's Filter.isMatch: Array.some / Array.every over the filter's rules.
    return quantifier == Quantifier::every ? std::all_of(rules.begin(), rules.end(), pred)
                                           : std::any_of(rules.begin(), rules.end(), pred);
}

bool Filters::matches_path(std::size_t index, std::string_view path) const {
    if (form == Form::globs) return globs && globs->matches(path);
    const auto& rules = named.at(index).rules;
    auto pred = [&](const FilterRule& r) { return rule_matches(r, path); };
    return quantifier == Quantifier::every ? std::all_of(rules.begin(), rules.end(), pred)
                                           : std::any_of(rules.begin(), rules.end(), pred);
}

bool Filters::selects(const Change& change) const {
    if (form == Form::globs)
        return globs && (globs->matches(change.path) || (!change.old_path.empty() && globs->matches(change.old_path)));
    auto files = dorny_files(change);
    for (std::size_t i = 0; i < named.size(); ++i)
        for (const auto& f : files)
            if (matches(i, f)) return true;
    return false;
}

std::vector<std::string> Filters::names() const {
    if (form == Form::globs) return {globs_name};
    std::vector<std::string> r;
    for (const auto& f : named) r.push_back(f.name);
    return r;
}

std::string Filters::describe() const {
    auto join_rules = [](const std::vector<FilterRule>& rules) {
        std::string s;
        for (const auto& r : rules) {
            if (!s.empty()) s += ", ";
            for (std::size_t i = 0; i < r.statuses.size(); ++i) s += (i ? "|" : "") + r.statuses[i];
            s += (r.statuses.empty() ? "" : ": ") + r.pattern;
        }
        return s;
    };
    if (form == Form::globs) {
        std::string s;
        if (globs)
            for (const auto& l : globs->lines())
                s += (s.empty() ? "" : ", ") + std::string(l.exclude ? "!" : "") + l.glob.pattern();
        return s;
    }
    std::string s;
    for (const auto& f : named) s += (s.empty() ? "" : "; ") + f.name + ": " + join_rules(f.rules);
    return s;
}

Result<bool> is_dorny_yaml(std::string_view text, std::string_view source) {
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        if (!looks_like_yaml(text)) return false;  // glob lines ("*.sql" reads as an alias)
        return fail(ErrorKind::config, where(source, e.mark) + ": not valid YAML: " + e.msg,
                    "named filters are YAML as in dorny/paths-filter: 'migrations:\\n  - \"supabase/migrations/**\"'");
    }
    if (doc.IsMap()) return true;
    if (doc.IsSequence())
        return fail(ErrorKind::config, std::string(source) + ": a YAML list needs a filter name above it",
                    "write 'migrations:' on the line before the list, as in dorny/paths-filter");
    return false;
}

Result<Filters> parse_dorny_filters(std::string_view text, std::string_view source, Quantifier quantifier) {
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return fail(ErrorKind::config, where(source, e.mark) + ": not valid YAML: " + e.msg,
                    "named filters are YAML as in dorny/paths-filter: 'migrations:\\n  - \"supabase/migrations/**\"'");
    }
    if (!doc.IsMap())
        return fail(ErrorKind::config, std::string(source) + ": the filters are not a YAML mapping of names",
                    "write 'name:' and its globs below it, as in dorny/paths-filter");
    Filters f;
    f.form = Filters::Form::dorny;
    f.quantifier = quantifier;
    Parser parser{source};
    for (const auto& kv : doc) {
        if (!kv.first.IsScalar() || kv.first.Scalar().empty())
            return fail(ErrorKind::config, where(source, kv.first.Mark()) + ": a filter name must be a word",
                        "write 'name:' and its globs below it");
        std::string name = kv.first.Scalar();
        for (const auto& seen : f.named)
            if (seen.name == name)
                return fail(ErrorKind::config,
                            where(source, kv.first.Mark()) + ": filter " + quoted(name) + " is defined twice",
                            "merge the two lists under one name");
        NamedFilter nf;
        nf.name = name;
        if (auto ok = parser.item(kv.second, name, nf.rules, 0); !ok) return fail(ok.error());
        f.named.push_back(std::move(nf));
    }
    if (f.named.empty())
        return fail(ErrorKind::config, std::string(source) + ": no filter is defined",
                    "write 'name:' and its globs below it");
    return f;
}

}  // namespace sbdeploy::changes
