// metrics backfill: the last --days of history into the metrics schema, from the GitHub
// REST API (pull requests, deployments, workflow runs of --workflow), `git log` (commit
// subjects) and files (--pulls-file, --test-results); batched, idempotent, a progress line
// per source.
#include <algorithm>
#include <set>

#include "cli/metrics_common.hpp"
#include "cli/project.hpp"
#include "github/api.hpp"
#include "github/runner.hpp"
#include "github/summary.hpp"
#include "metrics/backfill.hpp"
#include "metrics/test_reports.hpp"
#include "metrics/time.hpp"
#include "util/file.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"
#include "version.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

// Pages of one list are bounded: 100 items a page, far beyond any 90-day window.
constexpr int kMaxPages = 500;

// One source's line: what was read, the rows offered and how many were new.
struct SourceDone {
    std::string source, read;
    std::size_t rows = 0, inserted = 0;
};

struct Backfill {
    Context& ctx;
    metrics::BatchWriter batches;
    std::int64_t since = 0;
    std::string repository;
    std::string workdir;
    std::vector<SourceDone> sources{};

    // Writes what still waits of a source and prints its line (rows and new rows since `before`).
    Result<void> done(std::string_view source, const metrics::WriteSummary& before, const std::string& read) {
        if (auto r = batches.flush(); !r) return r;
        const std::size_t offered = batches.written().offered() - before.offered();
        const std::size_t inserted = batches.written().inserted() - before.inserted();
        ctx.console.line("backfill: " + std::string(source) + ": " + read + ", " + std::to_string(offered) + " row" +
                         (offered == 1 ? "" : "s") + " (" + std::to_string(inserted) + " new)");
        sources.push_back({std::string(source), read, offered, inserted});
        return {};
    }

    // A source failed part way: what it read so far is written (a new run skips it), then the error.
    Result<void> keep(Error e) {
        if (auto r = batches.flush(); !r) return r;
        return fail(std::move(e));
    }
};

using util::plural;

Result<void> pull_requests(Backfill& b, const github::Api& api, const metrics::Rules& rules) {
    const metrics::WriteSummary before = b.batches.written();
    std::string url = "/repos/" + b.repository + "/pulls?state=all&sort=updated&direction=desc&per_page=100";
    std::size_t items = 0;
    int pages = 0;
    while (!url.empty() && pages < kMaxPages) {
        auto page = api.get(url);
        if (!page) return b.keep(page.error());
        ++pages;
        auto parsed = metrics::pulls_page(page->body, b.since, b.repository, rules);
        if (!parsed) return b.keep(parsed.error());
        items += parsed->items;
        if (auto r = b.batches.add(parsed->records); !r) return r;
        b.ctx.console.debug("backfill: pull requests page " + std::to_string(pages) + ": " +
                            std::to_string(parsed->items) + " read");
        if (parsed->reached_older) break;
        url = github::next_link(page->header("link"));
    }
    return b.done("pull requests", before,
                  plural(items, "pull request read", "pull requests read") + " (" +
                      plural(static_cast<std::size_t>(pages), "page", "pages") + ")");
}

// Commit times from the local clone, for lead times of deployments (nothing without git).
std::map<std::string, std::int64_t> local_commit_times(const Backfill& b, const std::vector<std::string>& shas) {
    if (shas.empty()) return {};
    util::ProcessSpec spec;
    spec.program = "git";
    spec.args = {"-C", b.workdir, "log", "--no-walk=unsorted", "--ignore-missing", "--format=%H%x1f%cI"};
    spec.args.insert(spec.args.end(), shas.begin(), shas.end());
    spec.env = b.ctx.env.all();
    auto r = util::run_process(spec);
    if (!r || !r->ok()) return {};
    return metrics::commit_times(r->out);
}

