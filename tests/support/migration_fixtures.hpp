// Migration fixtures shared by the push and interop tests: a file that fails on a known line,
// writing a list of files into a project, and the statements a history row holds next to
// the golden ones the Supabase CLI stored (tests/fixtures/split/*.json).
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/pg.hpp"
#include "support/project.hpp"

namespace sbdeploy::test {

// Fails on its line 7: the statement spans lines 5-7 and the error position is on 7.
inline constexpr const char* kFailsOnLine7 = "create table half_done (id int);\n"
                                             "insert into half_done values (1);\n"
                                             "-- the statement below fails on its last line\n"
                                             "\n"
                                             "insert into half_done (id)\n"
                                             "  select id\n"
                                             "  from missing_table;\n";

struct MigrationSource {
    std::string name;  // <version>_<name>.sql
    std::string sql;
};

inline void write_all(TempProject& project, const std::vector<MigrationSource>& files) {
    for (const auto& f : files) project.migration(f.name, f.sql);
}

// The `statements` of a version's history row, in order.
inline std::vector<std::string> stored_statements(const std::string& url, const std::string& version) {
    return query_column(url, "SELECT s FROM supabase_migrations.schema_migrations, unnest(statements) WITH ORDINALITY "
                             "AS u(s, n) WHERE version = '" +
                                 version + "' ORDER BY n");
}

// The statements the Supabase CLI stored for `source` (its .json beside it).
inline std::vector<std::string> golden_statements(const std::filesystem::path& source) {
    std::filesystem::path json = source;
    json.replace_extension(".json");
    std::string text = slurp(json.string());
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    REQUIRE_MESSAGE((!doc.HasParseError() && doc.IsArray()), json.string() << " is not a JSON array of strings");
    std::vector<std::string> out;
    for (const auto& item : doc.GetArray()) {
        REQUIRE(item.IsString());
        out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
}

} // namespace sbdeploy::test
