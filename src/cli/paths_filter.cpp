// sbdeploy paths-filter: which changed files (by default the migrations) the filter
// selects for this push, pull request or merge group, reported as step outputs, a step
// summary, an annotation on each edited existing migration, and --json.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "changes/collect.hpp"
#include "changes/filters.hpp"
#include "changes/select.hpp"
#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "github/api.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "util/glob.hpp"
#include "util/strings.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;
using changes::printable_path;


// The migrations folder relative to the workdir, "/"-separated, without a trailing "/".
Result<std::string> migrations_folder(const Context& ctx, const std::string& workdir) {
    std::string given = ctx.options.get_or("migrations-dir", "supabase/migrations");
    fs::path dir(given);
    if (dir.is_absolute()) {
        std::error_code ec;
        dir = dir.lexically_relative(fs::absolute(workdir, ec).lexically_normal());
    }
    std::string rel = dir.lexically_normal().generic_string();
    while (rel.ends_with('/')) rel.pop_back();
    if (rel.empty() || rel == "." || rel.starts_with(".."))
        return fail(ErrorKind::config, "--migrations-dir " + util::quoted(given) + " is not a folder below the workdir " + util::quoted(workdir),
                    "give the migrations folder relative to the repository checkout");
    return rel;
}

std::vector<std::string> filter_lines(const Context& ctx, const std::string& text, const std::string& default_glob) {
    std::vector<std::string> lines;
    for (auto& line : util::split(text, '\n')) lines.push_back(std::move(line));
    for (const auto& p : ctx.options.positional()) lines.push_back(p);
    bool any = false;
    for (const auto& l : lines) {
        auto t = util::trim(l);
        any = any || (!t.empty() && !t.starts_with('#'));
    }
    if (!any) lines = {default_glob};
    return lines;
}

struct LoadedFilters {
    changes::Filters filters;
    bool given = false;  // by --filters or GLOB arguments, not the default
};

// --filters as dorny/paths-filter takes it: named filters in YAML, or a file of them (dorny's
// isPathInput: one line without ":"; here only when that file exists, so a glob stays a
// glob), or today's glob lines, with GLOB arguments.
Result<LoadedFilters> load_filters(const Context& ctx, const std::string& workdir, const std::string& default_glob,
                                   changes::Quantifier quantifier) {
    std::string text = ctx.options.get_or("filters", "");
    std::string source = "--filters";
    if (!text.empty() && text.find('\n') == std::string::npos && text.find(':') == std::string::npos) {
        fs::path file(std::string(util::trim(text)));
        if (file.is_relative()) file = fs::path(workdir) / file;
        std::error_code ec;
        // A glob naming one existing file (a migration, say) stays a glob: the file is the
        // filters only when it is a .yml/.yaml file or holds named filters.
        bool yaml_name = file.extension() == ".yml" || file.extension() == ".yaml";
        if (fs::is_regular_file(file, ec)) {
            std::string content, why;
            if (!util::read_file(file.string(), content, why))
                return fail(ErrorKind::config, "--filters file " + util::quoted(util::trim(text)) + ": " + why,
                            "give a readable YAML file, relative to the workdir");
            std::string name(util::trim(text));
            auto named = changes::is_dorny_yaml(content, name);
            if (yaml_name && !named) return fail(named.error());
            if (yaml_name || (named && *named)) {
                source = std::move(name);
                text = std::move(content);
            }
        }
    }
    LoadedFilters out;
    auto dorny = changes::is_dorny_yaml(text, source);
    if (!dorny) return fail(dorny.error());
    if (*dorny) {
        if (!ctx.options.positional().empty())
            return fail(ErrorKind::usage, "paths-filter: GLOB arguments cannot be added to named filters",
                        "list the globs under a filter name in --filters");
        auto parsed = changes::parse_dorny_filters(text, source, quantifier);
        if (!parsed) return fail(parsed.error());
        out.filters = std::move(*parsed);
        out.given = true;
        return out;
    }
    auto lines = filter_lines(ctx, text, default_glob);
    for (const auto& l : lines) {
        auto t = util::trim(l);
        out.given = out.given || (l != default_glob && !t.empty() && !t.starts_with('#'));
    }
    auto list = util::GlobList::parse(lines);
    if (!list) return fail(list.error());
    out.filters.globs = std::move(*list);
    return out;
}

