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
#include "cli/paths_filter_filters.hpp"
#include "cli/project.hpp"
#include "github/api.hpp"
#include "github/outputs.hpp"
#include "github/runner.hpp"
#include "github/summary.hpp"
#include "util/glob.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;
namespace md = github::md;
using changes::printable_path;

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
        return "migration " + file +
               " exists on the base and was deleted: databases that applied it keep its changes, "
               "and its version goes missing locally";
    case changes::Status::renamed:
        return "migration " + file + " exists on the base and was renamed to " + printable_path(c.path) +
               ": databases that applied it see its version missing and the new name as a new migration";
    default:
        return "migration " + file +
               " exists on the base and was modified: an applied migration never runs again, "
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

// dorny's named filters and how many files each matched, for the summary.
using NamedCounts = std::vector<std::pair<std::string, std::size_t>>;

// The outcome first: "✅ **paths-filter**: migrations changed (3 files)", "⏭️ ...: no migration
// changed", "⚠️ ...; 1 that exists on the base changed" (❌ with --fail-on-edited).
std::string headline(const changes::Collected& got, const changes::Selection& sel, const ChosenFilters& chosen,
                     const NamedCounts& named, bool fail_on_edited) {
    using md::Outcome;
    if (got.range.rule == changes::Rule::nothing)
        return md::headline(Outcome::skipped, "paths-filter", md::text(got.range.reason));
    std::string detail;
    if (!named.empty()) {
        std::string names;
        for (const auto& [name, n] : named)
            if (n > 0) names += (names.empty() ? "" : ", ") + name;
        const auto changed =
            static_cast<std::size_t>(std::ranges::count_if(named, [](const auto& f) { return f.second > 0; }));
        if (changed == 0) return md::headline(Outcome::skipped, "paths-filter", "no filter matched");
        detail = std::to_string(changed) + " of " + md::count(named.size(), "filter") + " changed: " + md::text(names);
    } else if (sel.matched.empty()) {
        return md::headline(Outcome::skipped, "paths-filter",
                            chosen.given ? "no matching file changed" : "no migration changed");
    } else {
        const std::string files = md::count(sel.matched.size(), "file");
        detail = chosen.given ? files + " matching the filter changed" : "migrations changed (" + files + ")";
    }
    if (sel.edited_existing.empty()) return md::headline(Outcome::passed, "paths-filter", detail);
    const std::size_t n = sel.edited_existing.size();
    detail += "; " + std::to_string(n) + (n == 1 ? " that exists" : " that exist") + " on the base changed";
    return md::headline(fail_on_edited ? Outcome::failed : Outcome::warned, "paths-filter", detail);
}

std::string body(const changes::Collected& got, const changes::Selection& sel, const std::string& filter_text,
                 const NamedCounts& named) {
    md::Summary s;
    if (got.range.rule == changes::Rule::nothing) return "";
    s.block("Compared " + md::code(changes::short_sha(got.range.base)) + ".." +
            md::code(changes::short_sha(got.range.head)) + " (" + md::text(got.range.reason) + "), " +
            std::string(changes::source_name(got.source)) + ": " + md::count(got.total, "changed file") + ", " +
            std::to_string(sel.matched.size()) + " matching " + md::text(filter_text) + ".");
    if (!named.empty()) {
        md::Table filters({"filter", "changed", "files"});
        for (const auto& [name, n] : named)
            filters.row({md::Cell::text(name), md::Cell::text(n ? "true" : "false"),
                         md::Cell::text(std::to_string(n))});
        s.block(filters.render());
    }
    if (sel.matched.empty()) return s.str();
    md::Table files({"change", "file"});
    for (const auto& c : sel.matched) {
        std::string file = printable_path(c.path);
        if (c.status == changes::Status::renamed) file = printable_path(c.old_path) + " → " + file;
        files.row({md::Cell::text(changes::status_name(c.status)), md::Cell::text(file)});
    }
    s.block(files.render_collapsed(md::bold(md::count(sel.matched.size(), "changed file")), 50));
    if (!sel.edited_existing.empty())
        s.block("**" + std::to_string(sel.edited_existing.size()) + " migration" +
                (sel.edited_existing.size() == 1 ? " that exists" : "s that exist") +
                " on the base changed**: databases that applied " + (sel.edited_existing.size() == 1 ? "it" : "them") +
                " will not run the change again.");
    return s.str();
}

struct PathsSettings {
    changes::ListFormat list_format = changes::ListFormat::none;
    changes::ResolveSettings resolve;
    changes::Quantifier quantifier = changes::Quantifier::some;
    std::string workdir;
};

