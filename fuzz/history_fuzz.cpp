// libFuzzer target: history rows from both transports, checked by shape before use
// (db::parse_history), and the row an apply request answers (db::check_recorded_row).
// The first byte picks the transport:
//   'j' (or any even byte): the rest is a Management API body, read as rows (parse_rows);
//   's' (or any odd byte): the rest is libpq-like text rows: lines ('\n') of cells ('\t'), the first line
//   the column names, a cell "\\N" a NULL; rows may be shorter or longer than the columns.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db/api_sql.hpp"
#include "db/history.hpp"

namespace {

sbdeploy::db::QueryResult text_rows(std::string_view text) {
    sbdeploy::db::QueryResult q;
    bool first = true;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        sbdeploy::db::Row row;
        for (std::size_t start = 0;;) {
            auto tab = line.find('\t', start);
            std::string_view cell =
                line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
            if (first)
                q.columns.emplace_back(cell);
            else
                row.push_back(cell == "\\N" ? sbdeploy::db::Value() : sbdeploy::db::Value(std::string(cell)));
            if (tab == std::string_view::npos) break;
            start = tab + 1;
        }
        if (!first) q.rows.push_back(std::move(row));
        first = false;
    }
    return q;
}

void check(const sbdeploy::db::QueryResult& q) {
    if (auto h = sbdeploy::db::parse_history(q)) {
        // What a caller relies on: every row has a version, and they are unique and sorted.
        for (std::size_t i = 0; i < h->size(); ++i) {
            if ((*h)[i].version.empty()) __builtin_trap();
            if (i > 0 && !((*h)[i - 1].version < (*h)[i].version)) __builtin_trap();
        }
    }
    (void)sbdeploy::db::check_recorded_row(q, "20240101000002", "two");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0) {
        if (auto rows = sbdeploy::db::parse_rows(rest)) check(*rows);
    } else {
        check(text_rows(rest));
    }
    return 0;
}
