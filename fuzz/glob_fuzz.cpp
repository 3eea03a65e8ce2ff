// libFuzzer target: the glob matcher. The input is a pattern, a NUL, then paths separated
// by newlines; compiling and matching must never crash, and a pattern always matches itself
// when it has no special characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/glob.hpp"
#include "util/strings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto nul = text.find('\0');
    std::string_view pattern = text.substr(0, nul);
    std::string_view rest = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
    auto glob = sbdeploy::util::Glob::compile(pattern);
    if (glob) {
        for (const auto& path : sbdeploy::util::split(rest, '\n')) (void)glob->matches(path);
        const bool plain = pattern.find_first_of("*?[]{}\\!+@()|,.") == std::string_view::npos && !pattern.empty() &&
                           pattern.front() != '/';
        if (plain && !glob->matches(pattern)) __builtin_trap();
    }
    // The same text as lines of a filter list.
    auto list = sbdeploy::util::GlobList::parse(sbdeploy::util::split(pattern, '\n'));
    if (list)
        for (const auto& path : sbdeploy::util::split(rest, '\n')) (void)list->matches(path);
    return 0;
}
