// `metrics prune --archive`: the rows a prune deletes, written to a JSON Lines file (gzip when
// its name ends in .gz) before the deletion commits; the archive is closed and synced first,
// and a failure to write it rolls the deletion back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/session.hpp"
#include "metrics/schema.hpp"
#include "util/error.hpp"

namespace sbdeploy::metrics {

// Where archived rows go, one line each.
class LineSink {
public:
    virtual ~LineSink() = default;
    LineSink() = default;
    LineSink(const LineSink&) = delete;
    LineSink& operator=(const LineSink&) = delete;
    // Appends `line` and a newline.
    virtual Result<void> write(std::string_view line) = 0;
    // Flushes, syncs and closes: the lines are on disk when this succeeds.
    virtual Result<void> close() = 0;
};

// A new file at `path` (an existing one is never overwritten), gzip-compressed (zlib) when
// the name ends in ".gz".
Result<std::unique_ptr<LineSink>> create_archive(const std::string& path);

// Deletes the rows of every metrics table older than `cutoff` (seconds since the epoch) in
// one transaction and statement, writes each deleted row to `sink` as
// {"table":"pr_events","row":{...}}, closes the sink, and only then commits. Needs a session
// that keeps a transaction open across calls (libpq), not the Management API.
Result<PruneCounts> prune_archived(db::Session& session, std::int64_t cutoff, LineSink& sink);

} // namespace sbdeploy::metrics
