#include "util/env.hpp"

extern char** environ;

namespace sbdeploy::util {

Environment Environment::from_process() {
    std::map<std::string, std::string, std::less<>> vars;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return Environment(std::move(vars));
}

std::optional<std::string> Environment::get(std::string_view name) const {
    auto it = vars_.find(name);
    if (it == vars_.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
    auto v = get(name);
    return v ? *v : std::string(fallback);
}

} // namespace sbdeploy::util