Result<void> deployments(Backfill& b, const github::Api& api) {
    std::string url = "/repos/" + b.repository + "/deployments?per_page=100";
    std::vector<metrics::DeploymentRef> refs;
    int pages = 0;
    while (!url.empty() && pages < kMaxPages) {
        auto page = api.get(url);
        if (!page) return fail(page.error());
        ++pages;
        bool older = false;
        auto parsed = metrics::deployments_page(page->body, b.since, older);
        if (!parsed) return fail(parsed.error());
        refs.insert(refs.end(), parsed->begin(), parsed->end());
        if (older) break;
        url = github::next_link(page->header("link"));
    }
    const metrics::WriteSummary before = b.batches.written();
    metrics::Records records;
    for (const auto& ref : refs) {
        auto statuses = api.get("/repos/" + b.repository + "/deployments/" + ref.id + "/statuses?per_page=100");
        if (!statuses) return fail(statuses.error());
        auto event = metrics::deployment_from_statuses(statuses->body, ref, b.repository);
        if (!event) return fail(event.error());
        if (*event) records.deployments.push_back(std::move(**event));
    }
    std::vector<std::string> shas;
    for (const auto& d : records.deployments)
        if (!d.commit_sha.empty()) shas.push_back(d.commit_sha);
    auto times = local_commit_times(b, shas);
    for (auto& d : records.deployments)
        if (auto it = times.find(d.commit_sha); it != times.end() && it->second <= d.deployed_at)
            d.lead_time_seconds = d.deployed_at - it->second;
    const std::size_t finished = records.deployments.size();
    if (auto r = b.batches.add(records); !r) return r;
    return b.done("deployments", before,
                  plural(refs.size(), "deployment read", "deployments read") + ", " +
                      plural(finished, "finished", "finished"));
}

Result<void> workflow_runs(Backfill& b, const github::Api& api, const std::vector<std::string>& workflows,
                           const std::function<std::string(std::string_view)>& environment_of) {
    std::string url = "/repos/" + b.repository + "/actions/runs?status=completed&per_page=100&created=%3E%3D" +
                      metrics::format_date(b.since);
    const metrics::WriteSummary before = b.batches.written();
    std::size_t items = 0;
    std::size_t found = 0;
    int pages = 0;
    while (!url.empty() && pages < kMaxPages) {
        auto page = api.get(url);
        if (!page) return b.keep(page.error());
        ++pages;
        auto parsed = metrics::workflow_runs_page(page->body, b.since, b.repository, workflows, environment_of);
        if (!parsed) return b.keep(parsed.error());
        items += parsed->items;
        found += parsed->records.deployments.size();
        if (auto r = b.batches.add(parsed->records); !r) return r;
        if (parsed->reached_older) break;
        url = github::next_link(page->header("link"));
    }
    return b.done("workflow runs", before,
                  plural(items, "run read", "runs read") + ", " + plural(found, "deployment", "deployments"));
}

Result<void> git_commits(Backfill& b) {
    util::ProcessSpec spec;
    spec.program = "git";
    spec.args = {"-C",
                 b.workdir,
                 "log",
                 "--no-merges",
                 "--since=@" + std::to_string(b.since),
                 std::string(metrics::kGitLogFormat)};
    spec.env = b.ctx.env.all();
    auto r = util::run_process(spec);
    if (!r || !r->ok()) {
        b.ctx.console.notice("backfill: git: skipped (" + util::quoted(b.workdir) +
                             " is not a git clone with history)");
        return {};
    }
    const metrics::WriteSummary before = b.batches.written();
    metrics::Records records;
    records.rules = metrics::commits_from_git_log(r->out, b.repository);
    const std::size_t checked = records.rules.size();
    if (auto added = b.batches.add(records); !added) return added;
    return b.done("git log", before, plural(checked, "commit checked", "commits checked"));
}

