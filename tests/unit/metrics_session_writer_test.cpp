// The session writer's choice between COPY and INSERT ... ON CONFLICT DO NOTHING, against a
// session that records what it is sent and refuses COPY as told (the real server's answers
// are in tests/integration/metrics_writer_test.cpp).
#include <functional>

#include <doctest/doctest.h>

#include "metrics/writer.hpp"

using namespace sbdeploy;
using namespace sbdeploy::metrics;

namespace {

class ScriptedSession final : public db::Session {
public:
    bool copies = true;
    // The SQLSTATE the n-th COPY (0-based) fails with; empty: it goes in.
    std::function<std::string(int)> copy_refusal = [](int) { return std::string(); };
    std::vector<std::string> sent;  // "copy pr_events 3" / "insert pr_events 3": statement, table, rows

    [[nodiscard]] std::string describe() const override { return "scripted"; }
    Result<db::QueryResult> exec(std::string_view) override { return db::QueryResult{}; }
    Result<db::QueryResult> exec_params(std::string_view sql, std::span<const db::Value> params) override {
        // The first array parameter has one element a row.
        const std::string& first = params.front().value();
        std::size_t rows = first == "{}" ? 0 : 1;
        for (char c : first) rows += c == ',';
        sent.push_back("insert " + table_of(sql) + " " + std::to_string(rows));
        return status("INSERT 0 " + std::to_string(rows));
    }
    std::expected<std::size_t, db::BatchFailure> exec_batch(std::span<const db::BatchItem> items,
                                                            db::BatchMode) override {
        return items.size();
    }
    std::vector<std::string> take_notices() override { return {}; }
    [[nodiscard]] int backend_pid() const override { return 0; }
    [[nodiscard]] bool can_copy() const override { return copies; }
    Result<db::QueryResult> copy_in(std::string_view sql, std::string_view data) override {
        std::size_t rows = 0;
        for (char c : data) rows += c == '\n';
        sent.push_back("copy " + table_of(sql) + " " + std::to_string(rows));
        if (std::string state = copy_refusal(copy_count_++); !state.empty()) {
            Error e = make_error(ErrorKind::database, "refused");
            e.sqlstate = state;
            return fail(std::move(e));
        }
        return status("COPY " + std::to_string(rows));
    }

private:
    static db::QueryResult status(std::string text) {
        db::QueryResult r;
        r.command_status = std::move(text);
        return r;
    }
    static std::string table_of(std::string_view sql) {
        auto at = sql.find("metrics.") + 8;
        return std::string(sql.substr(at, sql.find(' ', at) - at));
    }
    int copy_count_ = 0;
};

std::vector<PrEvent> events(std::size_t n) {
    std::vector<PrEvent> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        out[i].repository = "octo/app";
        out[i].pr_number = static_cast<long>(i + 1);
        out[i].event_type = "opened";
        out[i].event_timestamp = 1717200000;
        out[i].title = "line one\nline two\twith a tab";  // escaped: still one line of COPY data
    }
    return out;
}

std::vector<std::string> write(ScriptedSession& session, std::size_t rows, std::size_t batch_rows) {
    auto writer = session_writer(session, batch_rows);
    auto all = events(rows);
    auto n = writer->insert(to_rows(std::span<const PrEvent>(all)));
    REQUIRE_MESSAGE(n, (n ? "" : n.error().message));
    CHECK(*n == rows);
    return session.sent;
}

} // namespace

TEST_CASE("metrics session writer: every batch by COPY while COPY goes in") {
    ScriptedSession s;
    CHECK(write(s, 7, 3) == std::vector<std::string>{"copy pr_events 3", "copy pr_events 3", "copy pr_events 1"});
}

TEST_CASE("metrics session writer: a batch COPY refuses for a key goes in by insert, and COPY is tried less often") {
    ScriptedSession s;
    s.copy_refusal = [](int) { return std::string("23505"); };  // every key recorded already
    // Refused: insert. Then 1 batch without COPY, a refused try, 2 without, a try, 4 without ...
    CHECK(write(s, 10, 1) == std::vector<std::string>{"copy pr_events 1", "insert pr_events 1", "insert pr_events 1",
                                                      "copy pr_events 1", "insert pr_events 1", "insert pr_events 1",
                                                      "insert pr_events 1", "copy pr_events 1", "insert pr_events 1",
                                                      "insert pr_events 1", "insert pr_events 1", "insert pr_events 1",
                                                      "insert pr_events 1"});
}

TEST_CASE("metrics session writer: a COPY that goes in again resets the wait") {
    ScriptedSession s;
    s.copy_refusal = [](int n) { return n == 0 || n == 2 ? std::string("23505") : std::string(); };
    CHECK(write(s, 6, 1) == std::vector<std::string>{"copy pr_events 1", "insert pr_events 1",  // refused
                                                     "insert pr_events 1",                      // waits 1
                                                     "copy pr_events 1",                        // goes in
                                                     "copy pr_events 1", "insert pr_events 1",  // refused
                                                     "insert pr_events 1",                      // waits 1, not 2
                                                     "copy pr_events 1"});
}

TEST_CASE("metrics session writer: COPY refused as unsupported (row-level security) is not tried again") {
    ScriptedSession s;
    s.copy_refusal = [](int) { return std::string("0A000"); };
    CHECK(write(s, 3, 1) == std::vector<std::string>{"copy pr_events 1", "insert pr_events 1", "insert pr_events 1",
                                                     "insert pr_events 1"});
}

TEST_CASE("metrics session writer: any other COPY failure is the error, with no insert after it") {
    ScriptedSession s;
    s.copy_refusal = [](int) { return std::string("42P01"); };
    auto writer = session_writer(s, 2);
    auto all = events(3);
    auto n = writer->insert(to_rows(std::span<const PrEvent>(all)));
    REQUIRE_FALSE(n);
    CHECK(n.error().message == "metrics: writing metrics.pr_events: refused (SQLSTATE 42P01)");
    CHECK(s.sent == std::vector<std::string>{"copy pr_events 2"});
}

TEST_CASE("metrics session writer: a session without COPY (the Management API) inserts") {
    ScriptedSession s;
    s.copies = false;
    CHECK(write(s, 5, 2) == std::vector<std::string>{"insert pr_events 2", "insert pr_events 2", "insert pr_events 1"});
}
