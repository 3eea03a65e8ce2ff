// sbdeploy paths-filter: which changed files (by default the migrations) the filter
// selects for this push, pull request or merge group, reported as step outputs, a step
// summary, an annotation on each edited existing migration, and --json.
#include <filesystem>
#include <string>
#include <vector>

#include "changes/collect.hpp"
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

std::vector<std::string> filter_lines(const Context& ctx, const std::string& default_glob) {
    std::vector<std::string> lines;
    if (auto text = ctx.options.get("filters"))
        for (auto& line : util::split(*text, '\n')) lines.push_back(std::move(line));
    for (const auto& p : ctx.options.positional()) lines.push_back(p);
    bool any = false;
    for (const auto& l : lines) {
        auto t = util::trim(l);
        any = any || (!t.empty() && !t.starts_with('#'));
    }
    if (!any) lines = {default_glob};
    return lines;
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

std::string summary(const changes::Collected& got, const changes::Selection& sel, const std::string& filter_text) {
    using github::escape_markdown;
    std::string s = "### sbdeploy paths-filter\n\n";
    if (got.range.rule == changes::Rule::nothing) return s + escape_markdown(got.range.reason) + "\n";
    s += "Compared `" + changes::short_sha(got.range.base) + "`..`" + changes::short_sha(got.range.head) + "` (" +
         escape_markdown(got.range.reason) + "), " + std::string(changes::source_name(got.source)) + ": " +
         std::to_string(got.total) + " changed file" + (got.total == 1 ? "" : "s") + ", " +
         std::to_string(sel.matched.size()) + " matching " + escape_markdown(filter_text) + ".\n\n";
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

    std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
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
    auto lines = filter_lines(ctx, changes::glob_escape(prefix + *folder) + "/*.sql");
    auto filter = util::GlobList::parse(lines);
    if (!filter) return report(ctx, filter.error());
    std::string filter_text;
    for (const auto& l : filter->lines()) filter_text += (filter_text.empty() ? "" : ", ") + std::string(l.exclude ? "!" : "") + l.glob.pattern();

    std::optional<github::Api> api;
    if (!request.repository.empty()) {
        github::ApiSettings s;
        s.base_url = runner.api_url;
        s.token = ctx.env.get_or("GITHUB_TOKEN", ctx.env.get_or("GH_TOKEN", ""));
        s.user_agent = "sbdeploy/" SBDEPLOY_VERSION;
        api.emplace(std::move(s));
    }
    changes::ResolveSettings resolve;
    resolve.fetch_limit = *fetch_limit;
    auto note = [&](const std::string& text) { ctx.console.line("paths-filter: " + text); };
    // Only the changes the filter selects are kept; the others are counted.
    auto keep = [&](const changes::Change& c) { return changes::selects(*filter, c); };
    auto got = changes::collect(git, api ? &*api : nullptr, request, resolve, note, keep);
    if (!got) return report(ctx, got.error());
    auto sel = changes::select(got->changes, *filter);

    std::string count = std::to_string(sel.matched.size());
    std::string changed = sel.matched.empty() ? "false" : "true";
    Report rep;
    rep.set("changed", changed);
    rep.set("count", count);
    rep.set("files", changes::json_strings(sel.files));
    rep.set("added", changes::json_strings(sel.added));
    rep.set("modified", changes::json_strings(sel.modified));
    rep.set("deleted", changes::json_strings(sel.deleted));
    rep.set("renamed", changes::json_renames(sel.renamed));
    rep.set("migrations", changed);
    rep.set("migrations_count", count);
    if (*list_format != changes::ListFormat::none) rep.set("migrations_files", changes::format_list(sel.files, *list_format));
    rep.set("changes", sel.matched.empty() ? "[]" : "[\"migrations\"]");
    std::vector<std::string> edited;
    for (const auto& c : sel.edited_existing) edited.push_back(changes::base_path(c));
    rep.set("edited_existing", changes::json_strings(edited));
    rep.set("base", got->range.base);
    rep.set("head", got->range.head);
    rep.set("base_reason", got->range.reason);
    rep.summary = summary(*got, sel, filter_text);

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
