// sbdeploy new <name>: a new migration file as `supabase migration new` writes it (the UTC time
// as version; empty, or what is piped to stdin; "Created new migration at <path>"), and with
// --down its down file in supabase/migrations/down/.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "cli/commands.hpp"
#include "migrations/new_file.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;

// As the Supabase CLI: stdin is the file's content unless it is a terminal or another
// character device (/dev/null), so `pg_dump ... | sbdeploy new x` fills the file.
Result<std::string> piped_stdin() {
    struct stat st{};
    if (fstat(STDIN_FILENO, &st) != 0 || S_ISCHR(st.st_mode)) return std::string();
    std::string text;
    char buf[65536];
    for (;;) {
        auto n = read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(ErrorKind::io, "new: cannot read standard input");
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    return text;
}

Result<std::string> migration_name(const Context& ctx) {
    const auto& args = ctx.options.positional();
    if (args.empty())
        return fail(ErrorKind::usage, "new: missing the migration name", "write 'sbdeploy new add_profiles'");
    if (args.size() > 1)
        return fail(ErrorKind::usage, "new: unexpected argument " + util::quoted(args[1]),
                    "the name is one word: 'sbdeploy new " + migrations::suggested_name(args[0] + " " + args[1]) + "'");
    if (auto why = migrations::bad_name_reason(args[0]); !why.empty()) {
        auto better = migrations::suggested_name(args[0]);
        return fail(ErrorKind::usage, "new: bad migration name " + util::quoted(args[0]) + ": " + why,
                    better.empty() ? "use letters, digits, _, - and ." : "did you mean 'sbdeploy new " + better + "'?");
    }
    return args[0];
}

} // namespace

namespace {

// The migrations folder of --workdir (checked) and --migrations-dir: to write, and to show.
Result<std::pair<fs::path, std::string>> migrations_folder(const Context& ctx) {
    const std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    std::error_code ec;
    if (!fs::is_directory(workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the project root");
    std::string display = ctx.options.get_or("migrations-dir", "supabase/migrations");
    fs::path dir(display);
    if (!dir.is_absolute()) dir = fs::path(workdir) / dir;
    return std::pair{dir, display};
}

Result<int> new_migration(Context& ctx) {
    TRY_ASSIGN(const auto name, migration_name(ctx));
    TRY_ASSIGN(const auto folder, migrations_folder(ctx));
    TRY_ASSIGN(const auto content, piped_stdin());
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::optional<std::string> down;
    if (ctx.options.flag("down"))
        down = "-- The undo of the migration of the same name one folder up: the statements that take back\n"
               "-- what it does, newest change first. 'sbdeploy rollback' runs them.\n";
    TRY_ASSIGN(const auto files, migrations::write_new_migration(folder.first.string(), now, name, content, down));
    const std::string file = files.version + "_" + name + ".sql";
    ctx.out << "Created new migration at " << (fs::path(folder.second) / file).generic_string() << '\n';
    if (down)
        ctx.out << "Created down migration at " << (fs::path(folder.second) / "down" / file).generic_string() << '\n';
    return 0;
}

} // namespace

int run_new(Context& ctx) {
    auto code = new_migration(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
