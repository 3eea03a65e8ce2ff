#include "migrations/digest.hpp"

#include "util/sha256.hpp"

namespace sbdeploy::migrations {

namespace {

// "<length>:<text>" per statement: no list of statements hashes like another one.
template <class Texts, class Text>
std::string digest(const Texts& items, Text text) {
    std::string framed;
    for (const auto& item : items) {
        const std::string& t = text(item);
        framed += std::to_string(t.size());
        framed += ':';
        framed += t;
    }
    return util::sha256_hex(framed);
}

} // namespace

std::string statements_digest(std::span<const Statement> statements) {
    return digest(statements, [](const Statement& s) -> const std::string& { return s.text; });
}

std::string statements_digest(std::span<const std::string> texts) {
    return digest(texts, [](const std::string& s) -> const std::string& { return s; });
}

} // namespace sbdeploy::migrations
