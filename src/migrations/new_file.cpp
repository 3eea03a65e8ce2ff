#include "migrations/new_file.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include "migrations/down.hpp"
#include "migrations/files.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace fs = std::filesystem;

namespace {

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

// Endings that make <version>_<name>.sql read as something else: x.sql.sql, or the sibling
// down form <version>_<name>.down.sql.
constexpr std::string_view kBadEndings[] = {".sql", ".down"};

std::string_view bad_ending(std::string_view name) {
    for (auto e : kBadEndings)
        if (name.size() >= e.size() && util::to_lower(name.substr(name.size() - e.size())) == e) return e;
    return {};
}

Result<void> write_file(const fs::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out)
        return fail(ErrorKind::io, "cannot write " + util::quoted(path.string()),
                    "check that the folder is writable and the disk has room");
    return {};
}

} // namespace

std::string timestamp_version(std::time_t epoch_seconds) {
    std::tm tm{};
    gmtime_r(&epoch_seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

std::string bad_name_reason(std::string_view name) {
    if (util::trim(name).empty()) return "the name is empty";
    for (char c : name) {
        if (c == '/' || c == '\\') return "it contains a path separator";
        if (c == ' ' || c == '\t') return "it contains a space";
        if (static_cast<unsigned char>(c) >= 0x80) return "it contains a character that is not ASCII";
        if (!name_char(c)) return "it contains " + util::quoted(std::string(1, c));
    }
    if (name.front() == '.' || name.front() == '-') return "it starts with " + util::quoted(name.substr(0, 1));
    if (auto e = bad_ending(name); !e.empty())
        return "it ends in " + util::quoted(e) +
               (e == ".down" ? " (<version>_<name>.down.sql is read as another migration's down SQL)"
                             : " (the file would be <version>_<name>.sql.sql)");
    return {};
}

std::string suggested_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (name_char(c) && c != '.') {
            out += c;
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && (out.back() == '_' || out.front() == '-' || out.front() == '_')) {
        if (out.back() == '_')
            out.pop_back();
        else
            out.erase(0, 1);
    }
    for (auto e : {std::string_view("_sql"), std::string_view("_down")})
        if (out.size() > e.size() && util::to_lower(out).ends_with(e)) out.resize(out.size() - e.size());
    return out;
}

Result<NewFiles> write_new_migration(const std::string& dir, std::time_t now, const std::string& name,
                                     std::string_view content, std::optional<std::string_view> down_content) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return fail(ErrorKind::io, "cannot create the migrations folder " + util::quoted(dir) + ": " + ec.message());
    std::set<std::string> used;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string v, n;
        if (parse_migration_name(entry.path().filename().string(), v, n)) used.insert(v);
    }
    std::string version = timestamp_version(now);
    while (used.contains(version)) version = timestamp_version(++now);
    const std::string filename = version + "_" + name + ".sql";
    NewFiles files;
    files.version = version;
    files.up = (fs::path(dir) / filename).string();
    if (down_content) {
        auto down_dir = fs::path(dir) / kDownFolder;
        files.down = (down_dir / filename).string();
        if (fs::exists(files.down, ec))
            return fail(ErrorKind::operation, "the down file " + util::quoted(files.down) + " already exists",
                        "remove it or pick another name");
        fs::create_directories(down_dir, ec);
        if (ec) return fail(ErrorKind::io, "cannot create " + util::quoted(down_dir.string()) + ": " + ec.message());
    }
    if (auto ok = write_file(files.up, content); !ok) return fail(ok.error());
    if (down_content)
        if (auto ok = write_file(files.down, *down_content); !ok) return fail(ok.error());
    return files;
}

} // namespace sbdeploy::migrations
