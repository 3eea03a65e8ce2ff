// metrics prune --archive: the rows it deletes, and only those, are in the archive (JSON
// Lines, gzip for .gz) before they are gone; an archive that cannot be written deletes
// nothing, and an existing file is never overwritten.
#include <zlib.h>

#include <set>

#include "integration/metrics_support.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

// Two rows of each event table from 2024 (to prune), one of each from now (to keep), and a
// daily row of 2024.
std::string seeded() {
    const std::string url = metrics_database("metrics_archive");
    query_column(url, R"SQL(
insert into metrics.pr_events (repository, pr_number, event_type, event_timestamp, pr_title) values
 ('octo/app', 1, 'merged', '2024-05-20T10:00:00Z', 'it''s "old"'), ('octo/app', 2, 'created', '2024-05-21T10:00:00Z', null),
 ('octo/app', 3, 'opened', now(), 'new');
insert into metrics.deployment_events (repository, environment, status, deployed_at, source, source_id) values
 ('octo/app', 'production', 'success', '2024-05-20T10:00:00Z', 'sbdeploy', 'd1'),
 ('octo/app', 'production', 'failure', '2024-05-21T10:00:00Z', 'sbdeploy', 'd2'),
 ('octo/app', 'production', 'success', now(), 'sbdeploy', 'd3');
insert into metrics.test_runs (repository, run_id, test_type, source, run_timestamp, total_tests, passed_tests, failed_tests, skipped_tests) values
 ('octo/app', '1', 'unit', 'a.xml', '2024-05-21T10:00:00Z', 10, 9, 1, 0), ('octo/app', '2', 'unit', 'a.xml', '2024-05-22T10:00:00Z', 1, 1, 0, 0),
 ('octo/app', '3', 'unit', 'a.xml', now(), 1, 1, 0, 0);
insert into metrics.rule_compliance_events (repository, rule_name, rule_category, compliance_status, context_type, context_id, subject, event_timestamp) values
 ('octo/app', 'branch-naming', 'branching', 'compliant', 'pull_request', '1', 'feature/a', '2024-05-20T10:00:00Z'),
 ('octo/app', 'branch-naming', 'branching', 'violation', 'pull_request', '2', 'wip', '2024-05-21T10:00:00Z'),
 ('octo/app', 'branch-naming', 'branching', 'compliant', 'pull_request', '3', 'fix/b', now());
select metrics.refresh_development_metrics('2024-05-20', '2024-05-20');
)SQL");
    return url;
}

// What the database holds of the rows to prune, as the archive should hold them.
std::multiset<std::string> old_rows(const std::string& url) {
    auto rows = query_column(url, R"SQL(
select json_build_object('table', 'pr_events', 'row', to_jsonb(x))::jsonb::text from metrics.pr_events x where event_timestamp < '2025-01-01'
union all select json_build_object('table', 'deployment_events', 'row', to_jsonb(x))::jsonb::text from metrics.deployment_events x where deployed_at < '2025-01-01'
union all select json_build_object('table', 'test_runs', 'row', to_jsonb(x))::jsonb::text from metrics.test_runs x where run_timestamp < '2025-01-01'
union all select json_build_object('table', 'rule_compliance_events', 'row', to_jsonb(x))::jsonb::text from metrics.rule_compliance_events x where event_timestamp < '2025-01-01'
union all select json_build_object('table', 'development_metrics', 'row', to_jsonb(x))::jsonb::text from metrics.development_metrics x where metric_date < '2025-01-01')SQL");
    return {rows.begin(), rows.end()};
}

// The archive's lines, normalized by the database (jsonb text) to compare with old_rows().
std::multiset<std::string> archived(const std::string& url, const std::string& text) {
    std::multiset<std::string> out;
    for (std::size_t at = 0; at < text.size();) {
        auto nl = text.find('\n', at);
        REQUIRE(nl != std::string::npos);  // every line ends with a newline
        std::string line = text.substr(at, nl - at);
        std::string quoted;
        for (char c : line) quoted += c == '\'' ? std::string("''") : std::string(1, c);
        out.insert(query_column(url, "select '" + quoted + "'::jsonb::text").at(0));
        at = nl + 1;
    }
    return out;
}

std::string gunzip(const std::string& path) {
    gzFile gz = gzopen(path.c_str(), "rb");
    REQUIRE(gz != nullptr);
    std::string out;
    char buf[4096];
    for (int n; (n = gzread(gz, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    CHECK(gzclose(gz) == Z_OK);
    return out;
}

long total(const std::string& url) {
    return count(url, "pr_events") + count(url, "deployment_events") + count(url, "test_runs") +
           count(url, "rule_compliance_events") + count(url, "development_metrics");
}

} // namespace

TEST_CASE("metrics prune --archive: the archive holds exactly the deleted rows, as JSON Lines or gzip") {
    for (const std::string name : {"archive.jsonl", "archive.jsonl.gz"}) {
        CAPTURE(name);
        const std::string url = seeded();
        const auto expected = old_rows(url);
        REQUIRE(expected.size() == 9);  // 2 + 2 + 2 + 2 + 1 daily row
        TempDir dir;
        const std::string path = dir.path(name);
        auto r = run_sbdeploy({"metrics", "prune", "--older-than", "30d", "--archive", path, "--db-url", url});
        INFO(describe(r));
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("metrics prune: deleted 9 rows from before ") == 0);
        CHECK(r.out.find(", archived to " + path + "\n") != std::string::npos);
        const std::string text = name.ends_with(".gz") ? gunzip(path) : read_all(path);
        if (name.ends_with(".gz")) CHECK(read_all(path).substr(0, 2) == "\x1f\x8b");
        CHECK(archived(url, text) == expected);
        CHECK(old_rows(url).empty());
        CHECK(total(url) == 4);  // today's rows stay
    }
}

TEST_CASE("metrics prune --archive: an archive that cannot be written deletes nothing") {
    const std::string url = seeded();
    TempDir dir;
    SUBCASE("a folder that does not exist") {
        auto r = run_sbdeploy({"metrics", "prune", "--older-than", "30d", "--archive", dir.path("no/such/a.jsonl"),
                               "--db-url", url});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: metrics prune: archive " + dir.path("no/such/a.jsonl") +
                           ": No such file or directory\nhint: check that its folder exists and is writable (nothing "
                           "was deleted)\n");
    }
    SUBCASE("an existing file is never overwritten") {
        const std::string path = dir.write("a.jsonl", "earlier archive\n");
        auto r = run_sbdeploy({"metrics", "prune", "--older-than", "30d", "--archive", path, "--db-url", url});
        INFO(describe(r));
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("sbdeploy: error: metrics prune: archive " + path + " exists already\n") == 0);
        CHECK(read_all(path) == "earlier archive\n");
    }
    SUBCASE("--dry-run has nothing to archive") {
        auto r = run_sbdeploy({"metrics", "prune", "--older-than", "30d", "--dry-run", "--archive", dir.path("a.jsonl"),
                               "--db-url", url});
        CHECK(r.exit_code == 2);
    }
    CHECK(total(url) == 13);
}
