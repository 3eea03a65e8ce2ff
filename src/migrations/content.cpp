#include "migrations/content.hpp"

#include <cstdio>
#include <string>

namespace sbdeploy::migrations {

namespace {

// Length of the valid UTF-8 sequence at `i`, or 0 (overlong forms, surrogates and code
// points beyond U+10FFFF are invalid, as PostgreSQL's own check says).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    unsigned char c1 = b(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // UTF-16 surrogates
    if (c == 0xF0 && c1 < 0x90) return 0;   // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0;  // beyond U+10FFFF
    return len;
}

std::string hex_byte(unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", c);
    return buf;
}

Error at(int line, std::string message, std::string hint) {
    Error e = make_error(ErrorKind::config, std::move(message), std::move(hint));
    e.line = line;
    return e;
}

} // namespace

std::optional<Error> check_content(std::string_view text) {
    if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
        return at(1, "the file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8",
                  "save it as UTF-8: PostgreSQL and the Supabase CLI read migrations as UTF-8");
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        if (c == '\0')
            return at(line,
                      "a NUL byte at column " + std::to_string(column) +
                          ": PostgreSQL cannot take it, and the statement would be cut short there",
                      "remove it; NUL bytes in SQL usually mean the file was saved as UTF-16 or is not text");
        std::size_t len = utf8_sequence(text, i);
        if (len == 0)
            return at(line,
                      "not valid UTF-8: byte " + hex_byte(static_cast<unsigned char>(c)) + " at column " +
                          std::to_string(column),
                      "save the file as UTF-8; the Supabase CLI would replace the byte with U+FFFD and so change the "
                      "SQL");
        if (c == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += len;
    }
    return std::nullopt;
}

} // namespace sbdeploy::migrations
