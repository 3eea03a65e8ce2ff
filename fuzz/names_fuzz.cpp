// libFuzzer target: migration file names (<version>_<name>.sql). A name that parses must
// give back digits only as the version, and version + "_" + name + ".sql" must be the input;
// a down file's name (<version>_<name>.down.sql) gives the name of the migration it undoes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "migrations/down.hpp"
#include "migrations/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view name(reinterpret_cast<const char*>(data), size);
    std::string version, rest;
    if (auto up = sbdeploy::migrations::up_name_of_down(name)) {
        if (!name.ends_with(sbdeploy::migrations::kDownSuffix)) __builtin_trap();
        if (!up->ends_with(".sql") ||
            up->substr(0, up->size() - 4) + std::string(sbdeploy::migrations::kDownSuffix) != name)
            __builtin_trap();
    }
    (void)sbdeploy::migrations::is_down_marker(name);
    if (!sbdeploy::migrations::parse_migration_name(name, version, rest)) return 0;
    if (version.empty() || version.find_first_not_of("0123456789") != std::string::npos) __builtin_trap();
    if (version + "_" + rest + ".sql" != name) __builtin_trap();
    return 0;
}
