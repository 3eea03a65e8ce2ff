// libFuzzer target: database URLs and keyword=value strings. Parsing must not crash, and
// neither the description used in messages nor a parse error may contain the password.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/conninfo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (text.find('\0') != std::string_view::npos) return 0;  // not representable in argv or env
    auto info = sbdeploy::db::parse_conninfo(text);
    auto secrets = sbdeploy::db::conninfo_secrets(text);
    auto described = sbdeploy::db::describe_conninfo(text);
    if (info) {
        const std::string password = info->get("password");
        // A password of a few characters may occur in the host or database name by chance.
        if (password.size() >= 6 && described.find(password) != std::string::npos) __builtin_trap();
    } else if (text.size() >= 6 && info.error().message.find(text) != std::string::npos) {
        __builtin_trap();
    }
    for (const auto& host : {std::string_view("localhost"), text}) (void)sbdeploy::db::is_local_host(host);
    return 0;
}
