// Real-world project shapes (tests/fixtures/projects/, see its README), each a migrations
// folder as public Supabase projects hold them: pushed by sbdeploy and by the real Supabase
// CLI 3.1.0 into fresh databases, the history rows and the schema must be identical; and a
// validate of everything after the first file must leave a database exactly as it was.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/dump.hpp"
#include "support/migration_fixtures.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"

using namespace sbdeploy::test;

namespace {

namespace fs = std::filesystem;

struct Shape {
    std::string name;
    std::vector<fs::path> files;  // in name order, as both tools read them
};

std::vector<Shape> shapes() {
    const fs::path root = fs::path(SBDEPLOY_SOURCE_DIR) / "tests" / "fixtures" / "projects";
    std::vector<Shape> out;
    for (const auto& dir : fs::directory_iterator(root)) {
        if (!dir.is_directory()) continue;
        Shape s{dir.path().filename().string(), {}};
        for (const auto& f : fs::directory_iterator(dir.path()))
            if (f.path().extension() == ".sql") s.files.push_back(f.path());
        std::sort(s.files.begin(), s.files.end());
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(), [](const Shape& a, const Shape& b) { return a.name < b.name; });
    return out;
}

void copy_into(TempProject& project, const std::vector<fs::path>& files) {
    for (const auto& f : files) project.migration(f.filename().string(), slurp(f.string()));
}

// What validate must leave alone beyond the schema and the history: every sequence's state
// (nextval in a dry run is not rolled back by the server) and the rows of the shapes' tables.
std::vector<std::string> sequences(const std::string& url) {
    return query_column(url, "SELECT schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'unused') "
                             "FROM pg_sequences ORDER BY 1");
}

} // namespace

TEST_CASE("projects: every real-world shape gives the CLI's history rows and schema") {
    const auto all = shapes();
    REQUIRE(all.size() >= 9);
    for (const auto& shape : all) {
        INFO("shape " << shape.name);
        TempProject project;
        copy_into(project, shape.files);
        const std::string by_cli = fresh_database("shape_cli");
        const std::string by_sbdeploy = fresh_database("shape_sb");
        auto cli = run_supabase({"db", "push", "--db-url", by_cli, "--yes", "--workdir", project.root().string()},
                                project.root().string());
        INFO(describe(cli));
        REQUIRE(cli.exit_code == 0);
        auto sb = run_sbdeploy({"push", "--db-url", by_sbdeploy, "--workdir", project.root().string()});
        INFO(describe(sb));
        REQUIRE(sb.exit_code == 0);
        const auto rows = history_rows(by_sbdeploy);
        CHECK(rows == history_rows(by_cli));
        CHECK_FALSE(rows.empty());
        CHECK(schema_dump(by_sbdeploy) == schema_dump(by_cli));
        CHECK(sequences(by_sbdeploy) == sequences(by_cli));
    }
}

TEST_CASE("projects: the data of statements that depend on the file's own transactions is the CLI's") {
    // claim-blocks: `set_config(..., true)` scoped by the file's begin ... end blocks.
    const std::string packages = "SELECT handle || '=' || created_by FROM app.packages ORDER BY id";
    std::vector<std::string> seen[2];
    for (int tool = 0; tool < 2; ++tool) {
        TempProject project;
        for (const auto& shape : shapes())
            if (shape.name == "claim-blocks") copy_into(project, shape.files);
        const std::string url = fresh_database("claims");
        auto r = tool == 0
                     ? run_supabase({"db", "push", "--db-url", url, "--yes", "--workdir", project.root().string()},
                                    project.root().string())
                     : run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        seen[tool] = query_column(url, packages);
    }
    CHECK(seen[1] == seen[0]);
    CHECK(seen[1] == std::vector<std::string>{"public-package=anonymous", "alice-package=alice", "bob-package=bob",
                                              "after-the-blocks="});
}

TEST_CASE("projects: validate of everything after the first file leaves the database as it was") {
    for (const auto& shape : shapes()) {
        INFO("shape " << shape.name);
        TempProject project;
        copy_into(project, {shape.files.front()});
        const std::string url = fresh_database("shape_validate");
        auto first = run_sbdeploy({"push", "--db-url", url, "--workdir", project.root().string()});
        INFO(describe(first));
        REQUIRE(first.exit_code == 0);
        copy_into(project, shape.files);
        const auto dump = schema_dump(url);
        const auto history = history_rows(url);
        const auto before = sequences(url);
        // --include-all: in mixed-widths the first file by name has the highest version.
        auto r = run_sbdeploy({"validate", "--db-url", url, "--workdir", project.root().string(), "--ignore-unmatched",
                               "--include-all", "--lint-fail-on", "never", "--json"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("\"verdict\":\"failed\"") == std::string::npos);
        CHECK(schema_dump(url) == dump);
        CHECK(history_rows(url) == history);
        CHECK(sequences(url) == before);
    }
}
