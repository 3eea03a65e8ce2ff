#include "migrations/seed.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "migrations/content.hpp"
#include "migrations/rollback.hpp"
#include "util/glob.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

namespace fs = std::filesystem;

// ---- Just enough TOML to find one key: keys, tables, strings, arrays, inline tables ----

class TomlReader {
public:
    TomlReader(std::string_view text, const std::string& display) : s_(text), display_(display) {}

    Result<std::optional<std::vector<std::string>>> find(const std::vector<std::string>& wanted) {
        std::vector<std::string> table;
        while (true) {
            skip_blank_lines();
            if (eof()) return std::optional<std::vector<std::string>>();
            if (peek() == '[') {
                ++i_;
                bool array_table = !eof() && peek() == '[';
                if (array_table) ++i_;
                auto key = read_key();
                if (!key) return fail(std::move(key.error()));
                if (!take(']') || (array_table && !take(']'))) return fail(error("expected ] to close the table header"));
                table = std::move(*key);
            } else {
                auto key = read_key();
                if (!key) return fail(std::move(key.error()));
                skip_spaces();
                if (!take('=')) return fail(error("expected = after the key"));
                skip_spaces();
                std::vector<std::string> full = table;
                full.insert(full.end(), key->begin(), key->end());
                if (full == wanted) {
                    auto values = read_string_array();
                    if (!values) return fail(std::move(values.error()));
                    return std::optional<std::vector<std::string>>(std::move(*values));
                }
                if (auto skipped = skip_value(); !skipped) return fail(std::move(skipped.error()));
            }
            skip_spaces();
            if (!eof() && peek() == '#') skip_comment();
            if (!eof() && peek() != '\n' && !(peek() == '\r' && next_is('\n')))
                return fail(error("expected the end of the line"));
        }
    }

private:
    [[nodiscard]] bool eof() const { return i_ >= s_.size(); }
    [[nodiscard]] char peek() const { return s_[i_]; }
    [[nodiscard]] bool next_is(char c) const { return i_ + 1 < s_.size() && s_[i_ + 1] == c; }
    [[nodiscard]] bool at(std::string_view what) const { return s_.substr(i_, what.size()) == what; }
    bool take(char c) {
        if (eof() || peek() != c) return false;
        ++i_;
        return true;
    }
    void advance() {
        if (s_[i_] == '\n') ++line_;
        ++i_;
    }
    void skip_spaces() {
        while (!eof() && (peek() == ' ' || peek() == '\t')) ++i_;
    }
    void skip_comment() {
        while (!eof() && peek() != '\n') ++i_;
    }
    // Spaces, newlines and comments (between statements, and inside arrays).
    void skip_blank_lines() {
        while (!eof()) {
            char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                advance();
            else if (c == '#')
                skip_comment();
            else
                break;
        }
    }
    [[nodiscard]] Error error(const std::string& message) const {
        return make_error(ErrorKind::config, display_ + ":" + std::to_string(line_) + ": " + message,
                          "fix the TOML (sbdeploy reads [db.seed] sql_paths from it, as the Supabase CLI does)")
            .at(display_, line_);
    }

    static bool bare_key_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    // a.b."c d".'e': its parts.
    Result<std::vector<std::string>> read_key() {
        std::vector<std::string> parts;
        while (true) {
            skip_spaces();
            if (eof()) return fail(error("expected a key"));
            if (peek() == '"' || peek() == '\'') {
                auto part = read_string();
                if (!part) return fail(std::move(part.error()));
                parts.push_back(std::move(*part));
            } else {
                std::size_t start = i_;
                while (!eof() && bare_key_char(peek())) ++i_;
                if (start == i_) return fail(error("expected a key"));
                parts.emplace_back(s_.substr(start, i_ - start));
            }
            skip_spaces();
            if (!take('.')) return parts;
        }
    }