Result<void> files(Backfill& b, const metrics::Rules& rules) {
    const metrics::WriteSummary before = b.batches.written();
    metrics::Records records;
    std::vector<std::string> read;
    if (auto file = b.ctx.options.get("pulls-file")) {
        auto loaded = util::read_file(*file);
        if (!loaded)
            return fail(make_error(ErrorKind::input, "pull request list: " + loaded.error().message).at(*file));
        std::string text = std::move(*loaded);
        auto items = metrics::pulls_file(text, *file, b.since, b.repository, rules,
                                         [&](metrics::Records& rows) { return b.batches.add(rows); });
        if (!items) return b.keep(items.error());
        read.push_back(plural(*items, "pull request", "pull requests") + " from " + util::quoted(*file));
    }
    auto globs = b.ctx.options.list("test-results");
    const bool defaulted = globs.empty();
    if (defaulted) globs = {"development-metrics/tests/*.json"};
    std::vector<std::string> unmatched;
    auto listed = find_files(b.workdir, "test-results", globs, unmatched);
    if (!listed) return fail(std::move(listed.error()));
    const auto& found = *listed;
    for (const auto& file : found) {
        auto loaded = util::read_file(b.workdir + "/" + file);
        if (!loaded) return fail(make_error(ErrorKind::input, "test results: " + loaded.error().message).at(file));
        std::string text = std::move(*loaded);
        auto run = metrics::parse_test_json(text, file, b.repository);
        if (!run) return fail(run.error());
        if (run->run_timestamp >= b.since) records.tests.push_back(std::move(*run));
    }
    if (!found.empty()) read.push_back(plural(found.size(), "test result file", "test result files"));
    if (!defaulted)
        for (const auto& g : unmatched) b.ctx.console.warning("backfill: no file matches " + util::quoted(g));
    if (auto added = b.batches.add(records); !added) return added;
    if (read.empty()) return {};
    std::string what;
    for (std::size_t i = 0; i < read.size(); ++i) what += (i ? ", " : "") + read[i];
    return b.done("files", before, what);
}

// A rate limit that resets beyond the wait bound: what to do is to come back later, and
// nothing is lost by stopping (every row written so far stays, a new run skips them).
Error api_error(Error e) {
    if (e.message.find("rate limit exceeded") != std::string::npos && !e.hint.starts_with("set GITHUB_TOKEN"))
        e.hint =
            "wait for the reset and run the backfill again: rows already written are kept, and a new run skips them";
    return e;
}

struct BackfillPlan {
    int days = 90;
    std::set<std::string> sources;
    metrics::Rules rules;
    std::function<std::string(std::string_view)> environment_of;
};

Result<BackfillPlan> backfill_plan(Context& ctx) {
    BackfillPlan plan;
    TRY_ASSIGN(auto days, ctx.options.integer("days", 90, 1, 3650));
    plan.days = static_cast<int>(days);
    for (const auto& s : util::split(ctx.options.get_or("sources", "github,git,files"), ','))
        if (auto t = util::trim(s); !t.empty()) plan.sources.insert(std::string(t));
    for (const auto& s : plan.sources)
        if (s != "github" && s != "git" && s != "files")
            return fail(ErrorKind::usage, "option --sources: unknown source " + util::quoted(s),
                        "use a comma-separated list of github, git and files");
    TRY_ASSIGN(plan.rules, configured_rules(ctx));
    TRY_ASSIGN(plan.environment_of, environment_of_branch(ctx));
    return plan;
}

// Pull requests, deployments and workflow runs from the GitHub REST API.
Result<void> github_sources(Backfill& b, const BackfillPlan& plan, const github::RunnerContext& runner) {
    if (b.repository.empty()) {
        b.ctx.console.notice(
            "backfill: GitHub: skipped (no repository: set --repository OWNER/NAME or GITHUB_REPOSITORY)");
        return {};
    }
    github::ApiSettings s;
    s.base_url = runner.api_url;
    s.token = b.ctx.env.get_or("GITHUB_TOKEN", b.ctx.env.get_or("GH_TOKEN", ""));
    s.user_agent = "sbdeploy/" SBDEPLOY_VERSION;
    github::Api api(std::move(s));
    if (auto r = pull_requests(b, api, plan.rules); !r) return fail(api_error(r.error()));
    if (auto r = deployments(b, api); !r) return fail(api_error(r.error()));
    auto workflows = b.ctx.options.list("workflow");
    if (workflows.empty()) {
        b.ctx.console.notice("backfill: workflow runs: skipped (name the deployment workflows with --workflow, "
                             "e.g. --workflow deploy.yml)");
        return {};
    }
    if (auto r = workflow_runs(b, api, workflows, plan.environment_of); !r) return fail(api_error(r.error()));
    return {};
}

