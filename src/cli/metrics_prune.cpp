// metrics prune: deletes (or, with --dry-run, counts) the metrics rows older than
// --older-than, optionally archiving them first (--archive); a line on the console, outputs,
// and a step summary that opens with the outcome.
#include <filesystem>

#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "github/summary.hpp"
#include "metrics/prune_archive.hpp"
#include "metrics/schema.hpp"
#include "metrics/time.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

struct PruneRequest {
    std::int64_t cutoff = 0;  // rows before this UTC day start go
    bool dry = false;
    std::optional<std::string> archive;
};

Result<PruneRequest> prune_request(const Context& ctx) {
    auto text = ctx.options.get("older-than");
    if (!text)
        return fail(ErrorKind::usage, "metrics prune: --older-than is required",
                    "say what to keep, e.g. --older-than 730d (two years)");
    auto age = metrics::parse_age_seconds(util::trim(*text));
    if (!age || *age < 86'400)
        return fail(ErrorKind::usage, "option --older-than: " + util::quoted(*text) + " is not an age of a day or more",
                    "write it as 730d, 104w or 90 (days)");
    PruneRequest r{metrics::day_start(now_seconds() - *age), ctx.options.flag("dry-run"), ctx.options.get("archive")};
    if (r.archive && r.dry)
        return fail(ErrorKind::usage, "metrics prune: --archive and --dry-run together",
                    "a dry run deletes nothing, so there is nothing to archive: drop one of them");
    return r;
}

// The prune with its archive; a failed prune leaves no archive behind (its rows are still
// in the database).
Result<metrics::PruneCounts> prune_to_archive(db::Session& session, std::int64_t cutoff, const std::string& path) {
    TRY_ASSIGN(auto sink, metrics::create_archive(path));
    auto counts = metrics::prune_archived(session, cutoff, *sink);
    if (!counts) {
        sink.reset();
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
    return counts;
}

struct Pruned {
    PruneRequest req;
    metrics::PruneCounts counts;
};

Result<Pruned> prune_rows(Context& ctx) {
    TRY_ASSIGN(auto req, prune_request(ctx));
    TRY_ASSIGN(auto session, open_metrics_session(ctx));
    const auto mode = req.dry ? metrics::PruneMode::count_only : metrics::PruneMode::delete_rows;
    TRY_ASSIGN(auto counts, req.archive ? prune_to_archive(*session, req.cutoff, *req.archive)
                                        : metrics::prune(*session, req.cutoff, mode));
    return Pruned{std::move(req), counts};
}

struct TableCount {
    const char* table;
    long rows;
};

std::vector<TableCount> by_table(const metrics::PruneCounts& c) {
    return {{"pr_events", c.prs},
            {"deployment_events", c.deployments},
            {"test_runs", c.tests},
            {"rule_compliance_events", c.rules},
            {"development_metrics", c.daily}};
}

std::string prune_line(const PruneRequest& req, const metrics::PruneCounts& c) {
    std::string tables;
    for (const auto& t : by_table(c))
        tables += (tables.empty() ? "" : ", ") + std::string(t.table) + " " + std::to_string(t.rows);
    return std::string("metrics prune: ") + (req.dry ? "would delete " : "deleted ") +
           util::plural(static_cast<std::size_t>(c.total()), "row") + " from before " +
           metrics::format_date(req.cutoff) + " (" + tables + ")" +
           (req.archive ? ", archived to " + *req.archive : std::string());
}

Report prune_report(const PruneRequest& req, const metrics::PruneCounts& c) {
    Report rep;
    rep.set("deleted", req.dry ? "0" : std::to_string(c.total()));
    rep.set("cutoff", metrics::format_date(req.cutoff));
    const std::string title = req.dry ? "metrics prune (dry run)" : "metrics prune";
    const std::string before = " from before " + metrics::format_date(req.cutoff);
    if (c.total() == 0) {
        rep.headline = md::headline(md::Outcome::skipped, title, md::text("no row" + before + ": nothing to delete"));
        return rep;
    }
    const std::string rows = md::count(static_cast<std::size_t>(c.total()), "row");
    rep.headline = md::headline(md::Outcome::passed, title,
                                md::text(rows + (req.dry ? " would be deleted" : " deleted") + before) +
                                    (req.archive ? ", archived to " + md::code(*req.archive) : std::string()));
    md::Table t({"table", "rows"}, {md::Align::left, md::Align::right});
    for (const auto& tc : by_table(c))
        if (tc.rows)
            t.row({md::Cell::code("metrics." + std::string(tc.table)), md::Cell::text(std::to_string(tc.rows))});
    rep.summary = t.render();
    return rep;
}

} // namespace

int run_metrics_prune(Context& ctx) {
    auto pruned = prune_rows(ctx);
    if (!pruned) return report(ctx, pruned.error());
    const auto& [req, counts] = *pruned;
    ctx.console.line(prune_line(req, counts));
    if (ctx.json)
        ctx.out << "{\"deleted\":" << (req.dry ? 0 : counts.total()) << ",\"matching\":" << counts.total()
                << ",\"cutoff\":\"" << metrics::format_date(req.cutoff) << "\"}\n";
    return finish(ctx, prune_report(req, counts), 0);
}

} // namespace sbdeploy::cli
