// libFuzzer target: command-line and environment option parsing. The input is split at NUL
// bytes into arguments; lines of the form SBDEPLOY_X=value in the first argument become the
// environment. Any input gives Options or a usage Error, and durations parse or not.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "cli/options.hpp"
#include "util/strings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parts = sbdeploy::util::split(text, '\0');
    std::map<std::string, std::string, std::less<>> vars;
    if (!parts.empty()) {
        for (const auto& line : sbdeploy::util::split(parts.front(), '\n')) {
            auto eq = line.find('=');
            if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
        }
        parts.erase(parts.begin());
    }
    sbdeploy::util::Environment env(vars);
    for (const auto& command : sbdeploy::cli::command_table()) {
        auto options = sbdeploy::cli::parse_options(command.name, command.options, parts, env);
        if (!options) {
            if (options.error().kind != sbdeploy::ErrorKind::usage) __builtin_trap();
            continue;
        }
        for (auto name : command.options) {
            (void)options->duration_ms(name, 0);
            (void)options->integer(name, 0, -5, 5);
            (void)options->list(name);
        }
    }
    for (const auto& p : parts) (void)sbdeploy::cli::parse_duration_ms(p);
    return 0;
}