// The daily figures of the days the rows fall on (a deployment can also change an earlier
// day's time to restore: then from the start of the window).
void refresh_days(Backfill& b, metrics::Writer& writer) {
    auto span = b.batches.span();
    if (!span) return;
    const std::int64_t from = b.batches.wrote_deployments() ? std::min(b.since, span->first) : span->first;
    if (auto refreshed =
            writer.refresh_daily(metrics::format_date(from), metrics::format_date(span->second), kMetricsEnvironment);
        !refreshed)
        b.ctx.console.warning(refreshed.error().message +
                              " (the rows are recorded; the daily figures were not updated)");
}

struct BackfillDone {
    int days = 0;
    metrics::WriteSummary total;
    std::vector<SourceDone> sources;
};

Result<BackfillDone> backfill(Context& ctx) {
    TRY_ASSIGN(auto plan, backfill_plan(ctx));
    auto runner = github::RunnerContext::from(ctx.env);
    TRY_ASSIGN(auto sink, open_metrics_sink(ctx));
    Backfill b{ctx, metrics::BatchWriter(*sink.writer), now_seconds() - plan.days * 86'400L,
               ctx.options.get_or("repository", runner.repository), workdir_of(ctx)};
    ctx.console.line("backfill: since " + metrics::format_time(b.since) + " (" + std::to_string(plan.days) +
                     " days) into " + sink.writer->describe());
    if (plan.sources.count("github")) TRY(github_sources(b, plan, runner));
    if (plan.sources.count("git")) TRY(git_commits(b));
    if (plan.sources.count("files")) TRY(files(b, plan.rules));
    refresh_days(b, *sink.writer);
    return BackfillDone{plan.days, b.batches.written(), std::move(b.sources)};
}

Report backfill_report(const BackfillDone& done) {
    Report rep;
    rep.set("rows", std::to_string(done.total.offered()));
    rep.set("new_rows", std::to_string(done.total.inserted()));
    rep.headline = md::headline(md::Outcome::passed, "metrics backfill into production",
                                md::text(md::count(done.total.offered(), "row") + " from the last " +
                                         md::count(static_cast<std::size_t>(done.days), "day") + ", " +
                                         std::to_string(done.total.inserted()) + " new"));
    md::Table t({"source", "read", "rows", "new"},
                {md::Align::left, md::Align::left, md::Align::right, md::Align::right});
    for (const auto& s : done.sources)
        t.row({md::Cell::text(s.source), md::Cell::text(s.read), md::Cell::text(std::to_string(s.rows)),
               md::Cell::text(std::to_string(s.inserted))});
    if (!t.empty()) rep.summary = t.render();
    return rep;
}

} // namespace

int run_metrics_backfill(Context& ctx) {
    auto done = backfill(ctx);
    if (!done) return report(ctx, done.error());
    const metrics::WriteSummary& total = done->total;
    ctx.console.line("backfill: " + std::to_string(total.offered()) + " rows, " + std::to_string(total.inserted()) +
                     " new" + (total.inserted() ? " (" + describe_counts(total, true) + ")" : ""));
    if (ctx.json) ctx.out << "{\"rows\":" << total.offered() << ",\"new_rows\":" << total.inserted() << "}\n";
    return finish(ctx, backfill_report(*done), 0);
}

} // namespace sbdeploy::cli
