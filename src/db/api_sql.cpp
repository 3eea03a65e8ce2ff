#include "db/api_sql.hpp"

#include <algorithm>

#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/strings.hpp"

namespace sbdeploy::db {

namespace {

constexpr std::string_view kSeparator = "\n;\n";

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for stray bytes).
std::size_t utf8_length(char lead) {
    auto b = static_cast<unsigned char>(lead);
    if (b < 0xC0) return 1;
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    return 4;
}

// Byte offset of the 0-based character `chars` in `text`, or npos past the end.
std::size_t byte_of_char(std::string_view text, std::size_t chars) {
    std::size_t i = 0;
    for (std::size_t seen = 0; seen < chars; ++seen) {
        if (i >= text.size()) return std::string_view::npos;
        i += utf8_length(text[i]);
    }
    return i <= text.size() ? i : std::string_view::npos;
}

int chars_between(std::string_view text, std::size_t from, std::size_t to) {
    int n = 0;
    for (std::size_t i = from; i < to && i < text.size(); i += utf8_length(text[i])) ++n;
    return n;
}

bool is_sqlstate(std::string_view s) {
    if (s.size() != 5) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
    return true;
}

// The psql-style section a line starts, if any: DETAIL, HINT, QUERY, CONTEXT.
std::string* section_of(std::string_view line, Error& e, std::string& query, std::string_view& rest) {
    struct Heading {
        std::string_view prefix;
        int field;
    };
    static constexpr Heading kHeadings[] = {{"DETAIL:  ", 0}, {"HINT:  ", 1}, {"QUERY:  ", 2}, {"CONTEXT:  ", 3}};
    for (const auto& h : kHeadings) {
        if (!line.starts_with(h.prefix)) continue;
        rest = line.substr(h.prefix.size());
        switch (h.field) {
        case 0: return &e.detail;
        case 1: return &e.hint;
        case 2: return &query;
        default: return &e.context;
        }
    }
    return nullptr;
}

} // namespace

std::string quote_literal(std::string_view text) {
    std::string r;
    r.reserve(text.size() + 3);
    r += "E'";
    for (char c : text) {
        if (c == '\'' || c == '\\') r.push_back(c);
        r.push_back(c);
    }
    r.push_back('\'');
    return r;
}

std::string inline_params(std::string_view sql, std::span<const Value> params, std::string_view name) {
    if (params.empty()) return std::string(sql);
    std::string r = "PREPARE " + std::string(name) + " AS " + std::string(sql) + std::string(kSeparator) + "EXECUTE " +
                    std::string(name) + "(";
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (i) r += ", ";
        r += params[i] ? quote_literal(*params[i]) : std::string("NULL");
    }
    r += ")" + std::string(kSeparator) + "DEALLOCATE " + std::string(name);
    return r;
}

ComposedQuery compose_batch(std::span<const BatchItem> items, BatchMode mode, std::string_view prepared_prefix) {
    ComposedQuery q;
    const bool wrap = mode == BatchMode::atomic || mode == BatchMode::rolled_back;
    std::size_t size = 32;
    for (const auto& item : items) size += item.sql.size() + kSeparator.size();
    q.text.reserve(size);
    if (wrap) q.text.append("BEGIN").append(kSeparator);
    q.items.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) q.text.append(kSeparator);
        ComposedQuery::Span span;
        span.begin = q.text.size();
        if (items[i].params.empty())
            q.text.append(items[i].sql);
        else
            q.text.append(inline_params(items[i].sql, items[i].params,
                                        std::string(prepared_prefix) + "_" + std::to_string(i + 1)));
        span.end = q.text.size();
        q.items.push_back(span);
    }
    if (wrap) q.text.append(kSeparator).append(mode == BatchMode::atomic ? "COMMIT" : "ROLLBACK");
    return q;
}

std::optional<ItemPosition> locate_position(const ComposedQuery& query, int position) {
    if (position <= 0 || query.items.empty()) return std::nullopt;
    std::size_t byte = byte_of_char(query.text, static_cast<std::size_t>(position - 1));
    if (byte == std::string_view::npos) byte = query.text.size();
    // Before the first item: our BEGIN. Between items: the end of the item before.
    if (byte < query.items.front().begin) return std::nullopt;
    std::size_t index = 0;
    for (std::size_t i = 0; i < query.items.size(); ++i)
        if (query.items[i].begin <= byte) index = i;
    const auto& span = query.items[index];
    return ItemPosition{index, chars_between(query.text, span.begin, std::min(byte, span.end)) + 1};
}