    static void append_utf8(std::string& out, unsigned long cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    // "basic", 'literal', and their """multi-line""" and '''multi-line''' forms.
    Result<std::string> read_string() {
        const char quote = peek();
        const bool multi = at(quote == '"' ? "\"\"\"" : "'''");
        i_ += multi ? 3 : 1;
        if (multi && !eof() && peek() == '\n') advance();  // a newline right after the opening is dropped
        else if (multi && at("\r\n")) i_ += 2, ++line_;
        std::string out;
        while (true) {
            if (eof()) return fail(error("the string is not closed"));
            char c = peek();
            if (multi && at(quote == '"' ? "\"\"\"" : "'''")) {
                i_ += 3;
                // Up to two quotes right before the closing ones belong to the string.
                for (int extra = 0; extra < 2 && !eof() && peek() == quote; ++extra, ++i_) out.push_back(quote);
                return out;
            }
            if (!multi && c == quote) {
                ++i_;
                return out;
            }
            if (!multi && c == '\n') return fail(error("the string is not closed on its line"));
            if (quote == '"' && c == '\\') {
                ++i_;
                if (eof()) return fail(error("the string is not closed"));
                char e = peek();
                ++i_;
                switch (e) {
                case 'b': out.push_back('\b'); break;
                case 't': out.push_back('\t'); break;
                case 'n': out.push_back('\n'); break;
                case 'f': out.push_back('\f'); break;
                case 'r': out.push_back('\r'); break;
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case 'u':
                case 'U': {
                    std::size_t digits = e == 'u' ? 4 : 8;
                    if (i_ + digits > s_.size()) return fail(error("bad \\" + std::string(1, e) + " escape"));
                    unsigned long cp = 0;
                    for (std::size_t k = 0; k < digits; ++k) {
                        char h = s_[i_ + k];
                        int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                        if (v < 0) return fail(error("bad \\" + std::string(1, e) + " escape"));
                        cp = cp * 16 + static_cast<unsigned long>(v);
                    }
                    i_ += digits;
                    append_utf8(out, cp);
                    break;
                }
                default:
                    if (multi && (e == '\n' || e == ' ' || e == '\t' || e == '\r')) {
                        // A line-ending backslash trims the whitespace that follows.
                        --i_;
                        while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) advance();
                        break;
                    }
                    return fail(error("bad escape \\" + std::string(1, e) + " in a string"));
                }
                continue;
            }
            out.push_back(c);
            advance();
        }
    }

    Result<std::vector<std::string>> read_string_array() {
        if (!take('[')) return fail(error("sql_paths must be an array of strings, such as [\"./seed.sql\"]"));
        std::vector<std::string> values;
        while (true) {
            skip_blank_lines();
            if (take(']')) return values;
            if (eof() || (peek() != '"' && peek() != '\''))
                return fail(error("sql_paths must be an array of strings, such as [\"./seed.sql\"]"));
            auto v = read_string();
            if (!v) return fail(std::move(v.error()));
            values.push_back(std::move(*v));
            skip_blank_lines();
            if (take(']')) return values;
            if (!take(',')) return fail(error("expected , or ] in the array"));
        }
    }

    // Any value: strings, arrays, inline tables, and bare ones (numbers, booleans, dates).
    Result<void> skip_value() {
        if (eof()) return fail(error("expected a value"));
        char c = peek();
        if (c == '"' || c == '\'') {
            auto v = read_string();
            if (!v) return fail(std::move(v.error()));
            return {};
        }
        if (c == '[' || c == '{') {
            const char close = c == '[' ? ']' : '}';
            ++i_;
            while (true) {
                if (close == ']') skip_blank_lines(); else skip_spaces();
                if (take(close)) return {};
                if (close == '}') {
                    auto key = read_key();
                    if (!key) return fail(std::move(key.error()));
                    skip_spaces();
                    if (!take('=')) return fail(error("expected = in the inline table"));
                    skip_spaces();
                }
                if (auto inner = skip_value(); !inner) return inner;
                if (close == ']') skip_blank_lines(); else skip_spaces();
                if (take(close)) return {};
                if (!take(',')) return fail(error(std::string("expected , or ") + close));
            }
        }
        std::size_t start = i_;
        while (!eof() && peek() != '\n' && peek() != '#' && peek() != ',' && peek() != ']' && peek() != '}') {
            // A date-time may hold one space ("1979-05-27 07:32:00"); a trailing space ends it.
            if ((peek() == ' ' || peek() == '\t') && (i_ + 1 >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))))
                break;
            ++i_;
        }
        if (start == i_) return fail(error("expected a value"));
        return {};
    }

    std::string_view s_;
    const std::string& display_;
    std::size_t i_ = 0;
    int line_ = 1;
};

