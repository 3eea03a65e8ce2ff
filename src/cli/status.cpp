// sbdeploy status: local and remote migrations side by side (applied, pending, missing
// locally, out of order, edited after apply), as a terminal table like `supabase migration
// list`, --json, outputs and a step summary; --fail-on-pending makes pending work exit 1.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;
using migrations::State;

struct StatusRun {
    Project project;
    Target target;
    std::string where;  // the environment, else the database
    migrations::Plan plan;
};

struct Counts {
    std::size_t applied = 0, pending = 0;
    std::vector<std::string> pending_versions, rollback_ready;
};

Result<void> read_status(Context& ctx, StatusRun& run) {
    TRY_ASSIGN(run.project, load_project(ctx));
    TRY_ASSIGN(run.target, resolve_target(ctx));
    if (run.target.nothing_to_do) return {};
    TRY_ASSIGN(auto session, connect_target(ctx, run.target));
    TRY_ASSIGN(auto history, db::read_history(*session));
    run.where = run.target.environment.empty() ? session->describe() : run.target.environment;
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    run.plan = plan_for(run.project, history, include_all);
    return {};
}

// The down SQL of an entry's local file: an applied version with one can be rolled back.
const migrations::Migration* down_of(const Project& project, const migrations::PlanEntry& e) {
    return e.local_index < project.migrations.size() ? project.migrations[e.local_index].down.get() : nullptr;
}

bool is_local(const migrations::PlanEntry& e) { return e.state != State::missing_locally; }
bool is_remote(const migrations::PlanEntry& e) {
    return e.state == State::applied || e.state == State::edited || e.state == State::missing_locally;
}

Counts count_entries(const StatusRun& run) {
    Counts c;
    for (const auto& e : run.plan.entries) {
        if (e.state == State::applied || e.state == State::edited) {
            ++c.applied;
            if (down_of(run.project, e) != nullptr) c.rollback_ready.push_back(e.version);
        }
        if (e.state == State::pending || e.state == State::out_of_order) {
            ++c.pending;
            c.pending_versions.push_back(e.version);
        }
    }
    return c;
}

// "2 applied (1 can be rolled back), 1 pending, 1 missing locally, 1 edited after apply"
std::string counts_text(const StatusRun& run, const Counts& c) {
    const auto& plan = run.plan;
    return std::to_string(c.applied) + " applied" +
           (c.rollback_ready.empty() ? "" : " (" + std::to_string(c.rollback_ready.size()) + " can be rolled back)") +
           ", " + std::to_string(c.pending) + " pending" +
           (plan.missing_locally.empty() ? ""
                                         : ", " + std::to_string(plan.missing_locally.size()) + " missing locally") +
           (plan.edited.empty() ? "" : ", " + std::to_string(plan.edited.size()) + " edited after apply");
}

// Terminal table: Local | Remote | Time (UTC) | State | Down | Name, like `supabase migration list`.
void print_table(Context& ctx, const StatusRun& run, const Counts& c) {
    std::size_t w = 7;
    for (const auto& e : run.plan.entries) w = std::max(w, e.version.size());
    auto pad = [](std::string s, std::size_t n) {
        if (s.size() < n) s.resize(n, ' ');
        return s;
    };
    ctx.console.line(pad("LOCAL", w) + "  " + pad("REMOTE", w) + "  " + pad("TIME (UTC)", 19) + "  " +
                     pad("STATE", 18) + "  DOWN  NAME");
    for (const auto& e : run.plan.entries)
        ctx.console.line(pad(is_local(e) ? e.version : "", w) + "  " + pad(is_remote(e) ? e.version : "", w) + "  " +
                         pad(version_time(e.version), 19) + "  " +
                         pad(std::string(migrations::state_name(e.state)), 18) + "  " +
                         pad(down_of(run.project, e) != nullptr ? "yes" : "no", 4) + "  " + e.name);
    ctx.console.line(counts_text(run, c) + " on " + run.where);
}

