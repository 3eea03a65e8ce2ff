// The archive of a prune: DELETE ... RETURNING every table's rows as JSON in one statement
// (one snapshot), written out, synced, and only then COMMIT.
#include "metrics/prune_archive.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sbdeploy::metrics {

namespace {

Error io_error(const std::string& path, const std::string& what) {
    return make_error(ErrorKind::io, "metrics prune: archive " + path + ": " + what,
                      "check that its folder exists and is writable (nothing was deleted)");
}

class PlainFile final : public LineSink {
public:
    PlainFile(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
    ~PlainFile() override {
        if (f_) std::fclose(f_);
    }
    Result<void> write(std::string_view line) override {
        if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fputc('\n', f_) == EOF)
            return fail(io_error(path_, std::strerror(errno)));
        return {};
    }
    Result<void> close() override {
        bool ok = std::fflush(f_) == 0 && ::fsync(fileno(f_)) == 0;
        int err = errno;
        ok = std::fclose(f_) == 0 && ok;
        f_ = nullptr;
        if (!ok) return fail(io_error(path_, std::strerror(err ? err : errno)));
        return {};
    }

private:
    std::string path_;
    std::FILE* f_;
};

class GzipFile final : public LineSink {
public:
    GzipFile(std::string path, gzFile gz, int sync_fd) : path_(std::move(path)), gz_(gz), sync_fd_(sync_fd) {}
    ~GzipFile() override {
        if (gz_) gzclose(gz_);
        if (sync_fd_ >= 0) ::close(sync_fd_);
    }
    Result<void> write(std::string_view line) override {
        if (!line.empty() && gzwrite(gz_, line.data(), static_cast<unsigned>(line.size())) <= 0)
            return fail(io_error(path_, gz_message()));
        if (gzputc(gz_, '\n') == -1) return fail(io_error(path_, gz_message()));
        return {};
    }
    Result<void> close() override {
        int rc = gzclose(gz_);
        gz_ = nullptr;
        bool synced = ::fsync(sync_fd_) == 0;
        ::close(sync_fd_);
        sync_fd_ = -1;
        if (rc != Z_OK)
            return fail(io_error(path_, "gzip: could not finish the file (error " + std::to_string(rc) + ")"));
        if (!synced) return fail(io_error(path_, std::strerror(errno)));
        return {};
    }

private:
    std::string gz_message() {
        int code = 0;
        const char* m = gzerror(gz_, &code);
        return code == Z_ERRNO ? std::string(std::strerror(errno)) : std::string(m ? m : "gzip error");
    }
    std::string path_;
    gzFile gz_;
    int sync_fd_;
};

} // namespace

Result<std::unique_ptr<LineSink>> create_archive(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            return fail(ErrorKind::usage, "metrics prune: archive " + path + " exists already",
                        "name a new file (an archive is never overwritten), e.g. metrics-archive-2025-01-01.jsonl.gz");
        return fail(io_error(path, std::strerror(errno)));
    }
    if (path.ends_with(".gz")) {
        int sync_fd = ::dup(fd);
        gzFile gz = sync_fd < 0 ? nullptr : gzdopen(fd, "wb");
        if (gz == nullptr) {
            ::close(fd);
            if (sync_fd >= 0) ::close(sync_fd);
            return fail(io_error(path, "gzip: could not open the file"));
        }
        return std::unique_ptr<LineSink>(new GzipFile(path, gz, sync_fd));
    }
    std::FILE* f = ::fdopen(fd, "wb");
    if (f == nullptr) {
        ::close(fd);
        return fail(io_error(path, std::strerror(errno)));
    }
    return std::unique_ptr<LineSink>(new PlainFile(path, f));
}

Result<PruneCounts> prune_archived(db::Session& session, std::int64_t cutoff, LineSink& sink) {
    if (session.scope() != db::Scope::session)
        return fail(ErrorKind::config,
                    "metrics prune --archive needs a direct Postgres connection: " + session.describe() +
                        " cannot keep the deletion open while the archive is written",
                    "pass --db-url (or SBDEPLOY_PRODUCTION_DB_URL) instead of --project-ref");
    // Every table's deleted rows come from one statement: one snapshot of all of them.
    static constexpr std::string_view kSql =
        "with c as (select to_timestamp($1::bigint) as t),"
        " p as (delete from metrics.pr_events x where event_timestamp < (select t from c) returning x),"
        " d as (delete from metrics.deployment_events x where deployed_at < (select t from c) returning x),"
        " r as (delete from metrics.test_runs x where run_timestamp < (select t from c) returning x),"
        " k as (delete from metrics.rule_compliance_events x where event_timestamp < (select t from c) returning x),"
        " m as (delete from metrics.development_metrics x"
        "       where metric_date < ((select t from c) at time zone 'UTC')::date returning x)"
        " select 0, json_build_object('table', 'pr_events', 'row', to_jsonb(x))::text from p"
        " union all select 1, json_build_object('table', 'deployment_events', 'row', to_jsonb(x))::text from d"
        " union all select 2, json_build_object('table', 'test_runs', 'row', to_jsonb(x))::text from r"
        " union all select 3, json_build_object('table', 'rule_compliance_events', 'row', to_jsonb(x))::text from k"
        " union all select 4, json_build_object('table', 'development_metrics', 'row', to_jsonb(x))::text from m";
    if (auto begun = session.exec("begin"); !begun)
        return fail(database_error(std::move(begun.error()), "pruning the metrics tables"));
    auto rollback = [&](Error e) {
        (void)session.exec("rollback");
        return fail(std::move(e));
    };
    const db::Value params[] = {std::to_string(cutoff)};
    auto res = session.exec_params(kSql, params);
    if (!res) return rollback(database_error(std::move(res.error()), "pruning the metrics tables"));
    PruneCounts counts;
    long* slots[] = {&counts.prs, &counts.deployments, &counts.tests, &counts.rules, &counts.daily};
    for (const auto& row : res->rows) {
        if (row.size() != 2 || !row[0] || !row[1] || row[0]->size() != 1 || (*row[0])[0] < '0' || (*row[0])[0] > '4')
            return rollback(make_error(ErrorKind::database,
                                       "metrics: pruning the metrics tables: unexpected answer from the server"));
        ++*slots[(*row[0])[0] - '0'];
        if (auto w = sink.write(*row[1]); !w) return rollback(std::move(w.error()));
    }
    if (auto closed = sink.close(); !closed) return rollback(std::move(closed.error()));
    if (auto committed = session.exec("commit"); !committed)
        return fail(database_error(std::move(committed.error()),
                                   "pruning the metrics tables (the archive holds rows that "
                                   "were not deleted)"));
    return counts;
}

} // namespace sbdeploy::metrics
