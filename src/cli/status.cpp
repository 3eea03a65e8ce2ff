#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "db/history.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

int run_status(Context& ctx) {
    auto project = load_project(ctx);
    if (!project) return report(ctx, project.error());
    auto target = resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    auto session = connect_target(ctx, *target);
    if (!session) return report(ctx, session.error());
    auto history = db::read_history(**session);
    if (!history) return report(ctx, history.error());
    auto include_all = ctx.options.flag("include-all") ? migrations::IncludeAll::yes : migrations::IncludeAll::no;
    auto plan = plan_for(*project, *history, include_all);

    // The down SQL of an entry's local file: an applied version with one can be rolled back.
    auto down_of = [&](const migrations::PlanEntry& e) -> const migrations::Migration* {
        return e.local_index < project->migrations.size() ? project->migrations[e.local_index].down.get() : nullptr;
    };
    std::size_t applied = 0, pending = 0;
    std::vector<std::string> pending_versions, rollback_ready;
    for (const auto& e : plan.entries) {
        if (e.state == migrations::State::applied || e.state == migrations::State::edited) {
            ++applied;
            if (down_of(e) != nullptr) rollback_ready.push_back(e.version);
        }
        if (e.state == migrations::State::pending || e.state == migrations::State::out_of_order) {
            ++pending;
            pending_versions.push_back(e.version);
        }
    }

    // Terminal table: Local | Remote | Time (UTC) | State | Down | Name, like `supabase migration list`.
    std::size_t w = 7;
    for (const auto& e : plan.entries) w = std::max(w, e.version.size());
    auto pad = [](std::string s, std::size_t n) {
        if (s.size() < n) s.resize(n, ' ');
        return s;
    };
    ctx.console.line(pad("LOCAL", w) + "  " + pad("REMOTE", w) + "  " + pad("TIME (UTC)", 19) + "  " +
                     pad("STATE", 18) + "  DOWN  NAME");
    std::string table = "| Local | Remote | Time (UTC) | State | Down | Name |\n|---|---|---|---|---|---|\n";
    for (const auto& e : plan.entries) {
        bool local = e.state != migrations::State::missing_locally;
        bool remote = e.state == migrations::State::applied || e.state == migrations::State::edited ||
                      e.state == migrations::State::missing_locally;
        std::string state(migrations::state_name(e.state));
        std::string down = down_of(e) != nullptr ? "yes" : "no";
        ctx.console.line(pad(local ? e.version : "", w) + "  " + pad(remote ? e.version : "", w) + "  " +
                         pad(version_time(e.version), 19) + "  " + pad(state, 18) + "  " + pad(down, 4) + "  " + e.name);
        table += "| " + (local ? e.version : "") + " | " + (remote ? e.version : "") + " | " + version_time(e.version) +
                 " | " + state + " | " + down + " | " + e.name + " |\n";
    }
    ctx.console.line(std::to_string(applied) + " applied" +
                     (rollback_ready.empty() ? "" : " (" + std::to_string(rollback_ready.size()) + " can be rolled back)") +
                     ", " + std::to_string(pending) + " pending" +
                     (plan.missing_locally.empty() ? "" : ", " + std::to_string(plan.missing_locally.size()) + " missing locally") +
                     (plan.edited.empty() ? "" : ", " + std::to_string(plan.edited.size()) + " edited after apply") +
                     " on " + (target->environment.empty() ? (*session)->describe() : target->environment));

    if (ctx.json) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> jw(buf);
        jw.StartObject();
        jw.Key("environment");
        jw.String(target->environment.c_str());
        jw.Key("applied_count");
        jw.Uint64(applied);
        jw.Key("pending_count");
        jw.Uint64(pending);
        jw.Key("migrations");
        jw.StartArray();
        for (const auto& e : plan.entries) {
            jw.StartObject();
            jw.Key("version");
            jw.String(e.version.c_str());
            jw.Key("name");
            jw.String(e.name.c_str());
            jw.Key("time");
            jw.String(version_time(e.version).c_str());
            jw.Key("state");
            jw.String(std::string(migrations::state_name(e.state)).c_str());
            if (const auto* down = down_of(e)) {  // where its down SQL is: only for files that have one
                jw.Key("down");
                jw.String(down->file.display.c_str());
            }
            jw.EndObject();
        }
        jw.EndArray();
        jw.EndObject();
        ctx.out << buf.GetString() << '\n';
    }

    Report rep;
    record_decision(ctx, rep, *target);
    rep.set("applied_count", std::to_string(applied));
    rep.set("pending_count", std::to_string(pending));
    rep.set("pending", json_array(pending_versions));
    rep.set("rollback_ready", json_array(rollback_ready));
    rep.set("missing_locally", json_array(plan.missing_locally));
    rep.set("edited", json_array(plan.edited));
    rep.summary = "### sbdeploy status: " + target->environment + "\n\n" + table;
    bool problems = !plan.missing_locally.empty() || !plan.edited.empty() || !plan.out_of_order.empty();
    if (ctx.options.flag("fail-on-pending") && (pending > 0 || problems)) {
        ctx.console.error(make_error(ErrorKind::operation,
                                     std::to_string(pending) + " migration" + (pending == 1 ? " is" : "s are") +
                                         " pending" + (problems ? " and the history does not match the files" : ""),
                                     "apply them with 'sbdeploy push' (through the deployment workflow)"));
        return finish(ctx, rep, 1);
    }
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