bool has_glob_chars(std::string_view segment) {
    return segment.find_first_of("*?[{\\") != std::string_view::npos;
}

// The files under `workdir` that `pattern` (relative to it, "/" separated) matches, sorted.
Result<std::vector<std::string>> match_files(const std::string& workdir, const std::string& pattern) {
    if (!has_glob_chars(pattern)) {
        std::error_code ec;
        if (fs::is_regular_file(fs::path(workdir) / pattern, ec)) return std::vector<std::string>{pattern};
        return std::vector<std::string>{};
    }
    auto glob = util::Glob::compile(pattern);
    if (!glob) {
        Error e = std::move(glob.error());
        e.message = "seed path " + util::quoted(pattern) + ": " + e.message;
        return fail(std::move(e));
    }
    // Walk from the literal folders before the first pattern segment; without ** no deeper
    // than the pattern's segments.
    auto segments = util::split(pattern, '/');
    std::string base;
    std::size_t literal = 0;
    while (literal + 1 < segments.size() && !has_glob_chars(segments[literal]))
        base += (base.empty() ? "" : "/") + segments[literal++];
    const bool deep = pattern.find("**") != std::string::npos;
    const int max_depth = static_cast<int>(segments.size() - literal) - 1;

    std::vector<std::string> matches;
    std::error_code ec;
    const fs::path root = base.empty() ? fs::path(workdir) : fs::path(workdir) / base;
    if (!fs::is_directory(root, ec)) return matches;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        if (!deep && it.depth() >= max_depth && it->is_directory(ec)) it.disable_recursion_pending();
        if (!it->is_regular_file(ec)) continue;
        std::string rel = it->path().lexically_relative(root).generic_string();
        if (!base.empty()) rel = base + "/" + rel;
        if (glob->matches(rel)) matches.push_back(std::move(rel));
    }
    std::sort(matches.begin(), matches.end());
    return matches;
}

