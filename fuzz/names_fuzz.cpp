// libFuzzer target: migration file names (<version>_<name>.sql). A name that parses must
// give back digits only as the version, and version + "_" + name + ".sql" must be the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "migrations/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    std::string version, rest;
    if (!sbdeploy::migrations::parse_migration_name(name, version, rest)) return 0;
    if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) __builtin_trap();
    if (version + "_" + rest + ".sql" != name) __builtin_trap();
    return 0;
}