int position_of(std::string_view text, int line, int offset) {
    if (line <= 0 || offset < 0) return 0;
    // The API found the line by counting the server's character position in UTF-16 units
    // (JavaScript strings); undo exactly that.
    long utf16 = 0;
    int current = 1;
    std::size_t i = 0;
    while (current < line) {
        if (i >= text.size()) return 0;
        char c = text[i];
        std::size_t n = utf8_length(c);
        utf16 += n == 4 ? 2 : 1;
        i += n;
        if (c == '\n') ++current;
    }
    long p = utf16 + offset + 1;
    return p > 0 && p < (1L << 30) ? static_cast<int>(p) : 0;
}

QueryError parse_query_error(std::string_view message) {
    QueryError out;
    Error& e = out.error;
    e.kind = ErrorKind::connection;
    std::string_view text = util::trim(message);
    constexpr std::string_view kPrefix = "Failed to run sql query: ";
    if (text.starts_with(kPrefix)) text.remove_prefix(kPrefix.size());

    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    // "ERROR:  42P01: relation ... does not exist"
    std::string_view first = lines.front();
    auto sev = first.find(":  ");
    bool has_code = sev != std::string_view::npos && sev > 0 && first.size() >= sev + 3 + 6 &&
                    is_sqlstate(first.substr(sev + 3, 5)) && first.substr(sev + 8, 2) == ": ";
    if (!has_code) {
        e.message = std::string(text);
        return out;
    }
    e.kind = ErrorKind::database;
    e.sqlstate = std::string(first.substr(sev + 3, 5));
    e.message = std::string(first.substr(sev + 10));
    std::string query;
    std::string* current = &e.message;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        std::string_view rest;
        if (std::string* section = section_of(line, e, query, rest)) {
            current = section;
            current->assign(rest);
            continue;
        }
        // "LINE 7:   from missing_table" then spaces and a caret under the position.
        if (line.starts_with("LINE ") && i + 1 < lines.size() && out.line == 0) {
            auto colon = line.find(": ", 5);
            std::string_view digits = colon == std::string_view::npos ? std::string_view() : line.substr(5, colon - 5);
            std::string_view caret = lines[i + 1];
            auto hat = caret.find('^');
            if (!digits.empty() && digits.size() < 9 &&
                digits.find_first_not_of("0123456789") == std::string_view::npos && hat != std::string_view::npos &&
                caret.find_first_not_of(' ') == hat) {
                out.line = std::stoi(std::string(digits));
                out.offset = static_cast<int>(hat) - static_cast<int>(5 + digits.size() + 2);
                if (out.offset < 0) out.line = out.offset = 0;
                ++i;
                current = nullptr;
                continue;
            }
        }
        if (current != nullptr) current->append("\n").append(line);
    }
    for (std::string* s : {&e.message, &e.detail, &e.hint, &e.context}) {
        auto t = util::trim(*s);
        *s = std::string(t);
    }
    return out;
}

std::string body_message(std::string_view body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (!doc.HasParseError() && doc.IsObject()) {
        auto text_of = [](const rapidjson::Value& v) -> std::optional<std::string> {
            if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
            if (v.IsArray()) {
                std::string joined;
                for (const auto& item : v.GetArray())
                    if (item.IsString()) joined += (joined.empty() ? "" : "; ") + std::string(item.GetString());
                if (!joined.empty()) return joined;
            }
            return std::nullopt;
        };
        for (const char* key : {"message", "error", "msg"}) {
            auto it = doc.FindMember(key);
            if (it == doc.MemberEnd()) continue;
            if (auto t = text_of(it->value)) return *t;
            if (it->value.IsObject()) {
                auto inner = it->value.FindMember("message");
                if (inner != it->value.MemberEnd())
                    if (auto t = text_of(inner->value)) return *t;
            }
        }
    }
    std::string raw(util::trim(body));
    if (raw.size() > 300) raw = raw.substr(0, 300) + "...";
    return raw;
}

namespace {

// Reads the rows of a 2xx body as SAX events, numbers as their text (kParseNumbersAsStringsFlag:
// "1.10" stays 1.10, a numeric wider than a double keeps every digit, and no string-to-double
// conversion runs at all). A cell that is an array or object is written back as JSON with its
// numbers as they were.
class RowsReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, RowsReader> {
public:
    enum class Problem { none, not_array, first_row, row };

