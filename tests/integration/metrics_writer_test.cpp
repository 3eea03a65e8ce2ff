// The session writer against the real PostgreSQL: a batch goes in with COPY, and with
// INSERT ... ON CONFLICT DO NOTHING when COPY fails because the batch holds a key twice,
// another writer added one of its keys meanwhile, or the role is under row-level security.
#include <chrono>
#include <thread>

#include "integration/metrics_support.hpp"
#include "metrics/writer.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;
using namespace sbdeploy::test::metrics_support;

namespace {

metrics::PrEvent opened(long number) {
    metrics::PrEvent e;
    e.repository = "octo/app";
    e.pr_number = number;
    e.event_type = "opened";
    e.event_timestamp = 1717200000 + number;
    e.title = "feat: change " + std::to_string(number);
    e.branch = "feature/change-" + std::to_string(number);
    e.base_branch = "staging";
    e.author = "octocat";
    e.run_id = "1";
    return e;
}

} // namespace

TEST_CASE("metrics writer: a batch that holds a key twice is written once, and again not at all") {
    const std::string url = metrics_database("metrics_writer_dup");
    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    auto writer = metrics::session_writer(**session);
    std::vector<metrics::PrEvent> events{opened(1), opened(1), opened(2), opened(3), opened(3)};
    events[1].title = "the same key, another title";
    for (std::size_t expected : {3u, 0u}) {
        auto n = writer->insert(metrics::to_rows(std::span<const metrics::PrEvent>(events)));
        REQUIRE_MESSAGE(n, (n ? "" : n.error().message));
        CHECK(*n == expected);
    }
    CHECK(count(url, "pr_events") == 3);
    // The first of the two rows with one key is the one kept.
    CHECK(query_column(url, "select pr_title from metrics.pr_events where pr_number = 1") ==
          std::vector<std::string>{"feat: change 1"});
}

TEST_CASE("metrics writer: a key another writer commits while the batch waits on it is skipped, the rest written") {
    const std::string url = metrics_database("metrics_writer_race");
    auto other = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(other);
    REQUIRE((*other)->exec("begin"));
    REQUIRE((*other)->exec("insert into metrics.pr_events (repository, pr_number, event_type, event_timestamp, run_id) "
                           "values ('octo/app', 2, 'opened', to_timestamp(1717200002), 'other')"));

    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    const int pid = (*session)->backend_pid();
    auto writer = metrics::session_writer(**session);
    std::vector<metrics::PrEvent> events{opened(1), opened(2), opened(3)};
    Result<std::size_t> inserted = 0;
    std::thread writing([&] {
        inserted = writer->insert(metrics::to_rows(std::span<const metrics::PrEvent>(events)));
    });
    // The plain insert waits on the other transaction's row with the same key...
    bool waiting = false;
    for (int i = 0; i < 500 && !waiting; ++i) {
        waiting =
            query_column(server_url(), "select count(*) from pg_stat_activity where pid = " + std::to_string(pid) +
                                           " and wait_event_type = 'Lock'") == std::vector<std::string>{"1"};
        if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // ...which commits: unique_violation, and the batch goes in with ON CONFLICT DO NOTHING.
    auto committed = (*other)->exec("commit");
    writing.join();
    REQUIRE(waiting);
    REQUIRE(committed);
    REQUIRE_MESSAGE(inserted, (inserted ? "" : inserted.error().message));
    CHECK(*inserted == 2);
    CHECK(query_column(
              url, "select string_agg(pr_number || ':' || run_id, ',' order by pr_number) from metrics.pr_events") ==
          std::vector<std::string>{"1:1,2:other,3:1"});
}

TEST_CASE("metrics writer: texts with tabs, newlines, backslashes and \\N, and NULL cells, arrive as they were") {
    const std::string url = metrics_database("metrics_writer_text");
    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    auto writer = metrics::session_writer(**session);
    std::vector<metrics::PrEvent> events{opened(1), opened(2)};
    events[0].title = "tab\there\nnewline\r\ncrlf \\ back\\slash \\N \"q\" 'a' \xF0\x9F\x9A\x80";
    events[1].title = "\\N";
    events[1].pr_created_at = 1717100000;
    auto n = writer->insert(metrics::to_rows(std::span<const metrics::PrEvent>(events)));
    REQUIRE_MESSAGE(n, (n ? "" : n.error().message));
    CHECK(*n == 2);
    CHECK(query_column(url, "select pr_title from metrics.pr_events order by pr_number") ==
          std::vector<std::string>{events[0].title, "\\N"});
    CHECK(query_column(
              url, "select coalesce(extract(epoch from pr_created_at)::bigint::text, 'null') from metrics.pr_events "
                   "order by pr_number") == std::vector<std::string>{"null", "1717100000"});
}

TEST_CASE("metrics writer: a role under row-level security, which COPY refuses, writes through the insert") {
    const std::string url = metrics_database("metrics_writer_rls");
    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    REQUIRE((*session)->exec("set role service_role"));
    auto writer = metrics::session_writer(**session);
    for (long first : {1L, 11L}) {  // the second batch does not try COPY again
        std::vector<metrics::PrEvent> events{opened(first), opened(first + 1)};
        auto n = writer->insert(metrics::to_rows(std::span<const metrics::PrEvent>(events)));
        REQUIRE_MESSAGE(n, (n ? "" : n.error().message));
        CHECK(*n == 2);
    }
    CHECK(count(url, "pr_events") == 4);
}
