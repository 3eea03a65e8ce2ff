// A snapshot of environment variables. Modules take one as an argument instead of
// calling getenv, so tests can hand them any environment they like.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sbdeploy::util {

class Environment {
public:
    Environment() = default;
    explicit Environment(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}

    // The environment of this process.
    static Environment from_process();

    // The value, or nothing when unset. An empty value counts as unset, as the runner
    // passes unset action inputs as empty strings.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] std::string get_or(std::string_view name, std::string_view fallback) const;
    void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
    [[nodiscard]] const std::map<std::string, std::string, std::less<>>& all() const { return vars_; }

private:
    std::map<std::string, std::string, std::less<>> vars_;
};

} // namespace sbdeploy::util
