// The files `sbdeploy lint` reads (see lint_files.hpp).
#include "cli/lint_files.hpp"

#include <algorithm>
#include <filesystem>

#include "util/file.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace fs = std::filesystem;

namespace {

Result<lint::SourceFile> read_source(const std::string& path, const std::string& display, lint::Role role) {
    auto loaded = util::read_file(path);
    if (!loaded)
        return fail(make_error(ErrorKind::config, "cannot be read: " + loaded.error().message,
                               "check the path and the file's permissions")
                        .at(display));
    std::string content = std::move(*loaded);
    return lint::source_file(display, content, role);
}

} // namespace

Result<LintFolder> lint_folder(const Context& ctx) {
    std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    std::error_code ec;
    if (!fs::is_directory(workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the project root");
    if (auto dir = ctx.options.get("migrations-dir")) {
        fs::path d(*dir);
        return LintFolder{d.is_absolute() ? d.string() : (fs::path(workdir) / d).string(), *dir, workdir};
    }
    return LintFolder{(fs::path(workdir) / "supabase" / "migrations").string(), "supabase/migrations", workdir};
}

Result<LintLoaded> load_folder(Context& ctx, const LintFolder& folder) {
    // Both files of a duplicate version are linted (and reported by check_file_names).
    auto listing = migrations::list_migrations(folder.dir, folder.display, folder.root, migrations::Duplicates::list);
    if (!listing) return fail(listing.error());
    for (const auto& n : listing->notices) ctx.console.debug(n);
    for (const auto& w : listing->warnings) ctx.console.warning(w);
    LintLoaded l;
    l.project.migrations_dir = folder.dir;
    l.project.migrations_display = folder.display;
    for (const auto& f : listing->files) {
        auto source = read_source(f.path, f.display, lint::Role::context);
        if (!source) return fail(source.error());
        migrations::Migration m;
        m.file = f;
        m.statements = source->statements;
        l.project.migrations.push_back(std::move(m));
        l.sources.push_back(std::move(*source));
    }
    for (const auto& u : listing->unmatched) {
        auto path = fs::path(folder.dir) / fs::path(u.display).filename();
        auto source = read_source(path.string(), u.display, lint::Role::target);
        if (!source) return fail(source.error());
        l.unmatched.push_back(std::move(*source));
    }
    return l;
}

Result<std::vector<lint::SourceFile>> given_files(Context& ctx, const LintFolder& folder) {
    std::vector<lint::SourceFile> files;
    std::vector<fs::path> folder_paths;
    std::error_code ec;
    if (fs::is_directory(folder.dir, ec)) {
        auto loaded = load_folder(ctx, folder);
        if (!loaded) return fail(loaded.error());
        for (std::size_t i = 0; i < loaded->sources.size(); ++i) {
            folder_paths.push_back(fs::weakly_canonical(loaded->project.migrations[i].file.path, ec));
            files.push_back(std::move(loaded->sources[i]));
        }
    }
    for (const auto& path : ctx.options.positional()) {
        auto canonical = fs::weakly_canonical(path, ec);
        auto in_folder = std::find(folder_paths.begin(), folder_paths.end(), canonical);
        auto source = read_source(path, path, lint::Role::target);
        if (!source) return fail(source.error());
        if (in_folder != folder_paths.end())
            files[static_cast<std::size_t>(in_folder - folder_paths.begin())] = std::move(*source);
        else
            files.push_back(std::move(*source));
    }
    return files;
}

} // namespace sbdeploy::cli
