#include "github/workflow_commands.hpp"

namespace sbdeploy::github {

namespace {
std::string escape(std::string_view s, bool property) {
    std::string r;
    r.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '%': r += "%25"; break;
        case '\r': r += "%0D"; break;
        case '\n': r += "%0A"; break;
        case ':': r += property ? "%3A" : ":"; break;
        case ',': r += property ? "%2C" : ","; break;
        default: r.push_back(c);
        }
    }
    return r;
}
} // namespace

std::string escape_data(std::string_view s) { return escape(s, false); }
std::string escape_property(std::string_view s) { return escape(s, true); }

std::string format_command(std::string_view name, const std::vector<std::pair<std::string, std::string>>& properties,
                           std::string_view message) {
    std::string r = "::";
    r.append(name);
    bool first = true;
    for (const auto& [key, value] : properties) {
        if (value.empty()) continue;
        r.append(first ? " " : ",");
        first = false;
        r.append(key).append("=").append(escape_property(value));
    }
    r.append("::");
    r.append(escape_data(message));
    return r;
}

} // namespace sbdeploy::github
