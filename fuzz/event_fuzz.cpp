// libFuzzer target: GitHub event payloads (github::parse_event), with and without an event
// name. Any input must give an Event or an input Error, never a crash, leak or UB.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "github/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (std::string_view name : {"", "push", "pull_request", "workflow_dispatch", "merge_group", "workflow_run"}) {
        auto event = sbdeploy::github::parse_event(text, name);
        if (!event && event.error().kind != sbdeploy::ErrorKind::input) __builtin_trap();
    }
    return 0;
}