// A filter that matches no tracked file is most likely a typo, which would otherwise read as
// "nothing changed" for ever. A filter only about deleted files is not checked.
void warn_unmatched(Context& ctx, const changes::Git& git, const changes::Filters& filters) {
    auto paths = git.tracked_files();
    if (!paths) return;  // the diff that follows reports a broken repository
    auto names = filters.names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (filters.form == changes::Filters::Form::dorny) {
            bool deleted_only = !filters.named[i].rules.empty();
            for (const auto& r : filters.named[i].rules)
                deleted_only = deleted_only && r.statuses.size() == 1 && r.statuses[0] == "deleted";
            if (deleted_only) continue;
        }
        bool any = false;
        for (const auto& p : *paths)
            if ((any = filters.matches_path(i, p))) break;
        if (any) continue;
        github::Location where;
        where.title = "paths-filter: a filter matches no file";
        ctx.console.warning("paths-filter: filter " + util::quoted(names[i]) +
                                " matches no file of the repository (git ls-files), so it can never say true: check its globs",
                            where);
    }
}

// "main" as a local branch, a remote-tracking one, a tag or a commit.
std::optional<std::string> resolve_ref(const changes::Git& git, const std::string& ref) {
    if (auto sha = git.resolve(ref)) return sha;
    if (auto sha = git.resolve("refs/remotes/origin/" + ref)) return sha;
    return std::nullopt;
}

std::string edited_message(const changes::Change& c) {
    std::string file = printable_path(changes::base_path(c));
    switch (c.status) {
    case changes::Status::deleted:
        return "migration " + file + " exists on the base and was deleted: databases that applied it keep its changes, "
               "and its version goes missing locally";
    case changes::Status::renamed:
        return "migration " + file + " exists on the base and was renamed to " + printable_path(c.path) +
               ": databases that applied it see its version missing and the new name as a new migration";
    default:
        return "migration " + file + " exists on the base and was modified: an applied migration never runs again, "
               "so put the change in a new migration";
    }
}

std::string change_line(const changes::Change& c) {
    std::string status(changes::status_name(c.status));
    status.resize(13, ' ');
    std::string path = c.old_path.empty() || c.status != changes::Status::renamed
                           ? printable_path(c.path)
                           : printable_path(c.old_path) + " -> " + printable_path(c.path);
    return "  " + status + path;
}

std::string summary(const changes::Collected& got, const changes::Selection& sel, const std::string& filter_text,
                    const std::vector<std::pair<std::string, std::size_t>>& named) {
    using github::escape_markdown;
    std::string s = "### sbdeploy paths-filter\n\n";
    if (got.range.rule == changes::Rule::nothing) return s + escape_markdown(got.range.reason) + "\n";
    s += "Compared `" + changes::short_sha(got.range.base) + "`..`" + changes::short_sha(got.range.head) + "` (" +
         escape_markdown(got.range.reason) + "), " + std::string(changes::source_name(got.source)) + ": " +
         std::to_string(got.total) + " changed file" + (got.total == 1 ? "" : "s") + ", " +
         std::to_string(sel.matched.size()) + " matching " + escape_markdown(filter_text) + ".\n\n";
    if (!named.empty()) {
        s += "| filter | changed | files |\n| --- | --- | --- |\n";
        for (const auto& [name, n] : named)
            s += "| " + escape_markdown(name) + " | " + (n ? "true" : "false") + " | " + std::to_string(n) + " |\n";
        s += "\n";
        if (sel.matched.empty()) return s + "**No filter matched.**\n";
    }
    if (sel.matched.empty()) return s + "**No migration changed.**\n";
    s += "| change | file |\n| --- | --- |\n";
    for (const auto& c : sel.matched) {
        std::string file = escape_markdown(printable_path(c.path));
        if (c.status == changes::Status::renamed)
            file = escape_markdown(printable_path(c.old_path)) + " → " + file;
        s += "| " + escape_markdown(changes::status_name(c.status)) + " | " + file + " |\n";
    }
    if (!sel.edited_existing.empty())
        s += "\n**" + std::to_string(sel.edited_existing.size()) + " migration" +
             (sel.edited_existing.size() == 1 ? " that exists" : "s that exist") +
             " on the base changed**: databases that applied " + (sel.edited_existing.size() == 1 ? "it" : "them") +
             " will not run the change again.\n";
    return s;
}

} // namespace

