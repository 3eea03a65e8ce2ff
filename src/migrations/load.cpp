// Loading a migration: the file read and checked (NUL bytes, invalid UTF-8), its down section
// set apart, its statements split and classified into the file's transaction plan.
#include "migrations/load.hpp"

#include "migrations/content.hpp"
#include "migrations/down.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

std::vector<std::string> Migration::texts() const {
    std::vector<std::string> out;
    out.reserve(statements.size());
    for (const auto& s : statements) out.push_back(s.text);
    return out;
}

Result<Migration> load_migration(const MigrationFile& file) {
    auto loaded = util::read_project_file(file.path, "migration " + util::quoted(file.display), file.display);
    if (!loaded) return fail(std::move(loaded.error()));
    std::string content = std::move(*loaded);
    if (auto bad = check_content(content)) {  // NUL bytes, invalid UTF-8: refused before anything runs
        bad->file = file.display;
        return fail(std::move(*bad));
    }
    // A `-- sbdeploy:down` section is not part of the migration: never applied, never stored.
    const DownSection section = split_down_section(content);
    auto m = parse_migration(file, section.up, Splits::parts);
    if (!m) return m;
    auto down = load_down(file, section);
    if (!down) return fail(std::move(down.error()));
    m->down = std::move(*down);
    return m;
}

Result<Migration> parse_migration(const MigrationFile& file, std::string_view content, Splits splits) {
    auto statements = split_statements(content);
    if (!statements) {
        Error e = statements.error();
        e.file = file.display;
        if (e.kind != ErrorKind::config && e.kind != ErrorKind::input) e.kind = ErrorKind::config;
        return fail(std::move(e));
    }
    Migration m{file, std::move(*statements), {}, nullptr};
    std::vector<StatementKind> kinds;
    kinds.reserve(m.statements.size());
    for (const auto& s : m.statements) kinds.push_back(classify_statement(s.text));
    auto plan = plan_file(kinds, splits);
    if (!plan) {
        Error e = plan.error();
        auto index = static_cast<std::size_t>(e.line);
        e.file = file.display;
        e.line = index < m.statements.size() ? m.statements[index].code_line : 0;
        return fail(std::move(e));
    }
    m.plan = std::move(*plan);
    return m;
}

} // namespace sbdeploy::migrations
