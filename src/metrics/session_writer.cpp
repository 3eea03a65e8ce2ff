// Rows into the metrics tables over a db::Session: one statement per batch whatever the
// number of rows (two when COPY finds a key recorded already), never thousands of VALUES
// tuples nor more parameters than the table has columns.
#include <algorithm>
#include <charconv>
#include <map>
#include <span>

#include "metrics/schema.hpp"
#include "metrics/writer.hpp"
#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

// A batch goes in one of two ways, each one statement (all rows or none):
//   COPY metrics.t (...) FROM STDIN: where the session can (libpq), first;
//   INSERT ... SELECT * FROM unnest($1::text[], ...) ON CONFLICT DO NOTHING: each column one
//     array parameter, so a statement has as many parameters as the table has columns.
// COPY writes at the server's full speed but refuses the whole batch when one of its keys is
// there already (a backfill over days already recorded), twice in the batch, or committed by
// another writer meanwhile (unique_violation): that batch then goes in with the insert, which
// skips those rows (ON CONFLICT's speculative insertion costs about a third of the time of a
// fresh backfill, so it is the fallback, not the rule). The insert also writes where the
// server refuses COPY to the role (row-level security). A COPY that fails on its first rows
// costs little, and a table whose batches keep being refused is tried less and less often
// (CopyState).
struct InsertSql {
    std::string copy, insert;
};

InsertSql insert_sql(const Table& t) {
    std::string cols;
    std::string arrays;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i) {
            cols += ", ";
            arrays += ", ";
        }
        cols += t.columns[i].name;
        arrays += "$" + std::to_string(i + 1) + "::" + std::string(sql_type(t.columns[i].type)) + "[]";
    }
    const std::string table = "metrics." + std::string(t.name) + " (" + cols + ")";
    return {"copy " + table + " from stdin",
            "insert into " + table + " select * from unnest(" + arrays + ") on conflict do nothing"};
}

// One cell in COPY's text format: \N for NULL, backslash, newline, carriage return and tab escaped.
void append_copy_cell(std::string& out, const db::Value& value) {
    if (!value) {
        out += "\\N";
        return;
    }
    for (char c : *value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += c;
        }
    }
}

// "INSERT 0 17" or "COPY 17" -> 17.
std::size_t inserted_count(std::string_view status) {
    auto space = status.rfind(' ');
    if (space == std::string_view::npos) return 0;
    std::size_t n = 0;
    std::from_chars(status.data() + space + 1, status.data() + status.size(), n);
    return n;
}

class SessionWriter final : public Writer {
public:
    SessionWriter(db::Session& session, std::size_t batch_rows)
        : session_(session), batch_rows_(batch_rows == 0 ? 1 : batch_rows) {}

    [[nodiscard]] std::string describe() const override { return session_.describe(); }

    Result<std::size_t> insert(const TableRows& rows) override {
        const Table& t = *rows.table;
        const InsertSql sql = insert_sql(t);
        std::size_t inserted = 0;
        CopyState& copy = copy_[t.name];
        for (std::size_t begin = 0; begin < rows.rows(); begin += batch_rows_) {
            const std::size_t end = std::min(rows.rows(), begin + batch_rows_);
            auto result = [&]() -> Result<db::QueryResult> {
                if (session_.can_copy() && copy.try_next()) {
                    auto copied = session_.copy_in(sql.copy, copy_data(rows, begin, end));
                    if (copied) copy.succeeded();
                    if (copied || !copy.refused(copied.error().sqlstate)) return copied;
                }
                // The Management API answers rows but no command status: there the inserted
                // rows are counted from RETURNING.
                return session_.exec_params(session_.can_copy() ? sql.insert : sql.insert + " returning 1",
                                            array_params(rows, begin, end));
            }();
            if (!result)
                return fail(database_error(std::move(result.error()), "writing metrics." + std::string(t.name)));
            inserted += result->command_status.empty() ? result->rows.size() : inserted_count(result->command_status);
        }
        return inserted;
    }

    Result<void> refresh_daily(std::string_view from, std::string_view to, std::string_view environment) override {
        db::Value params[] = {std::string(from), std::string(to), std::string(environment)};
        auto r = session_.exec_params("select metrics.refresh_development_metrics($1::date, $2::date, $3)", params);
        if (!r) return fail(database_error(std::move(r.error()), "refreshing metrics.development_metrics"));
        return {};
    }

private:
    // Rows begin..end in COPY's text format (the buffer is reused from batch to batch).
    std::string_view copy_data(const TableRows& rows, std::size_t begin, std::size_t end) {
        const std::size_t width = rows.table->columns.size();
        std::string& out = copy_buffer_;
        out.clear();
        for (std::size_t r = begin; r < end; ++r) {
            for (std::size_t c = 0; c < width; ++c) {
                if (c) out += '\t';
                append_copy_cell(out, rows.cells[r * width + c]);
            }
            out += '\n';
        }
        return out;
    }

