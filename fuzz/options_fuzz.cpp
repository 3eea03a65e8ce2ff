// libFuzzer target: command-line and environment option parsing. The input is split at NUL
// bytes into arguments; lines of the form SBDEPLOY_X=value in the first argument become the
// environment. Each input is parsed as a command taking every option, and as one taking a
// few; any input gives Options or a usage Error, and durations and integers parse or not.
// (The command table itself lives in cli/cli.cpp, which needs every command: not linked here.)
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/options.hpp"
#include "util/strings.hpp"

namespace {

const std::vector<std::string_view>& every_option() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> v;
        for (const auto& spec : sbdeploy::cli::option_table()) v.push_back(spec.name);
        return v;
    }();
    return names;
}

constexpr std::string_view kFew[] = {"db-url", "expect", "json", "connect-timeout", "health-header", "last"};

} // namespace

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
    for (std::span<const std::string_view> allowed :
         {std::span<const std::string_view>(every_option()), std::span<const std::string_view>(kFew)}) {
        auto options = sbdeploy::cli::parse_options("push", allowed, parts, env);
        if (!options) {
            if (options.error().kind != sbdeploy::ErrorKind::usage) __builtin_trap();
            continue;
        }
        for (auto name : allowed) {
            (void)options->get(name);
            (void)options->duration_ms(name, 0);
            (void)options->integer(name, 0, -5, 5);
            (void)options->list(name);
            (void)options->source(name);
        }
    }
    for (const auto& p : parts) (void)sbdeploy::cli::parse_duration_ms(p);
    return 0;
}
