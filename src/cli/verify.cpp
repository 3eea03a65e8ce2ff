// sbdeploy verify: after a push, checks that the expected objects exist in the resolved
// environment's database (--expect, --expect-file) and that health URLs answer
// (--health-url); exit 1 listing what is missing or failing.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "cli/verify_check.hpp"
#include "github/summary.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;

std::string json_result(const std::vector<verify::Finding>& findings, const std::vector<verify::HealthResult>& health,
                        bool verified, const github::Console& console) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("verified");
    w.Bool(verified);
    w.Key("objects");
    w.StartArray();
    for (const auto& f : findings) {
        w.StartObject();
        w.Key("expect");
        w.String(f.expectation->text.c_str());
        w.Key("ok");
        w.Bool(f.ok);
        if (!f.ok) {
            w.Key("problem");
            w.String(f.problem.c_str());
        }
        w.EndObject();
    }
    w.EndArray();
    w.Key("health");
    w.StartArray();
    for (const auto& h : health) {
        w.StartObject();
        w.Key("url");
        w.String(console.redact(h.url).c_str());
        w.Key("ok");
        w.Bool(h.ok);
        w.Key("status");
        w.Int64(h.status);
        w.Key("attempts");
        w.Int(h.attempts);
        w.Key("ms");
        w.Int64(h.elapsed.count());
        if (!h.ok) {
            w.Key("problem");
            w.String(console.redact(h.problem).c_str());
        }
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return buf.GetString();
}

// Everything is parsed before anything connects: a bad line fails at once (exit 2).
Result<VerifyPlan> read_plan(const Context& ctx) {
    TRY_ASSIGN(auto plan,
               read_verify_plan(ctx, ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."))));
    if (plan.empty())
        return fail(ErrorKind::usage, "verify: nothing to check",
                    "give --expect (such as table:public.moods), --expect-file or --health-url");
    return plan;
}

std::string title(const Target& target) {
    return target.environment.empty() ? std::string("verify") : "verify on " + target.environment;
}

// After a dry-run push nothing new is in the database, so a missing object proves nothing
// and a health check would test the old release: say what would be checked, check nothing.
int skipped_dry_run(Context& ctx, const VerifyPlan& plan) {
    md::Table table({"Check", "Result"});
    for (const auto& e : plan.expectations) {
        ctx.console.line("skipped  " + verify::describe(e));
        table.row({md::Cell::text(verify::describe(e)), md::Cell::text("skipped (dry run)")});
    }
    for (const auto& h : plan.health) {
        ctx.console.line("skipped  GET " + net::printable_url(h.url));
        table.row({md::Cell::text("GET " + net::printable_url(h.url)), md::Cell::text("skipped (dry run)")});
    }
    const std::string checks = md::count(plan.size(), "check");
    ctx.console.notice("verify: " + checks + " skipped: a dry run applied nothing, so there is nothing new to verify");
    Report rep;
    rep.set("verified", "skipped");
    rep.set("missing", "[]");
    rep.set("failing", "[]");
    rep.headline = md::headline(md::Outcome::skipped, "verify", checks + " skipped: a dry run applied nothing");
    rep.summary = table.render_collapsed(md::bold(checks + " skipped"));
    if (ctx.json) ctx.out << R"({"verified":"skipped","objects":[],"health":[]})" << '\n';
    return finish(ctx, rep, 0);
}

// Objects need the environment's database; health checks alone need only the decision.
Result<VerifyOutcome> check_target(Context& ctx, const VerifyPlan& plan, const Target& target) {
    std::unique_ptr<db::Session> session;
    if (!plan.expectations.empty()) {
        TRY_ASSIGN(session, connect_target(ctx, target));
    }
    return verify_check(ctx, plan, session.get());
}

int verified_report(Context& ctx, const Target& target, const VerifyOutcome& outcome) {
    Report rep;
    record_decision(ctx, rep, target);
    record_verify(rep, outcome);
    const bool ok = outcome.verified();
    rep.headline = md::headline(ok ? md::Outcome::passed : md::Outcome::failed, title(target), verify_detail(outcome));
    rep.summary = outcome.table;
    if (ctx.json) ctx.out << json_result(outcome.findings, outcome.health, ok, ctx.console) << '\n';
    if (!ok) {
        const Error e = verify_failure(outcome);
        ctx.console.error(e);
        rep.summary += "\nhint: " + md::text(e.hint) + "\n";
        return finish(ctx, rep, 1);
    }
    const std::string where = target.environment.empty() ? std::string() : " on " + target.environment;
    ctx.console.line("Verified " + md::count(outcome.checks(), "check") + where);
    return finish(ctx, rep, 0);
}

} // namespace

int run_verify(Context& ctx) {
    auto plan = read_plan(ctx);
    if (!plan) return report(ctx, plan.error());
    if (ctx.options.flag("dry-run")) return skipped_dry_run(ctx, *plan);
    auto target = plan->expectations.empty() ? resolve_environment(ctx) : resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);
    auto outcome = check_target(ctx, *plan, *target);
    if (!outcome) return report(ctx, outcome.error());
    return verified_report(ctx, *target, *outcome);
}
} // namespace sbdeploy::cli
