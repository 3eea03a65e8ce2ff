// Where recorded rows go: the metrics tables over a database session (libpq or the
// Management API) or over PostgREST. Every value travels as data (query parameters or a
// JSON body), never spliced into SQL; a row whose unique key is already there is skipped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "db/session.hpp"
#include "metrics/records.hpp"
#include "net/http.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

class Writer {
public:
    virtual ~Writer() = default;
    Writer() = default;
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // "postgres" or "PostgREST at https://x.supabase.co", for messages.
    [[nodiscard]] virtual std::string describe() const = 0;
    // Inserts the rows, skipping those already recorded; returns how many were new.
    virtual Result<std::size_t> insert(const TableRows& rows) = 0;
    // Recomputes metrics.development_metrics for the UTC days from..to ("YYYY-MM-DD").
    virtual Result<void> refresh_daily(std::string_view from_date, std::string_view to_date,
                                       std::string_view environment) = 0;
};

// `batch_rows` rows a statement: COPY where the session can (libpq), and where COPY finds a
// key recorded already (or the role is under row-level security) INSERT ... SELECT * FROM
// unnest($1::text[], ...) ON CONFLICT DO NOTHING, each column one array parameter.
std::unique_ptr<Writer> session_writer(db::Session& session, std::size_t batch_rows = 10'000);

struct PostgrestSettings {
    std::string url;  // the project URL: https://<ref>.supabase.co (rows go to {url}/rest/v1/<table>)
    std::string key;  // SUPABASE_SECRET_KEY, sent as apikey and Authorization: Bearer
    std::string schema = "metrics";  // Content-Profile
    std::size_t batch_rows = 1'000;
    net::RetryPolicy retry;
    std::chrono::milliseconds timeout{30'000};
    net::RetryHooks hooks;  // tests replace the clock and sleep
};

// POST {url}/rest/v1/<table>?on_conflict=<key> with Prefer: resolution=ignore-duplicates;
// 429, 5xx and dropped connections are retried (the inserts are idempotent).
std::unique_ptr<Writer> postgrest_writer(PostgrestSettings settings);

struct WriteCount {
    std::size_t offered = 0;
    std::size_t inserted = 0;
};

struct WriteSummary {
    WriteCount prs, deployments, tests, rules;
    [[nodiscard]] std::size_t offered() const {
        return prs.offered + deployments.offered + tests.offered + rules.offered;
    }
    [[nodiscard]] std::size_t inserted() const {
        return prs.inserted + deployments.inserted + tests.inserted + rules.inserted;
    }
};

// Writes every table of `records` (empty tables are not touched).
Result<WriteSummary> write_records(Writer& writer, const Records& records);

// Rows on their way to a writer as a history is read: added as they come, written once
// `batch_rows` of them wait (memory stays bounded whatever the history's size), the rest at
// flush(). Counts what was written, and the event times it covers for the daily refresh.
class BatchWriter {
public:
    explicit BatchWriter(Writer& writer, std::size_t batch_rows = 10'000)
        : writer_(writer), batch_rows_(batch_rows == 0 ? 1 : batch_rows) {}

    // Takes the rows out of `records` (left empty) and writes every full batch.
    Result<void> add(Records& records);
    // Writes the rows still waiting.
    Result<void> flush();

    // Everything written so far.
    [[nodiscard]] const WriteSummary& written() const { return written_; }
    // The earliest and latest event time among the rows written (nothing written: none).
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> span() const;
    // Whether any deployment was written (a deployment can change an earlier day's time to
    // restore).
    [[nodiscard]] bool wrote_deployments() const { return written_.deployments.offered > 0; }

private:
    Writer& writer_;
    std::size_t batch_rows_;
    Records pending_;
    WriteSummary written_;
    std::int64_t first_ = 0;
    std::int64_t last_ = 0;
};

// Text for one cell in a Postgres array literal: "NULL" or a double-quoted element.
void append_array_element(std::string& out, const db::Value& value);

} // namespace sbdeploy::metrics
