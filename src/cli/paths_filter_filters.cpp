// paths-filter's filters for a run (see paths_filter_filters.hpp).
#include "cli/paths_filter_filters.hpp"

#include <filesystem>
#include <vector>

#include "changes/select.hpp"
#include "github/outputs.hpp"
#include "util/file.hpp"
#include "util/glob.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;

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
        return fail(ErrorKind::config,
                    "--migrations-dir " + util::quoted(given) + " is not a folder below the workdir " +
                        util::quoted(workdir),
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
            auto loaded = util::read_file(file.string());
            if (!loaded)
                return fail(ErrorKind::config,
                            "--filters file " + util::quoted(util::trim(text)) + ": " + loaded.error().message,
                            "give a readable YAML file, relative to the workdir");
            std::string content = std::move(*loaded);
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
        ctx.console.warning(
            "paths-filter: filter " + util::quoted(names[i]) +
                " matches no file of the repository (git ls-files), so it can never say true: check its globs",
            where);
    }
}

} // namespace

Result<ChosenFilters> choose_filters(Context& ctx, const changes::Git& git, const std::string& workdir,
                                     changes::Quantifier quantifier) {
    // Paths from git are relative to the repository root; the default filter follows
    // --migrations-dir from wherever the workdir sits in the repository.
    std::string prefix;
    if (git.is_repository()) {
        TRY_ASSIGN(prefix, git.prefix());
    }
    TRY_ASSIGN(const auto folder, migrations_folder(ctx, workdir));
    ChosenFilters chosen;
    chosen.default_glob = changes::glob_escape(prefix + folder) + "/*.sql";
    TRY_ASSIGN(auto loaded, load_filters(ctx, workdir, chosen.default_glob, quantifier));
    chosen.filters = std::move(loaded.filters);
    chosen.given = loaded.given;
    if (chosen.given && git.is_repository()) warn_unmatched(ctx, git, chosen.filters);
    return chosen;
}

} // namespace sbdeploy::cli