int run_paths_filter(Context& ctx) {
    auto list_format = changes::parse_list_format(ctx.options.get_or("list-files", "none"));
    if (!list_format)
        return report(ctx, make_error(ErrorKind::usage,
                                      "--list-files " + util::quoted(ctx.options.get_or("list-files", "")) + " is not a format",
                                      "use none, csv, json, shell or escape"));
    auto fetch_limit = ctx.options.integer("fetch-limit", 1000, 0, 1'000'000);
    if (!fetch_limit) return report(ctx, fetch_limit.error());
    auto first_depth = ctx.options.integer("initial-fetch-depth", 16, 1, 1'000'000);
    if (!first_depth) return report(ctx, first_depth.error());
    auto quantifier = changes::parse_quantifier(ctx.options.get_or("predicate-quantifier", "some"));
    if (!quantifier)
        return report(ctx, make_error(ErrorKind::usage,
                                      "--predicate-quantifier " + util::quoted(ctx.options.get_or("predicate-quantifier", "")) +
                                          " is not a quantifier",
                                      "use some or every"));

    // dorny's working-directory is relative to the workspace; --workdir wins.
    std::string workspace = ctx.env.get_or("GITHUB_WORKSPACE", ".");
    std::string workdir = ctx.options.get_or("workdir", "");
    if (workdir.empty()) {
        std::string wd = ctx.options.get_or("working-directory", "");
        workdir = wd.empty() ? workspace : fs::path(wd).is_absolute() ? wd : (fs::path(workspace) / wd).string();
    }
    std::error_code ec;
    if (!fs::is_directory(workdir, ec))
        return report(ctx, make_error(ErrorKind::config, "workdir " + util::quoted(workdir) + " is not a folder",
                                      "set --workdir (SBDEPLOY_WORKDIR) to the repository checkout"));
    auto runner = github::RunnerContext::from(ctx.env);
    auto event = github::load_event(runner, ctx.options.get_or("event-path", runner.event_path));
    if (!event) return report(ctx, event.error());
    auto facts = github::run_facts(runner, *event);
    auto request = changes::make_request(facts, *event, ctx.options.get_or("base", ""));

    changes::GitSettings git_settings;
    git_settings.workdir = workdir;
    git_settings.env = ctx.env.all();
    changes::Git git(std::move(git_settings));
    // dorny's ref: the commit compared instead of the event's head; pull requests keep theirs.
    if (auto ref = ctx.options.get("ref"); ref && !ref->empty()) {
        if (!request.pr_head_sha.empty()) {
            ctx.console.warning("paths-filter: --ref " + util::quoted(*ref) +
                                " is ignored on pull request events: the pull request's head is compared");
        } else {
            auto sha = resolve_ref(git, *ref);
            if (!sha)
                return report(ctx, make_error(ErrorKind::config, "--ref " + util::quoted(*ref) + " is not a commit of this checkout",
                                              "fetch it first (actions/checkout with fetch-depth: 0), or give a commit"));
            request.sha = *sha;
            if (!request.after.empty()) request.after = *sha;
            if (!request.group_head_sha.empty()) request.group_head_sha = *sha;
        }
    }
    // The payload's commits are checked with the repository facts, in one git process.
    git.expect(changes::commits_to_check(request));

    // Paths from git are relative to the repository root; the default filter follows
    // --migrations-dir from wherever the workdir sits in the repository.
    std::string prefix;
    if (git.is_repository()) {
        auto p = git.prefix();
        if (!p) return report(ctx, p.error());
        prefix = *p;
    }
    auto folder = migrations_folder(ctx, workdir);
    if (!folder) return report(ctx, folder.error());
    std::string default_glob = changes::glob_escape(prefix + *folder) + "/*.sql";
    auto loaded = load_filters(ctx, workdir, default_glob, *quantifier);
    if (!loaded) return report(ctx, loaded.error());
    const changes::Filters& filters = loaded->filters;
    std::string filter_text = filters.describe();
    if (loaded->given && git.is_repository()) warn_unmatched(ctx, git, filters);

    std::optional<github::Api> api;
    if (!request.repository.empty()) {
        github::ApiSettings s;
        s.base_url = runner.api_url;
        // SBDEPLOY_GITHUB_TOKEN: the action's token input (dorny's name).
        s.token = ctx.env.get_or("SBDEPLOY_GITHUB_TOKEN", "");
        if (s.token.empty()) s.token = ctx.env.get_or("GITHUB_TOKEN", ctx.env.get_or("GH_TOKEN", ""));
        s.user_agent = "sbdeploy/" SBDEPLOY_VERSION;
        api.emplace(std::move(s));
    }
    changes::ResolveSettings resolve;
    resolve.fetch_limit = *fetch_limit;
    resolve.first_depth = *first_depth;
    auto note = [&](const std::string& text) { ctx.console.line("paths-filter: " + text); };
    // Only the changes the filter selects are kept; the others are counted.
    auto keep = [&](const changes::Change& c) { return filters.selects(c); };
    auto got = changes::collect(git, api ? &*api : nullptr, request, resolve, note, keep);
    if (!got) return report(ctx, got.error());
    auto sel = changes::select(got->changes, keep);
    // Named filters may watch more than migrations: only changed migrations are "edited".
    if (filters.form == changes::Filters::Form::dorny) {
        auto migrations = util::GlobList::parse({default_glob});
        std::erase_if(sel.edited_existing, [&](const changes::Change& c) {
            return !(migrations && (migrations->matches(c.path) || migrations->matches(changes::base_path(c))));
        });
    }

    // dorny's outputs per filter (exportResults in its src/main.ts), then changes.
    github::Outputs per_filter;
    std::vector<std::string> changed_filters;
    auto names = filters.names();
    auto dorny_files = changes::dorny_files(got->changes);
    std::vector<std::pair<std::string, std::size_t>> named;  // for the summary: dorny's filters
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::vector<std::string> matched;
        if (filters.form == changes::Filters::Form::globs) {
            matched = sel.files;
        } else {
            for (const auto& f : dorny_files)
                if (filters.matches(i, f)) matched.push_back(f.filename);
        }
        if (!matched.empty()) changed_filters.push_back(names[i]);
        if (filters.form == changes::Filters::Form::dorny) named.emplace_back(names[i], matched.size());
        per_filter.set(names[i], matched.empty() ? "false" : "true");
        per_filter.set(names[i] + "_count", std::to_string(matched.size()));
        if (*list_format != changes::ListFormat::none)
            per_filter.set(names[i] + "_files", changes::format_list(matched, *list_format));
    }
    if (std::find(names.begin(), names.end(), "changes") == names.end())
        per_filter.set("changes", changes::json_strings(changed_filters));

    std::string count = std::to_string(sel.matched.size());
    std::string changed = sel.matched.empty() ? "false" : "true";
    Report rep;
    // A filter's outputs win over sbdeploy's own of the same name, as a drop-in must.
    auto own = [&](const std::string& name, std::string value) {
        if (per_filter.get(name)) {
            ctx.console.line("paths-filter: output " + util::quoted(name) + " is a filter's, not sbdeploy's own");
            return;
        }
        rep.set(name, std::move(value));
    };
    own("changed", changed);
    own("count", count);
    own("files", changes::json_strings(sel.files));
    own("added", changes::json_strings(sel.added));
    own("modified", changes::json_strings(sel.modified));
    own("deleted", changes::json_strings(sel.deleted));
    own("renamed", changes::json_renames(sel.renamed));
    for (const auto& [name, value] : per_filter.items()) rep.set(name, value);
    std::vector<std::string> edited;
    for (const auto& c : sel.edited_existing) edited.push_back(changes::base_path(c));
    own("edited_existing", changes::json_strings(edited));
    own("base", got->range.base);
    own("head", got->range.head);
    own("base_reason", got->range.reason);
    // A composite action declares its outputs: other filters' reach a workflow through this.
    github::Outputs filter_outputs;
    for (const auto& [name, value] : per_filter.items())
        if (name != "changes") filter_outputs.set(name, value);
    own("filter_outputs", filter_outputs.to_json());
    rep.summary = summary(*got, sel, filter_text, named);

    // The log: what was compared and why, then each selected change.
    ctx.console.line("paths-filter: " + got->range.reason);
    if (got->range.rule != changes::Rule::nothing) {
        ctx.console.line("paths-filter: " + changes::short_sha(got->range.base) + ".." + changes::short_sha(got->range.head) +
                         " (" + std::string(changes::source_name(got->source)) + "): " +
                         std::to_string(got->total) + " changed, " + count + " matching " + filter_text);
        // One write for all of them (each line ends in a newline but the last).
        std::string listed;
        for (const auto& c : sel.matched) listed += (listed.empty() ? "" : "\n") + change_line(c);
        if (!listed.empty()) ctx.console.line(listed);
    }
    bool fail_on_edited = ctx.options.flag("fail-on-edited");
    // Under Actions the annotation sits on the file; in a terminal the message names it
    // (printable: a path may hold a newline).
    bool annotate = ctx.env.get("GITHUB_ACTIONS") == std::optional<std::string>("true");
    for (const auto& c : sel.edited_existing) {
        github::Location where;
        if (annotate) where.file = c.path;
        where.title = "migration changed after it was merged";
        if (fail_on_edited)
            ctx.console.error(edited_message(c), where);
        else
            ctx.console.warning(edited_message(c), where);
    }
    int code = fail_on_edited && !sel.edited_existing.empty() ? 1 : 0;
    if (ctx.json) {
        github::Outputs outputs;
        for (const auto& [name, value] : rep.outputs) outputs.set(name, value);
        ctx.out << ctx.console.redact(outputs.to_json()) << '\n';
        ctx.out.flush();
    }
    return finish(ctx, rep, code);
}

} // namespace sbdeploy::cli
