#include "migrations/config_toml.hpp"

#include <filesystem>

#include "util/file.hpp"
#include "util/strings.hpp"

// toml++ header-only and without exceptions: parse() returns a result, nothing is thrown
// across the module, and the static binary links no extra library.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace sbdeploy::migrations {

namespace {

namespace fs = std::filesystem;

constexpr const char* kHint =
    "fix the TOML (sbdeploy reads [db.seed] sql_paths and [remotes.<name>] project_id from it, "
    "as the Supabase CLI does)";

int line_of(const toml::source_region& where) { return static_cast<int>(where.begin.line); }

Error config_error(const std::string& display, int line, const std::string& message) {
    return make_error(ErrorKind::config, display + ":" + std::to_string(line) + ": " + message, kHint)
        .at(display, line);
}

// "Error while parsing array: expected comma ..." -> "array: expected comma ...".
std::string describe(std::string_view description) {
    constexpr std::string_view prefix = "Error while parsing ";
    if (description.starts_with(prefix)) description.remove_prefix(prefix.size());
    return std::string(description);
}

}  // namespace

Result<SupabaseConfig> parse_supabase_config(std::string_view text, const std::string& display) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    auto parsed = toml::parse(text, std::string_view(display));
    if (!parsed)
        return fail(config_error(display, line_of(parsed.error().source()), describe(parsed.error().description())));
    const toml::table& root = parsed.table();
    SupabaseConfig config;
    if (auto id = root["project_id"].value<std::string>()) config.project_id = std::string(util::trim(*id));

    if (const toml::node* node = root.at_path("db.seed.sql_paths").node()) {
        constexpr const char* shape = "sql_paths must be an array of strings, such as [\"./seed.sql\"]";
        const toml::array* array = node->as_array();
        if (!array) return fail(config_error(display, line_of(node->source()), shape));
        std::vector<std::string> paths;
        for (const toml::node& item : *array) {
            auto s = item.value<std::string>();
            if (!item.is_string() || !s) return fail(config_error(display, line_of(item.source()), shape));
            paths.push_back(std::move(*s));
        }
        config.seed_paths = std::move(paths);
    }

    if (const toml::node* node = root.at_path("api.schemas").node()) {
        constexpr const char* shape = "[api] schemas must be an array of strings, such as [\"public\"]";
        const toml::array* array = node->as_array();
        if (!array) return fail(config_error(display, line_of(node->source()), shape));
        std::vector<std::string> schemas;
        for (const toml::node& item : *array) {
            auto s = item.value<std::string>();
            if (!item.is_string() || !s) return fail(config_error(display, line_of(item.source()), shape));
            schemas.push_back(std::move(*s));
        }
        config.api_schemas = std::move(schemas);
    }

    if (const toml::node* node = root.get("remotes")) {
        const toml::table* remotes = node->as_table();
        if (!remotes)
            return fail(config_error(display, line_of(node->source()),
                                     "remotes must be a table of [remotes.<name>] tables"));
        for (const auto& [name, remote] : *remotes) {
            const toml::table* t = remote.as_table();
            if (!t) continue;
            const toml::node* id = t->get("project_id");
            if (!id) continue;
            auto ref = id->value<std::string>();
            if (!id->is_string() || !ref || util::trim(*ref).empty())
                return fail(config_error(display, line_of(id->source()),
                                         "[remotes." + std::string(name.str()) +
                                             "] project_id must be a project ref string"));
            config.remote_project_ids.emplace(std::string(name.str()), std::string(util::trim(*ref)));
        }
    }
    return config;
}

Result<SupabaseConfig> load_supabase_config(const std::string& workdir) {
    const std::string display(kConfigTomlPath);
    const fs::path path = fs::path(workdir) / display;
    std::error_code ec;
    if (!fs::exists(path, ec)) return SupabaseConfig{};
    auto loaded = util::read_project_file(path.string(), util::quoted(display), display);
    if (!loaded) return fail(std::move(loaded.error()));
    std::string text = std::move(*loaded);
    return parse_supabase_config(text, display);
}

}  // namespace sbdeploy::migrations
