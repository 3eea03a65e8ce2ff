// Rows as the writers send them: texts exactly as given (quotes, emoji, SQL, backslashes)
// inside Postgres array literals, NULL for empty texts, NUL characters replaced.
#include <doctest/doctest.h>

#include "metrics/records.hpp"
#include "metrics/writer.hpp"

using namespace sbdeploy;
using namespace sbdeploy::metrics;

TEST_CASE("metrics records: array elements quote every text and escape quotes and backslashes") {
    std::string out;
    append_array_element(out, std::nullopt);
    out += ',';
    append_array_element(out, std::string("it's \"quoted\" \\ {a,b} NULL 🚀'); DROP TABLE x; --"));
    out += ',';
    append_array_element(out, std::string("NULL"));
    out += ',';
    append_array_element(out, std::string(""));
    CHECK(out == "NULL,\"it's \\\"quoted\\\" \\\\ {a,b} NULL 🚀'); DROP TABLE x; --\",\"NULL\",\"\"");
}

TEST_CASE("metrics records: texts and numbers as the database reads them") {
    CHECK(text_value("") == std::nullopt);
    CHECK(text_value("a") == db::Value("a"));
    CHECK(text_value(std::string_view("a\0b", 3)) == db::Value("a\xEF\xBF\xBD"
                                                               "b"));
    CHECK(decimal_text(12.5) == "12.5");
    CHECK(decimal_text(3) == "3");
    CHECK(decimal_text(0.0004) == "0");
    CHECK(decimal_text(-0.0001) == "0");
    CHECK(decimal_text(1.23456) == "1.235");
}

TEST_CASE("metrics records: pr_events rows in table column order") {
    PrEvent e;
    e.repository = "o/r";
    e.pr_number = 7;
    e.event_type = "merged";
    e.event_timestamp = 1557933633;
    e.title = "feat: x";
    e.pr_created_at = 1557933600;
    e.cycle_time_seconds = 33;
    auto rows = to_rows(std::span<const PrEvent>(&e, 1));
    REQUIRE(rows.rows() == 1);
    REQUIRE(rows.table->columns.size() == 11);
    std::vector<db::Value> expected = {"o/r",        "7",          "merged",     "2019-05-15T15:20:33Z", "feat: x",
                                       std::nullopt, std::nullopt, std::nullopt, "2019-05-15T15:20:00Z", "33",
                                       std::nullopt};
    CHECK(rows.cells == expected);
    CHECK(std::vector<std::string_view>(rows.table->key.begin(), rows.table->key.end()) ==
          std::vector<std::string_view>{"repository", "pr_number", "event_type", "event_timestamp"});
}

namespace {

// A writer that remembers each statement's rows and says every row with an odd PR number
// (or rule context) already exists.
class FakeWriter final : public Writer {
public:
    std::vector<std::pair<std::string, std::size_t>> calls;  // table, rows
    bool fail_next = false;

    [[nodiscard]] std::string describe() const override { return "fake"; }
    Result<std::size_t> insert(const TableRows& rows) override {
        if (fail_next)
            return fail(ErrorKind::database, "metrics: writing metrics." + std::string(rows.table->name) + ": boom");
        calls.emplace_back(std::string(rows.table->name), rows.rows());
        std::size_t inserted = 0;
        const std::size_t width = rows.table->columns.size();
        const std::size_t key = rows.table->name == "pr_events" ? 1 : 5;  // pr_number, context_id
        for (std::size_t r = 0; r < rows.rows(); ++r)
            if (std::stol(*rows.cells[r * width + key]) % 2 == 0) ++inserted;
        return inserted;
    }
    Result<void> refresh_daily(std::string_view, std::string_view, std::string_view) override { return {}; }
};

Records prs(long from, long to, std::int64_t at) {
    Records r;
    for (long n = from; n <= to; ++n) {
        PrEvent e;
        e.repository = "o/r";
        e.pr_number = n;
        e.event_type = "opened";
        e.event_timestamp = at + n;
        r.prs.push_back(e);
        RuleEvent rule;
        rule.repository = "o/r";
        rule.rule_name = "conventional-title";
        rule.context_type = "pull_request";
        rule.context_id = std::to_string(n);
        rule.subject = "feat: x";
        rule.event_timestamp = at + n;
        r.rules.push_back(rule);
    }
    return r;
}

} // namespace

TEST_CASE("metrics batch writer: rows written a batch at a time, counted, and the rest at flush") {
    FakeWriter fake;
    BatchWriter batches(fake, 10);
    CHECK_FALSE(batches.span());

    // 4 + 4 rows wait; 12 more make 20 >= 10: one statement per table with all of them.
    auto a = prs(1, 2, 1000);
    REQUIRE(batches.add(a));
    CHECK(a.empty());
    auto b = prs(3, 4, 1000);
    REQUIRE(batches.add(b));
    CHECK(fake.calls.empty());
    auto c = prs(5, 10, 1000);  // straddles the boundary: written with the rest
    REQUIRE(batches.add(c));
    REQUIRE(fake.calls.size() == 2);
    CHECK(fake.calls[0] == std::pair<std::string, std::size_t>{"pr_events", 10});
    CHECK(fake.calls[1] == std::pair<std::string, std::size_t>{"rule_compliance_events", 10});
    CHECK(batches.written().offered() == 20);
    CHECK(batches.written().inserted() == 10);  // the even numbers were new

    auto d = prs(11, 13, 500);  // 6 rows wait
    REQUIRE(batches.add(d));
    CHECK(fake.calls.size() == 2);
    CHECK(batches.written().offered() == 20);
    REQUIRE(batches.flush());
    CHECK(fake.calls.size() == 4);
    CHECK(batches.written().prs.offered == 13);
    CHECK(batches.written().prs.inserted == 6);  // 2, 4, ..., 12
    CHECK(batches.written().rules.offered == 13);
    REQUIRE(batches.flush());  // nothing waits: no statement
    CHECK(fake.calls.size() == 4);
    // Event times of every row written: 500 + 11 .. 1000 + 10.
    REQUIRE(batches.span());
    CHECK(batches.span()->first == 511);
    CHECK(batches.span()->second == 1010);
    CHECK_FALSE(batches.wrote_deployments());

    // A failed write is the writer's error, and its rows are not counted.
    auto e = prs(20, 30, 0);
    fake.fail_next = true;
    auto failed = batches.add(e);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message == "metrics: writing metrics.pr_events: boom");
    CHECK(batches.written().offered() == 26);
}
