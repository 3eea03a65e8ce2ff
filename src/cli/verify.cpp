// sbdeploy verify: after a push, checks that the expected objects exist in the resolved
// environment's database (--expect, --expect-file) and that health URLs answer
// (--health-url); exit 1 listing what is missing or failing.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/project.hpp"
#include "github/outputs.hpp"
#include "util/strings.hpp"
#include "verify/expect.hpp"
#include "verify/health.hpp"
#include "verify/objects.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;

struct Plan {
    std::vector<verify::Expectation> expectations;
    std::vector<verify::HealthCheck> health;
};

std::string seconds(std::chrono::milliseconds ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

// Everything is parsed before anything connects: a bad line fails at once (exit 2).
Result<Plan> read_plan(const Context& ctx) {
    Plan p;
    for (const auto& line : ctx.options.list("expect")) {
        if (util::trim(line).empty()) continue;
        auto e = verify::parse_expectation(line, "--expect");
        if (!e) return fail(std::move(e.error()));
        p.expectations.push_back(std::move(*e));
    }
    if (auto file = ctx.options.get("expect-file")) {
        fs::path path(*file);
        if (path.is_relative()) path = fs::path(ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."))) / path;
        std::string content, why;
        if (!util::read_file(path.string(), content, why))
            return fail(ErrorKind::config, "option --expect-file: cannot read " + util::quoted(*file) + ": " + util::to_lower(why),
                        "give a file of expectations, one a line, such as table:public.moods");
        auto lines = verify::parse_expectation_lines(content, *file);
        if (!lines) return fail(std::move(lines.error()));
        for (auto& e : *lines) p.expectations.push_back(std::move(e));
    }

    auto urls = ctx.options.list("health-url");
    if (!urls.empty()) {
        auto status = verify::parse_status_set(ctx.options.get_or("health-status", "2xx"));
        if (!status) return fail(std::move(status.error()));
        auto timeout = ctx.options.duration_ms("health-timeout", 30'000);
        if (!timeout) return fail(std::move(timeout.error()));
        if (*timeout <= 0)
            return fail(ErrorKind::usage, "option --health-timeout: must be more than 0", "such as 30s");
        auto retries = ctx.options.integer("health-retries", 5, 0, 100);
        if (!retries) return fail(std::move(retries.error()));
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& h : ctx.options.list("health-header")) {
            auto parsed = verify::parse_header(h);
            if (!parsed) return fail(std::move(parsed.error()));
            headers.push_back(std::move(*parsed));
        }
        for (const auto& url : urls) {
            if (util::trim(url).empty()) continue;
            if (auto ok = verify::check_url(util::trim(url)); !ok) return fail(std::move(ok.error()));
            verify::HealthCheck c;
            c.url = std::string(util::trim(url));
            c.expected = *status;
            c.headers = headers;
            c.budget = std::chrono::milliseconds(*timeout);
            c.retries = static_cast<int>(*retries);
            p.health.push_back(std::move(c));
        }
    }
    if (p.expectations.empty() && p.health.empty())
        return fail(ErrorKind::usage, "verify: nothing to check",
                    "give --expect (such as table:public.moods), --expect-file or --health-url");
    return p;
}

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

} // namespace

int run_verify(Context& ctx) {
    auto plan = read_plan(ctx);
    if (!plan) return report(ctx, plan.error());
    // After a dry-run push nothing new is in the database, so a missing object proves nothing
    // and a health check would test the old release: say what would be checked, check nothing.
    if (ctx.options.flag("dry-run")) {
        std::string table = "| Check | Result |\n|---|---|\n";
        for (const auto& e : plan->expectations) {
            ctx.console.line("skipped  " + verify::describe(e));
            table += "| " + github::escape_markdown(verify::describe(e)) + " | skipped (dry run) |\n";
        }
        for (const auto& h : plan->health) {
            ctx.console.line("skipped  GET " + net::printable_url(h.url));
            table += "| GET " + github::escape_markdown(net::printable_url(h.url)) + " | skipped (dry run) |\n";
        }
        std::size_t n = plan->expectations.size() + plan->health.size();
        ctx.console.notice("verify: " + std::to_string(n) + (n == 1 ? " check" : " checks") +
                           " skipped: a dry run applied nothing, so there is nothing new to verify");
        Report rep;
        rep.set("verified", "skipped");
        rep.set("missing", "[]");
        rep.set("failing", "[]");
        rep.summary = "### sbdeploy verify --dry-run\n\nVerification skipped: a dry run applied nothing.\n\n" + table;
        if (ctx.json) ctx.out << R"({"verified":"skipped","objects":[],"health":[]})" << '\n';
        return finish(ctx, rep, 0);
    }
    // Objects need the environment's database; health checks alone need only the decision.
    auto target = plan->expectations.empty() ? resolve_environment(ctx) : resolve_target(ctx);
    if (!target) return report(ctx, target.error());
    if (target->nothing_to_do) return nothing_to_do(ctx, *target);

    Report rep;
    record_decision(ctx, rep, *target);
    std::string table = "| Check | Result |\n|---|---|\n";
    std::vector<std::string> missing, failing;

    std::vector<verify::Finding> findings;
    if (!plan->expectations.empty()) {
        auto session = connect_target(ctx, *target);
        if (!session) return report(ctx, session.error());
        auto checked = verify::check_objects(**session, plan->expectations);
        if (!checked) return report(ctx, checked.error());
        findings = std::move(*checked);
        for (const auto& f : findings) {
            std::string what = verify::describe(*f.expectation);
            if (f.ok) {
                ctx.console.line("ok       " + what);
                table += "| " + github::escape_markdown(what) + " | :white_check_mark: present |\n";
            } else {
                ctx.console.line("MISSING  " + what + (f.problem == what + " is missing" ? "" : " (" + f.problem + ")"));
                table += "| " + github::escape_markdown(what) + " | :x: " + github::escape_markdown(f.problem) + " |\n";
                missing.push_back(f.problem);
            }
        }
    }

    std::vector<verify::HealthResult> health;
    for (const auto& check : plan->health) {
        net::RetryHooks hooks;
        std::string shown = net::printable_url(check.url);
        hooks.on_retry = [&](int attempt, std::chrono::milliseconds delay, const std::string& why) {
            ctx.console.debug("health " + shown + ": attempt " + std::to_string(attempt) + " failed (" + why +
                              "); retrying in " + std::to_string(delay.count()) + " ms");
        };
        auto r = verify::check_health(check, hooks);
        std::string tries = std::to_string(r.attempts) + (r.attempts == 1 ? " attempt, " : " attempts, ") + seconds(r.elapsed);
        if (r.ok) {
            ctx.console.line("ok       GET " + r.url + " -> " + std::to_string(r.status) + " (" + tries + ")");
            table += "| GET " + github::escape_markdown(r.url) + " | :white_check_mark: " + std::to_string(r.status) +
                     " (" + tries + ") |\n";
        } else {
            ctx.console.line("FAILED   GET " + r.url + ": " + r.problem + " (" + tries + ")");
            table += "| GET " + github::escape_markdown(r.url) + " | :x: " + github::escape_markdown(r.problem) + " (" +
                     tries + ") |\n";
            failing.push_back("GET " + r.url + ": " + r.problem);
        }
        health.push_back(std::move(r));
    }

    const bool verified = missing.empty() && failing.empty();
    rep.set("verified", verified ? "true" : "false");
    rep.set("missing", json_array(missing));
    rep.set("failing", json_array(failing));
    std::string where = target->environment.empty() ? std::string() : " on " + target->environment;
    rep.summary = "### sbdeploy verify" + github::escape_markdown(where) + "\n\n" + table;
    if (ctx.json) ctx.out << json_result(findings, health, verified, ctx.console) << '\n';
    if (!verified) {
        std::vector<std::string> all = missing;
        all.insert(all.end(), failing.begin(), failing.end());
        std::string list;
        for (const auto& a : all) list += (list.empty() ? "" : "; ") + a;
        std::size_t n = all.size();
        ctx.console.error(make_error(ErrorKind::operation,
                                     "verify: " + std::to_string(n) + (n == 1 ? " check" : " checks") + " failed: " + list,
                                     missing.empty() ? "the service did not answer as expected: check the deploy and its logs"
                                                     : "push the migrations that create them, or fix --expect"));
        return finish(ctx, rep, 1);
    }
    std::size_t total = findings.size() + health.size();
    ctx.console.line("Verified " + std::to_string(total) + (total == 1 ? " check" : " checks") + where);
    return finish(ctx, rep, 0);
}

} // namespace sbdeploy::cli
