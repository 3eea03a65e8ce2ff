// libFuzzer target: Management API responses: rows (a JSON array of objects), error bodies
// and the error messages whose positions map back to a statement.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "db/api_sql.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    (void)sbdeploy::db::parse_rows(body);
    auto message = sbdeploy::db::body_message(body);
    (void)sbdeploy::db::parse_query_error(message);
    (void)sbdeploy::db::parse_query_error(body);
    (void)sbdeploy::db::position_of(body, 3, 2);
    return 0;
}
