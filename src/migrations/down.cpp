#include "migrations/down.hpp"

#include <algorithm>
#include <cctype>

#include "migrations/apply.hpp"
#include "migrations/content.hpp"
#include "migrations/split.hpp"
#include "migrations/sql_comments.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

bool mentions_marker(std::string_view content) {
    constexpr std::string_view needle = "sbdeploy:down";
    auto it = std::search(content.begin(), content.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
    });
    return it != content.end();
}

} // namespace

std::optional<std::string> up_name_of_down(std::string_view filename) {
    if (!filename.ends_with(kDownSuffix)) return std::nullopt;
    std::string up(filename.substr(0, filename.size() - kDownSuffix.size()));
    up += ".sql";
    std::string version, name;
    if (!parse_migration_name(up, version, name)) return std::nullopt;
    return up;
}

bool is_down_marker(std::string_view line) {
    line = util::trim(line);
    if (!line.starts_with("--")) return false;
    line.remove_prefix(2);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    return util::to_lower(line) == "sbdeploy:down";
}

DownSection split_down_section(std::string_view content) {
    DownSection section{content, std::nullopt, 0};
    if (!mentions_marker(content)) return section;
    std::optional<Result<std::vector<Statement>>> whole;  // split once, when a candidate needs it
    int line = 1;
    for (std::size_t start = 0; start < content.size(); ++line) {
        auto nl = content.find('\n', start);
        std::size_t next = nl == std::string_view::npos ? content.size() : nl + 1;
        if (is_down_marker(content.substr(start, next - start))) {
            // Inside a quote or a comment, the part before it does not split on its own.
            std::string_view up = content.substr(0, start);
            bool top_level = split_statements(up).has_value();
            if (top_level) {
                if (!whole) whole = split_statements(content);
                if (*whole)
                    for (const auto& s : **whole)
                        if (s.code_line < line && line <= s.end_line && has_code(s.text)) top_level = false;
            }
            if (top_level) {
                section.up = up;
                // Blank lines in place of the migration keep the section's lines those of the file.
                section.down = std::string(static_cast<std::size_t>(line), '\n');
                section.down->append(content.substr(next));
                section.marker_line = line;
                return section;
            }
        }
        start = next;
    }
    return section;
}

Result<std::shared_ptr<const Migration>> load_down(const MigrationFile& file, const DownSection& section) {
    if (file.down_path.empty()) return load_down_text(file, section, std::nullopt);
    auto loaded =
        util::read_project_file(file.down_path, "down migration " + util::quoted(file.down_display), file.down_display);
    if (!loaded) return fail(std::move(loaded.error()));
    std::string content = std::move(*loaded);
    return load_down_text(file, section, content);
}

Result<std::shared_ptr<const Migration>> load_down_text(const MigrationFile& file, const DownSection& section,
                                                        std::optional<std::string_view> down_file) {
    if (down_file && section.down)
        return fail(make_error(ErrorKind::config,
                               "migration " + util::quoted(file.display) + " has a down section (line " +
                                   std::to_string(section.marker_line) + ") and a down file " +
                                   util::quoted(file.down_display),
                               "keep one of them: the down file (in down/, which the Supabase CLI ignores) or the "
                               "-- sbdeploy:down section")
                        .at(file.display, section.marker_line));
    MigrationFile down = file;
    down.down_path.clear();
    down.down_display.clear();
    std::string_view content;
    if (down_file) {
        if (auto bad = check_content(*down_file)) {  // as for migrations: NUL bytes, invalid UTF-8
            bad->file = file.down_display;
            return fail(std::move(*bad));
        }
        content = *down_file;
        down.path = file.down_path;
        down.display = file.down_display;
        auto slash = file.down_display.find_last_of('/');
        down.filename = slash == std::string::npos ? file.down_display : file.down_display.substr(slash + 1);
    } else if (section.down) {
        content = *section.down;
    } else {
        return std::shared_ptr<const Migration>();
    }
    auto parsed = parse_migration(down, content);
    if (!parsed) return fail(std::move(parsed.error()));
    return std::make_shared<const Migration>(std::move(*parsed));
}

} // namespace sbdeploy::migrations
