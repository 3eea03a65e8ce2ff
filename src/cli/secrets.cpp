#include "cli/secrets.hpp"

#include "db/conninfo.hpp"

namespace sbdeploy::cli {

namespace {
constexpr std::string_view kSecretVariables[] = {
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_SECRET_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_DB_PASSWORD",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "PGPASSWORD",
    "SBDEPLOY_GITHUB_TOKEN",  // paths-filter-migrations' token input (dorny/paths-filter's name)
};

bool is_url_variable(std::string_view name) {
    return name.starts_with("SBDEPLOY_") && (name.ends_with("_DB_URL") || name.ends_with("_URL"));
}

void add_url(std::vector<std::string>& out, std::string_view url) {
    // An http(s) URL (the PostgREST or health-check address) is not a secret; only a password
    // written into it is. Anything else is a database URL or conninfo string.
    if (url.starts_with("http://") || url.starts_with("https://")) {
        auto rest = url.substr(url.find("//") + 2);
        auto at = rest.find('@');
        auto slash = rest.find('/');
        if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return;
        auto userinfo = rest.substr(0, at);
        if (auto colon = userinfo.find(':'); colon != std::string_view::npos && colon + 1 < userinfo.size())
            out.emplace_back(userinfo.substr(colon + 1));
        return;
    }
    for (auto& s : db::conninfo_secrets(url)) out.push_back(std::move(s));
}
} // namespace

std::vector<std::string> collect_secrets(const util::Environment& env, const Options* options) {
    std::vector<std::string> out;
    for (auto name : kSecretVariables)
        if (auto v = env.get(name)) out.push_back(*v);
    for (const auto& [name, value] : env.all()) {
        if (value.empty()) continue;
        if (is_url_variable(name)) add_url(out, value);
        if (name.starts_with("SBDEPLOY_") &&
            (name.ends_with("_TOKEN") || name.ends_with("_KEY") || name.ends_with("_PASSWORD")))
            out.push_back(value);
    }
    if (options != nullptr) {
        for (const auto& spec : option_table()) {
            if (spec.secret != Secret::yes) continue;
            for (const auto& v : options->list(spec.name)) {
                if (spec.name.ends_with("url"))
                    add_url(out, v);
                else
                    out.push_back(v);
            }
        }
    }
    return out;
}

} // namespace sbdeploy::cli