    QueryResult result;
    Problem problem = Problem::none;

    bool Null() { return scalar(std::nullopt); }
    bool Bool(bool b) { return nested() ? writer_.Bool(b) : scalar(std::string(b ? "t" : "f")); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
        return nested() ? writer_.RawValue(s, n, rapidjson::kNumberType) : scalar(std::string(s, n));
    }
    bool String(const char* s, rapidjson::SizeType n, bool) {
        return nested() ? writer_.String(s, n) : scalar(std::string(s, n));
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        if (nested()) return writer_.Key(s, n);
        key_.assign(s, n);
        return true;
    }
    bool StartObject() {
        if (depth_ == 1) {  // a row
            ++depth_;
            cells_.clear();
            return true;
        }
        return start_nested() && writer_.StartObject();
    }
    bool EndObject(rapidjson::SizeType) {
        if (depth_ == 2) {
            --depth_;
            return end_row();
        }
        return writer_.EndObject() && end_nested();
    }
    bool StartArray() {
        if (depth_ == 0) {
            ++depth_;
            return true;
        }
        return start_nested() && writer_.StartArray();
    }
    bool EndArray(rapidjson::SizeType) {
        if (depth_ == 1) {
            --depth_;
            return true;
        }
        return writer_.EndArray() && end_nested();
    }

private:
    bool nested() const { return depth_ > 2; }

    // A value where a row, a cell or the top-level array is expected.
    bool scalar(std::optional<std::string> value) {
        if (nested()) return writer_.Null();  // only Null() gets here nested
        if (depth_ == 2) {
            cells_.emplace_back(std::move(key_), std::move(value));
            return true;
        }
        return refuse();
    }
    bool start_nested() {
        if (depth_ < 2) return refuse();
        if (depth_ == 2) {
            buffer_.Clear();
            writer_.Reset(buffer_);
        }
        ++depth_;
        return true;
    }
    bool end_nested() {
        if (--depth_ == 2) cells_.emplace_back(std::move(key_), std::string(buffer_.GetString(), buffer_.GetSize()));
        return true;
    }
    bool refuse() {
        problem = depth_ == 0                                     ? Problem::not_array
                  : result.columns.empty() && result.rows.empty() ? Problem::first_row
                                                                  : Problem::row;
        return false;
    }
    // The first row names the columns; a later row's cells go by name (the first of a name
    // that appears twice), NULL where the row lacks one.
    bool end_row() {
        if (result.rows.empty() && result.columns.empty())
            for (const auto& cell : cells_) result.columns.push_back(cell.first);
        Row row;
        row.reserve(result.columns.size());
        for (const auto& column : result.columns) {
            auto it =
                std::find_if(cells_.begin(), cells_.end(), [&](const auto& cell) { return cell.first == column; });
            row.push_back(it == cells_.end() ? std::nullopt : it->second);
        }
        result.rows.push_back(std::move(row));
        return true;
    }

    int depth_ = 0;  // 1 inside the array of rows, 2 inside a row, 3 and more inside a cell
    std::string key_;
    std::vector<std::pair<std::string, std::optional<std::string>>> cells_;
    rapidjson::StringBuffer buffer_;
    rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

} // namespace

Result<QueryResult> parse_rows(std::string_view body) {
    RowsReader rows;
    rapidjson::Reader reader;
    rapidjson::MemoryStream stream(body.data(), body.size());
    reader.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag>(stream, rows);
    if (rows.problem == RowsReader::Problem::first_row)
        return fail(ErrorKind::connection, "the management api answered with rows that are not JSON objects");
    if (rows.problem == RowsReader::Problem::row)
        return fail(ErrorKind::connection, "the management api answered with a row that is not a JSON object");
    if (reader.GetParseErrorCode() == rapidjson::kParseErrorNumberTooBig)  // RapidJSON 1.1 reads none over 1e308
        return fail(ErrorKind::connection,
                    "the management api answered with a number over 1e308, which sbdeploy cannot read",
                    "select such a value as text (::text) in the query");
    if (reader.HasParseError())
        return fail(ErrorKind::connection, "the management api answered with something other than a JSON array of rows",
                    "check --api-url: it must be the Management API (https://api.supabase.com)");
    return std::move(rows.result);
}

} // namespace sbdeploy::db