    // Rows begin..end as one array literal a column.
    std::span<const db::Value> array_params(const TableRows& rows, std::size_t begin, std::size_t end) {
        const std::size_t width = rows.table->columns.size();
        params_.resize(width);
        for (std::size_t c = 0; c < width; ++c) {
            if (!params_[c]) params_[c].emplace();
            std::string& a = *params_[c];  // reused: its memory stays from batch to batch
            a.clear();
            std::size_t size = 2;
            for (std::size_t r = begin; r < end; ++r) {
                const db::Value& v = rows.cells[r * width + c];
                size += (v ? v->size() + 3 : 5);
            }
            a.reserve(size + size / 16);
            a += '{';
            for (std::size_t r = begin; r < end; ++r) {
                if (r != begin) a += ',';
                append_array_element(a, rows.cells[r * width + c]);
            }
            a += '}';
        }
        return params_;
    }

    db::Session& session_;
    std::size_t batch_rows_;
    std::vector<db::Value> params_;
    std::string copy_buffer_;
    // Whether to try COPY for a table's next batch: after a unique violation, not for the
    // next batch, then not for the next 2, 4, ... while COPY keeps being refused (a re-run
    // over recorded days wastes a few COPYs, not one a batch), and always again after one
    // that went in. Never again when the server has no COPY for us (feature_not_supported:
    // a role under row-level security).
    struct CopyState {
        std::size_t skip = 0, penalty = 1;
        bool never = false;
        bool try_next() {
            if (never) return false;
            if (skip == 0) return true;
            --skip;
            return false;
        }
        void succeeded() { penalty = 1; }
        // Whether the insert should write the batch COPY refused with `sqlstate`.
        bool refused(std::string_view sqlstate) {
            if (sqlstate == "0A000") return never = true;
            if (sqlstate != "23505") return false;
            skip = penalty;
            penalty *= 2;
            return true;
        }
    };
    std::map<std::string_view, CopyState, std::less<>> copy_;  // by table
};

} // namespace

void append_array_element(std::string& out, const db::Value& value) {
    if (!value) {
        out += "NULL";
        return;
    }
    out += '"';
    for (char c : *value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

std::unique_ptr<Writer> session_writer(db::Session& session, std::size_t batch_rows) {
    return std::make_unique<SessionWriter>(session, batch_rows);
}

Result<WriteSummary> write_records(Writer& writer, const Records& records) {
    WriteSummary s;
    auto one = [&](const TableRows& rows, WriteCount& count) -> Result<void> {
        count.offered = rows.rows();
        if (count.offered == 0) return {};
        auto n = writer.insert(rows);
        if (!n) return fail(n.error());
        count.inserted = *n;
        return {};
    };
    if (auto r = one(to_rows(std::span<const PrEvent>(records.prs)), s.prs); !r) return fail(r.error());
    if (auto r = one(to_rows(std::span<const DeploymentEvent>(records.deployments)), s.deployments); !r)
        return fail(r.error());
    if (auto r = one(to_rows(std::span<const TestRun>(records.tests)), s.tests); !r) return fail(r.error());
    if (auto r = one(to_rows(std::span<const RuleEvent>(records.rules)), s.rules); !r) return fail(r.error());
    return s;
}

Result<void> BatchWriter::add(Records& records) {
    if (pending_.empty())
        std::swap(pending_, records);
    else
        pending_.append(std::move(records));
    records.clear(); // NOLINT(bugprone-use-after-move): a moved-from Records is valid; clear() readies it for reuse
    if (pending_.size() >= batch_rows_) return flush();
    return {};
}

Result<void> BatchWriter::flush() {
    if (pending_.empty()) return {};
    auto w = write_records(writer_, pending_);
    if (!w) return fail(w.error());
    auto add = [](WriteCount& to, const WriteCount& c) {
        to.offered += c.offered;
        to.inserted += c.inserted;
    };
    const bool first_batch = written_.offered() == 0;
    add(written_.prs, w->prs);
    add(written_.deployments, w->deployments);
    add(written_.tests, w->tests);
    add(written_.rules, w->rules);
    bool seen = !first_batch;
    auto span = [&](std::int64_t t) {
        if (!seen) {
            first_ = last_ = t;
            seen = true;
        }
        first_ = std::min(first_, t);
        last_ = std::max(last_, t);
    };
    for (const auto& p : pending_.prs) span(p.event_timestamp);
    for (const auto& d : pending_.deployments) span(d.deployed_at);
    for (const auto& t : pending_.tests) span(t.run_timestamp);
    for (const auto& r : pending_.rules) span(r.event_timestamp);
    pending_.clear();
    return {};
}

std::optional<std::pair<std::int64_t, std::int64_t>> BatchWriter::span() const {
    if (written_.offered() == 0) return std::nullopt;
    return std::pair{first_, last_};
}

} // namespace sbdeploy::metrics