Result<PathsSettings> read_settings(const Context& ctx) {
    PathsSettings s;
    auto list_format = changes::parse_list_format(ctx.options.get_or("list-files", "none"));
    if (!list_format)
        return fail(ErrorKind::usage,
                    "--list-files " + util::quoted(ctx.options.get_or("list-files", "")) + " is not a format",
                    "use none, csv, json, shell or escape");
    s.list_format = *list_format;
    TRY_ASSIGN(s.resolve.fetch_limit, ctx.options.integer("fetch-limit", 1000, 0, 1'000'000));
    TRY_ASSIGN(s.resolve.first_depth, ctx.options.integer("initial-fetch-depth", 16, 1, 1'000'000));
    auto quantifier = changes::parse_quantifier(ctx.options.get_or("predicate-quantifier", "some"));
    if (!quantifier)
        return fail(ErrorKind::usage,
                    "--predicate-quantifier " + util::quoted(ctx.options.get_or("predicate-quantifier", "")) +
                        " is not a quantifier",
                    "use some or every");
    s.quantifier = *quantifier;
    // dorny's working-directory is relative to the workspace; --workdir wins.
    std::string workspace = ctx.env.get_or("GITHUB_WORKSPACE", ".");
    s.workdir = ctx.options.get_or("workdir", "");
    if (s.workdir.empty()) {
        std::string wd = ctx.options.get_or("working-directory", "");
        s.workdir = wd.empty() ? workspace : fs::path(wd).is_absolute() ? wd : (fs::path(workspace) / wd).string();
    }
    std::error_code ec;
    if (!fs::is_directory(s.workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(s.workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the repository checkout");
    return s;
}

// dorny's ref: the commit compared instead of the event's head; pull requests keep theirs.
Result<void> apply_ref(Context& ctx, const changes::Git& git, changes::Request& request) {
    auto ref = ctx.options.get("ref");
    if (!ref || ref->empty()) return {};
    if (!request.pr_head_sha.empty()) {
        ctx.console.warning("paths-filter: --ref " + util::quoted(*ref) +
                            " is ignored on pull request events: the pull request's head is compared");
        return {};
    }
    auto sha = resolve_ref(git, *ref);
    if (!sha)
        return fail(ErrorKind::config, "--ref " + util::quoted(*ref) + " is not a commit of this checkout",
                    "fetch it first (actions/checkout with fetch-depth: 0), or give a commit");
    request.sha = *sha;
    if (!request.after.empty()) request.after = *sha;
    if (!request.group_head_sha.empty()) request.group_head_sha = *sha;
    return {};
}

// The GitHub API for a checkout without the history, when the event names a repository.
std::optional<github::Api> api_for(const Context& ctx, const github::RunnerContext& runner,
                                   const changes::Request& request) {
    if (request.repository.empty()) return std::nullopt;
    github::ApiSettings s;
    s.base_url = runner.api_url;
    // SBDEPLOY_GITHUB_TOKEN: the action's token input (dorny's name).
    s.token = ctx.env.get_or("SBDEPLOY_GITHUB_TOKEN", "");
    if (s.token.empty()) s.token = ctx.env.get_or("GITHUB_TOKEN", ctx.env.get_or("GH_TOKEN", ""));
    s.user_agent = "sbdeploy/" SBDEPLOY_VERSION;
    return github::Api(std::move(s));
}

// The changes the filters select; named filters may watch more than migrations: only changed
// migrations are "edited".
changes::Selection select_changes(const changes::Collected& got, const ChosenFilters& chosen) {
    const auto& filters = chosen.filters;
    auto sel = changes::select(got.changes, [&](const changes::Change& c) { return filters.selects(c); });
    if (filters.form == changes::Filters::Form::dorny) {
        auto migrations = util::GlobList::parse({chosen.default_glob});
        std::erase_if(sel.edited_existing, [&](const changes::Change& c) {
            return !(migrations && (migrations->matches(c.path) || migrations->matches(changes::base_path(c))));
        });
    }
    return sel;
}

// dorny's outputs per filter (exportResults in its src/main.ts), then changes.
github::Outputs per_filter_outputs(const changes::Collected& got, const changes::Selection& sel,
                                   const changes::Filters& filters, changes::ListFormat list_format,
                                   NamedCounts& named) {
    github::Outputs per_filter;
    std::vector<std::string> changed_filters;
    auto names = filters.names();
    auto dorny_files = changes::dorny_files(got.changes);
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
        if (list_format != changes::ListFormat::none)
            per_filter.set(names[i] + "_files", changes::format_list(matched, list_format));
    }
    if (std::find(names.begin(), names.end(), "changes") == names.end())
        per_filter.set("changes", changes::json_strings(changed_filters));
    return per_filter;
}

// sbdeploy's own outputs beside the filters'; a filter's output wins over one of the same
// name, as a drop-in must.
void own_outputs(Context& ctx, Report& rep, const github::Outputs& per_filter, const changes::Collected& got,
                 const changes::Selection& sel) {
    auto own = [&](const std::string& name, std::string value) {
        if (per_filter.get(name)) {
            ctx.console.line("paths-filter: output " + util::quoted(name) + " is a filter's, not sbdeploy's own");
            return;
        }
        rep.set(name, std::move(value));
    };
    own("changed", sel.matched.empty() ? "false" : "true");
    own("count", std::to_string(sel.matched.size()));
    own("files", changes::json_strings(sel.files));
    own("added", changes::json_strings(sel.added));
    own("modified", changes::json_strings(sel.modified));
    own("deleted", changes::json_strings(sel.deleted));
    own("renamed", changes::json_renames(sel.renamed));
    for (const auto& [name, value] : per_filter.items()) rep.set(name, value);
    std::vector<std::string> edited;
    for (const auto& c : sel.edited_existing) edited.push_back(changes::base_path(c));
    own("edited_existing", changes::json_strings(edited));
    own("base", got.range.base);
    own("head", got.range.head);
    own("base_reason", got.range.reason);
    // A composite action declares its outputs: other filters' reach a workflow through this.
    github::Outputs filter_outputs;
    for (const auto& [name, value] : per_filter.items())
        if (name != "changes") filter_outputs.set(name, value);
    own("filter_outputs", filter_outputs.to_json());
}

// The log: what was compared and why, then each selected change.
void log_changes(Context& ctx, const changes::Collected& got, const changes::Selection& sel,
                 const std::string& filter_text) {
    ctx.console.line("paths-filter: " + got.range.reason);
    if (got.range.rule == changes::Rule::nothing) return;
    ctx.console.line("paths-filter: " + changes::short_sha(got.range.base) + ".." + changes::short_sha(got.range.head) +
                     " (" + std::string(changes::source_name(got.source)) + "): " + std::to_string(got.total) +
                     " changed, " + std::to_string(sel.matched.size()) + " matching " + filter_text);
    // One write for all of them (each line ends in a newline but the last).
    std::string listed;
    for (const auto& c : sel.matched) listed += (listed.empty() ? "" : "\n") + change_line(c);
    if (!listed.empty()) ctx.console.line(listed);
}

// An annotation per edited existing migration: on the file under Actions; in a terminal the
// message names it (printable: a path may hold a newline). --fail-on-edited: errors.
void annotate_edited(Context& ctx, const changes::Selection& sel, bool fail_on_edited) {
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
}

Result<int> paths_filter(Context& ctx) {
    TRY_ASSIGN(const auto settings, read_settings(ctx));
    auto runner = github::RunnerContext::from(ctx.env);
    TRY_ASSIGN(const auto event, github::load_event(runner, ctx.options.get_or("event-path", runner.event_path)));
    auto request = changes::make_request(github::run_facts(runner, event), event, ctx.options.get_or("base", ""));
    changes::GitSettings git_settings;
    git_settings.workdir = settings.workdir;
    git_settings.env = ctx.env.all();
    changes::Git git(std::move(git_settings));
    TRY(apply_ref(ctx, git, request));
    // The payload's commits are checked with the repository facts, in one git process.
    git.expect(changes::commits_to_check(request));
    TRY_ASSIGN(const auto chosen, choose_filters(ctx, git, settings.workdir, settings.quantifier));
    const std::string filter_text = chosen.filters.describe();
    auto api = api_for(ctx, runner, request);
    auto note = [&](const std::string& text) { ctx.console.line("paths-filter: " + text); };
    // Only the changes the filter selects are kept; the others are counted.
    auto keep = [&](const changes::Change& c) { return chosen.filters.selects(c); };
    TRY_ASSIGN(const auto got, changes::collect(git, api ? &*api : nullptr, request, settings.resolve, note, keep));
    const auto sel = select_changes(got, chosen);

    NamedCounts named;
    auto per_filter = per_filter_outputs(got, sel, chosen.filters, settings.list_format, named);
    Report rep;
    own_outputs(ctx, rep, per_filter, got, sel);
    const bool fail_on_edited = ctx.options.flag("fail-on-edited");
    rep.headline = headline(got, sel, chosen, named, fail_on_edited);
    rep.summary = body(got, sel, filter_text, named);
    log_changes(ctx, got, sel, filter_text);
    annotate_edited(ctx, sel, fail_on_edited);
    if (ctx.json) {
        github::Outputs outputs;
        for (const auto& [name, value] : rep.outputs) outputs.set(name, value);
        ctx.out << ctx.console.redact(outputs.to_json()) << '\n';
        ctx.out.flush();
    }
    return finish(ctx, rep, fail_on_edited && !sel.edited_existing.empty() ? 1 : 0);
}

} // namespace

int run_paths_filter(Context& ctx) {
    auto code = paths_filter(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