void write_json(Context& ctx, const StatusRun& run, const Counts& c) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> jw(buf);
    jw.StartObject();
    jw.Key("environment");
    jw.String(run.target.environment.c_str());
    jw.Key("applied_count");
    jw.Uint64(c.applied);
    jw.Key("pending_count");
    jw.Uint64(c.pending);
    jw.Key("migrations");
    jw.StartArray();
    for (const auto& e : run.plan.entries) {
        jw.StartObject();
        jw.Key("version");
        jw.String(e.version.c_str());
        jw.Key("name");
        jw.String(e.name.c_str());
        jw.Key("time");
        jw.String(version_time(e.version).c_str());
        jw.Key("state");
        jw.String(std::string(migrations::state_name(e.state)).c_str());
        if (const auto* down = down_of(run.project, e)) {  // where its down SQL is: only for files that have one
            jw.Key("down");
            jw.String(down->file.display.c_str());
        }
        jw.EndObject();
    }
    jw.EndArray();
    jw.EndObject();
    ctx.out << buf.GetString() << '\n';
}

// The summary: the outcome line, then the table (collapsed when long).
void summarize(Report& rep, const StatusRun& run, const Counts& c, bool fails) {
    const bool problems = !run.plan.missing_locally.empty() || !run.plan.edited.empty() ||
                          !run.plan.out_of_order.empty();
    const auto outcome = fails ? md::Outcome::failed : problems ? md::Outcome::warned : md::Outcome::passed;
    const std::string title = "status" + (run.where.empty() ? std::string() : " of " + run.where);
    rep.headline = md::headline(outcome, title, md::text(counts_text(run, c)));
    md::Table table({"Local", "Remote", "Time (UTC)", "State", "Down", "Name"});
    for (const auto& e : run.plan.entries)
        table.row({md::Cell::text(is_local(e) ? e.version : ""), md::Cell::text(is_remote(e) ? e.version : ""),
                   md::Cell::text(version_time(e.version)), md::Cell::text(migrations::state_name(e.state)),
                   md::Cell::text(down_of(run.project, e) != nullptr ? "yes" : "no"), md::Cell::text(e.name)});
    rep.summary = table.render_collapsed(md::bold(md::count(run.plan.entries.size(), "migration")));
}

} // namespace

int run_status(Context& ctx) {
    StatusRun run;
    if (auto read = read_status(ctx, run); !read) return report(ctx, read.error());
    if (run.target.nothing_to_do) return nothing_to_do(ctx, run.target);
    const Counts c = count_entries(run);
    print_table(ctx, run, c);
    if (ctx.json) write_json(ctx, run, c);

    Report rep;
    record_decision(ctx, rep, run.target);
    rep.set("applied_count", std::to_string(c.applied));
    rep.set("pending_count", std::to_string(c.pending));
    rep.set("pending", json_array(c.pending_versions));
    rep.set("rollback_ready", json_array(c.rollback_ready));
    rep.set("missing_locally", json_array(run.plan.missing_locally));
    rep.set("edited", json_array(run.plan.edited));
    const bool problems = !run.plan.missing_locally.empty() || !run.plan.edited.empty() ||
                          !run.plan.out_of_order.empty();
    const bool fails = ctx.options.flag("fail-on-pending") && (c.pending > 0 || problems);
    summarize(rep, run, c, fails);
    if (!fails) return finish(ctx, rep, 0);
    const Error e = make_error(ErrorKind::operation,
                               std::to_string(c.pending) + " migration" + (c.pending == 1 ? " is" : "s are") +
                                   " pending" + (problems ? " and the history does not match the files" : ""),
                               "apply them with 'sbdeploy push' (through the deployment workflow)");
    ctx.console.error(e);
    rep.summary += "\nhint: " + md::text(e.hint) + "\n";
    return finish(ctx, rep, 1);
}

} // namespace sbdeploy::cli
