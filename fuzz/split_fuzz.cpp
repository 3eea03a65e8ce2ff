// libFuzzer target: migration contents: the encoding check, the statement splitter (the
// Supabase CLI's rules), the statement classifier, the error position mapping, and the
// `-- sbdeploy:down` section split.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "migrations/classify.hpp"
#include "migrations/content.hpp"
#include "migrations/down.hpp"
#include "migrations/split.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)sbdeploy::migrations::check_content(text);
    auto section = sbdeploy::migrations::split_down_section(text);
    if (!text.starts_with(section.up)) __builtin_trap();
    if (section.down && (section.marker_line < 1 || section.down->size() > text.size())) __builtin_trap();
    auto statements = sbdeploy::migrations::split_statements(text);
    if (!statements) return 0;
    std::vector<sbdeploy::migrations::StatementKind> kinds;
    for (const auto& s : *statements) {
        if (s.line < 1 || s.end_line < s.line || s.code_line < s.line || s.code_line > s.end_line) __builtin_trap();
        kinds.push_back(sbdeploy::migrations::classify_statement(s.text));
        for (int position : {0, 1, static_cast<int>(s.text.size()), static_cast<int>(s.text.size()) + 5}) {
            auto where = sbdeploy::migrations::position_in_file(s, position);
            if (where.line < s.line) __builtin_trap();
        }
    }
    (void)sbdeploy::migrations::plan_file(kinds);
    return 0;
}
