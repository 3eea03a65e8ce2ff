#include "support/dump.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/pg.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

namespace {

// PGBINDIR from the fixture's state file (tests/pg/start).
std::string bindir() {
    const char* state = std::getenv("SBDEPLOY_TEST_PG_STATE");
    if (state == nullptr || *state == '\0')
        throw std::runtime_error("SBDEPLOY_TEST_PG_STATE is not set: run through ctest");
    std::ifstream in(state);
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("PGBINDIR=")) return line.substr(9);
    throw std::runtime_error(std::string("no PGBINDIR in ") + state);
}

bool history_exists(const std::string& url) {
    return query_column(url, "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL") ==
           std::vector<std::string>{"t"};
}

} // namespace

std::string schema_dump(const std::string& url) {
    util::ProcessSpec spec;
    spec.program = bindir() + "/pg_dump";
    spec.args = {"--schema-only", "-d", url};
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    auto r = util::run_process(spec);
    if (!r) throw std::runtime_error("cannot run pg_dump: " + r.error().message);
    if (!r->ok()) throw std::runtime_error("pg_dump failed: " + r->err);
    // pg_dump 15.14+ brackets the dump with \restrict KEY / \unrestrict KEY, a random key.
    std::string out;
    std::size_t start = 0;
    while (start < r->out.size()) {
        auto end = r->out.find('\n', start);
        end = end == std::string::npos ? r->out.size() : end + 1;
        std::string_view line(r->out.data() + start, end - start);
        if (!line.starts_with("\\restrict ") && !line.starts_with("\\unrestrict ")) out.append(line);
        start = end;
    }
    return out;
}

std::vector<std::string> history_rows(const std::string& url) {
    if (!history_exists(url)) return {};
    return query_column(url,
                        "SELECT version || '|' || coalesce(name, '') || '|' || coalesce(to_json(statements)::text, '') "
                        "FROM supabase_migrations.schema_migrations ORDER BY version");
}

std::vector<std::string> history_versions(const std::string& url) {
    if (!history_exists(url)) return {};
    return query_column(url, "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version");
}

} // namespace sbdeploy::test
