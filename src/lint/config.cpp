#include "lint/config.hpp"

#include <algorithm>
#include <filesystem>

#include "util/file.hpp"
#include "util/strings.hpp"

// As in migrations/config_toml.cpp: header-only, no exceptions.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace sbdeploy::lint {

namespace {

namespace fs = std::filesystem;

constexpr const char* kHint = "see the README's \"Lint configuration\" for the [lint] table of supabase/sbdeploy.toml";
constexpr std::string_view kCommands[] = {"all", "select", "insert", "update", "delete"};

Error config_error(const std::string& display, const toml::node& at, const std::string& message,
                   const std::string& hint = kHint) {
    int line = static_cast<int>(at.source().begin.line);
    return make_error(ErrorKind::config, message, hint).at(display, line);
}

// An array of strings, or nullopt (the caller reports `shape`).
std::optional<std::vector<std::string>> strings(const toml::node& node) {
    const toml::array* array = node.as_array();
    if (!array) return std::nullopt;
    std::vector<std::string> out;
    for (const toml::node& item : *array) {
        auto s = item.value<std::string>();
        if (!item.is_string() || !s) return std::nullopt;
        out.push_back(util::to_lower(util::trim(*s)));
    }
    return out;
}

Result<void> read_levels(const toml::table& rules, const std::string& display, ProjectConfig& out) {
    for (const auto& [key, value] : rules) {
        std::string id(key.str());
        auto rule = find_rule(id);
        if (!rule) {
            auto near = nearest_rule(id);
            return fail(config_error(display, value, "[lint.rules] " + util::quoted(id) + " is not a lint rule",
                                     near.empty() ? "use a rule id from 'sbdeploy lint --help'"
                                                  : "did you mean " + util::quoted(near) + "?"));
        }
        auto text = value.value<std::string>();
        auto level = text && value.is_string() ? parse_level(*text) : parse_level("");
        if (!level)
            return fail(config_error(display, value,
                                     "[lint.rules] " + id + " must be \"error\", \"warning\" or \"off\""));
        out.levels[*rule] = *level;
    }
    return {};
}

Result<void> read_public_policies(const toml::table& tables, const std::string& display, ProjectConfig& out) {
    for (const auto& [key, value] : tables) {
        std::string table(util::trim(key.str()));
        auto commands = strings(value);
        const std::string shape =
            "[lint.public_policies] " + util::quoted(table) +
            " must be a list of commands (\"insert\", \"select\", \"update\", \"delete\", \"all\")";
        if (!commands || commands->empty()) return fail(config_error(display, value, shape));
        for (const auto& c : *commands)
            if (std::find(std::begin(kCommands), std::end(kCommands), c) == std::end(kCommands))
                return fail(config_error(display, value, shape));
        if (table.find('.') == std::string::npos) table = "public." + table;
        out.public_policies[table] = std::move(*commands);
    }
    return {};
}

}  // namespace

Result<ProjectConfig> parse_project_config(std::string_view text, const std::string& display) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    auto parsed = toml::parse(text, std::string_view(display));
    if (!parsed) {
        int line = static_cast<int>(parsed.error().source().begin.line);
        return fail(
            make_error(ErrorKind::config, std::string(parsed.error().description()), "fix the TOML").at(display, line));
    }
    ProjectConfig config;
    const toml::node* lint = parsed.table().get("lint");
    if (!lint) return config;
    const toml::table* table = lint->as_table();
    if (!table) return fail(config_error(display, *lint, "lint must be a table: [lint]"));
    for (const auto& [key, value] : *table) {
        std::string name(key.str());
        if (name == "exposed_schemas") {
            auto schemas = strings(value);
            if (!schemas)
                return fail(config_error(display, value,
                                         "exposed_schemas must be a list of schema names, such as [\"public\"]"));
            config.exposed_schemas = std::move(*schemas);
        } else if (name == "rules" && value.is_table()) {
            if (auto ok = read_levels(*value.as_table(), display, config); !ok) return fail(ok.error());
        } else if (name == "public_policies" && value.is_table()) {
            if (auto ok = read_public_policies(*value.as_table(), display, config); !ok) return fail(ok.error());
        } else {
            return fail(config_error(display, value,
                                     "[lint] " + util::quoted(name) +
                                         " is not a setting (exposed_schemas, [lint.rules], [lint.public_policies])"));
        }
    }
    return config;
}

Result<ProjectConfig> load_project_config(const std::string& workdir) {
    const std::string display(kProjectConfigPath);
    const fs::path path = fs::path(workdir) / display;
    std::error_code ec;
    if (!fs::exists(path, ec)) return ProjectConfig{};
    auto loaded = util::read_project_file(path.string(), util::quoted(display), display);
    if (!loaded) return fail(std::move(loaded.error()));
    std::string text = std::move(*loaded);
    return parse_project_config(text, display);
}

void apply_project_config(const ProjectConfig& project, Config& config) {
    if (config.rules.enabled.empty()) config.rules = *rule_set({});
    for (const auto& [rule, level] : project.levels) {
        if (level == Level::off)
            config.rules.enabled[static_cast<std::size_t>(rule)] = false;
        else
            config.severity[rule] = level == Level::error ? Severity::error : Severity::warning;
    }
    for (const auto& [table, commands] : project.public_policies) config.public_policies[table] = commands;
    if (project.exposed_schemas) config.exposed_schemas = *project.exposed_schemas;
}

}  // namespace sbdeploy::lint