Result<SeedFile> load_seed(const std::string& workdir, const std::string& rel) {
    SeedFile seed;
    seed.path = (fs::path(workdir) / rel).string();
    seed.display = rel;
    std::string content, err;
    if (!util::read_file(seed.path, content, err))
        return fail(make_error(ErrorKind::config, "cannot read seed file " + util::quoted(rel) + ": " + err,
                               "check the file's permissions")
                        .at(rel));
    if (auto bad = check_content(content)) {  // as for migrations: NUL bytes, invalid UTF-8
        bad->file = rel;
        return fail(std::move(*bad));
    }
    seed.hash = util::sha256_hex(content);
    if (seed.hash.empty()) return fail(ErrorKind::io, "cannot hash seed file " + util::quoted(rel) + ": libcrypto failed");
    auto slash = rel.find_last_of('/');
    std::string filename = slash == std::string::npos ? rel : rel.substr(slash + 1);
    std::string name = filename.ends_with(".sql") ? filename.substr(0, filename.size() - 4) : filename;
    auto sql = parse_migration(MigrationFile{"", name, filename, seed.path, rel, {}, {}}, content);
    if (!sql) return fail(std::move(sql.error()));
    seed.sql = std::move(*sql);
    return seed;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

Error seed_error(const SeedFile& seed, const std::vector<std::size_t>& item_to_statement, std::size_t setup,
                 const db::BatchFailure& f) {
    if (f.index != db::BatchFailure::unknown_index && f.index >= setup && f.index - setup < item_to_statement.size()) {
        Error e = locate_failure(seed.sql, item_to_statement[f.index - setup], f.error);
        e.hint = "fix the seed file and run again: nothing of it was applied (the migrations were)";
        return e;
    }
    Error e = f.error;
    e.message = "seeding " + util::quoted(seed.display) + " failed: " + e.message +
                (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    e.file = seed.display;
    e.column = 0;
    if (e.hint.empty()) e.hint = "nothing of the seed file was applied (the migrations were); run again";
    return e;
}

} // namespace

Result<std::optional<std::vector<std::string>>> parse_seed_paths(std::string_view toml, const std::string& display) {
    if (toml.starts_with("\xEF\xBB\xBF")) toml.remove_prefix(3);
    TomlReader reader(toml, display);
    return reader.find({"db", "seed", "sql_paths"});
}

Result<SeedListing> list_seed_files(const std::string& workdir, std::span<const std::string> patterns) {
    SeedListing listing;
    std::set<std::string> seen;
    for (const auto& written : patterns) {
        const fs::path p(written);
        if (written.empty() || p.is_absolute())
            return fail(ErrorKind::config,
                        "seed path " + util::quoted(written) + " in [db.seed] sql_paths is " +
                            (written.empty() ? "empty" : "absolute"),
                        "write it relative to the supabase folder, such as \"./seed.sql\" or \"./seeds/*.sql\"");
        // As the CLI joins it: relative to supabase/, cleaned, relative to the project root.
        std::string pattern = (fs::path("supabase") / p).lexically_normal().generic_string();
        if (pattern == ".." || pattern.starts_with("../") || pattern == ".")
            return fail(ErrorKind::config, "seed path " + util::quoted(written) + " is outside the project",
                        "keep seed files inside the project; sql_paths are relative to the supabase folder");
        auto matches = match_files(workdir, pattern);
        if (!matches) return fail(std::move(matches.error()));
        if (matches->empty()) listing.unmatched.push_back(pattern);
        for (const auto& rel : *matches) {
            if (!seen.insert(rel).second) continue;
            auto seed = load_seed(workdir, rel);
            if (!seed) return fail(std::move(seed.error()));
            listing.files.push_back(std::move(*seed));
        }
    }
    return listing;
}

std::vector<PendingSeed> pending_seeds(std::span<const SeedFile> files, std::span<const db::SeedRow> recorded) {
    std::map<std::string_view, std::string_view> hashes;
    for (const auto& r : recorded) hashes.emplace(r.path, r.hash);
    std::vector<PendingSeed> pending;
    for (const auto& f : files) {
        auto it = hashes.find(f.display);
        if (it == hashes.end())
            pending.push_back({&f, SeedChange::new_file});
        else if (it->second != f.hash)
            pending.push_back({&f, SeedChange::changed});
    }
    return pending;
}

Result<double> apply_seed(db::Session& session, const SeedFile& seed, CreateTable create, const Settings& settings) {
    auto start = std::chrono::steady_clock::now();
    std::deque<std::string> storage;
    auto items = transaction_prologue(session, settings, storage);
    if (create == CreateTable::yes)
        for (auto st : db::seed_table_statements()) items.push_back({st, {}});
    const std::size_t setup = items.size();
    const Migration& m = seed.sql;

    if (m.plan.mode == FileMode::non_transactional) {
        auto before = session.exec_batch(items, db::BatchMode::atomic);
        if (!before) return fail(seed_error(seed, {}, setup, before.error()));
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto r = session.exec(m.statements[i].text);
            if (!r) {
                Error e = locate_failure(m, i, r.error());
                e.hint = "the seed file cannot run in a transaction: the statements before this one stay done and its "
                         "hash is not recorded; fix it and run again";
                return fail(std::move(e));
            }
        }
        items.push_back(db::upsert_seed_item(seed.display, seed.hash));
        auto rec = session.exec_batch(items, db::BatchMode::atomic);
        if (!rec) return fail(seed_error(seed, {}, setup, rec.error()));
        session.take_notices();
        return elapsed_ms(start);
    }

    std::vector<std::size_t> item_to_statement;
    for (std::size_t i = 0; i < m.statements.size(); ++i) {
        if (m.plan.skip[i]) continue;
        items.push_back({m.statements[i].text, {}});
        item_to_statement.push_back(i);
    }
    const BookkeepingReset reset(settings);
    reset.append_to(items);
    items.push_back(db::upsert_seed_item(seed.display, seed.hash));
    auto r = session.exec_batch(items, db::BatchMode::atomic);
    if (!r) return fail(seed_error(seed, item_to_statement, setup, r.error()));
    session.take_notices();
    return elapsed_ms(start);
}

} // namespace sbdeploy::migrations
