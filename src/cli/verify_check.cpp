// verify's checks as a function (see verify_check.hpp): reading them, running them, and what
// their verdict leaves (outputs, a summary table, the error).
#include "cli/verify_check.hpp"

#include <cstdio>
#include <filesystem>

#include "github/summary.hpp"
#include "util/file.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;
namespace md = github::md;

std::string seconds(std::chrono::milliseconds ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

Result<void> read_expectations(const Context& ctx, const std::string& workdir, VerifyPlan& p) {
    for (const auto& line : ctx.options.list("expect")) {
        if (util::trim(line).empty()) continue;
        TRY_ASSIGN(auto e, verify::parse_expectation(line, "--expect"));
        p.expectations.push_back(std::move(e));
    }
    auto file = ctx.options.get("expect-file");
    if (!file) return {};
    fs::path path(*file);
    if (path.is_relative()) path = fs::path(workdir) / path;
    auto loaded = util::read_file(path.string());
    if (!loaded)
        return fail(ErrorKind::config,
                    "option --expect-file: cannot read " + util::quoted(*file) + ": " +
                        util::to_lower(loaded.error().message),
                    "give a file of expectations, one a line, such as table:public.moods");
    std::string content = std::move(*loaded);
    TRY_ASSIGN(auto lines, verify::parse_expectation_lines(content, *file));
    for (auto& e : lines) p.expectations.push_back(std::move(e));
    return {};
}

Result<void> read_health(const Context& ctx, VerifyPlan& p) {
    auto urls = ctx.options.list("health-url");
    if (urls.empty()) return {};
    TRY_ASSIGN(auto status, verify::parse_status_set(ctx.options.get_or("health-status", "2xx")));
    TRY_ASSIGN(auto timeout, ctx.options.duration_ms("health-timeout", 30'000));
    if (timeout <= 0) return fail(ErrorKind::usage, "option --health-timeout: must be more than 0", "such as 30s");
    TRY_ASSIGN(auto retries, ctx.options.integer("health-retries", 5, 0, 100));
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& h : ctx.options.list("health-header")) {
        TRY_ASSIGN(auto parsed, verify::parse_header(h));
        headers.push_back(std::move(parsed));
    }
    for (const auto& url : urls) {
        if (util::trim(url).empty()) continue;
        TRY(verify::check_url(util::trim(url)));
        verify::HealthCheck c;
        c.url = std::string(util::trim(url));
        c.expected = status;
        c.headers = headers;
        c.budget = std::chrono::milliseconds(timeout);
        c.retries = static_cast<int>(retries);
        p.health.push_back(std::move(c));
    }
    return {};
}

void check_objects_lines(Context& ctx, VerifyOutcome& out, md::Table& table) {
    for (const auto& f : out.findings) {
        const std::string what = verify::describe(*f.expectation);
        if (f.ok) {
            ctx.console.line("ok       " + what);
            table.row({md::Cell::text(what), md::Cell::raw("✅ present")});
        } else {
            ctx.console.line("MISSING  " + what + (f.problem == what + " is missing" ? "" : " (" + f.problem + ")"));
            table.row({md::Cell::text(what), md::Cell::raw("❌ " + md::text(f.problem))});
            out.missing.push_back(f.problem);
        }
    }
}

void check_health_lines(Context& ctx, const VerifyPlan& plan, VerifyOutcome& out, md::Table& table) {
    for (const auto& check : plan.health) {
        net::RetryHooks hooks;
        const std::string shown = net::printable_url(check.url);
        hooks.on_retry = [&](int attempt, std::chrono::milliseconds delay, const std::string& why) {
            ctx.console.debug("health " + shown + ": attempt " + std::to_string(attempt) + " failed (" + why +
                              "); retrying in " + std::to_string(delay.count()) + " ms");
        };
        auto r = verify::check_health(check, hooks);
        const std::string tries = md::count(static_cast<std::size_t>(r.attempts), "attempt") + ", " +
                                  seconds(r.elapsed);
        const std::string what = "GET " + r.url;
        if (r.ok) {
            ctx.console.line("ok       " + what + " -> " + std::to_string(r.status) + " (" + tries + ")");
            table.row({md::Cell::text(what), md::Cell::raw("✅ " + std::to_string(r.status) + " (" + tries + ")")});
        } else {
            ctx.console.line("FAILED   " + what + ": " + r.problem + " (" + tries + ")");
            table.row({md::Cell::text(what), md::Cell::raw("❌ " + md::text(r.problem) + " (" + tries + ")")});
            out.failing.push_back(what + ": " + r.problem);
        }
        out.health.push_back(std::move(r));
    }
}

} // namespace

Result<VerifyPlan> read_verify_plan(const Context& ctx, const std::string& workdir) {
    VerifyPlan p;
    TRY(read_expectations(ctx, workdir, p));
    TRY(read_health(ctx, p));
    return p;
}

Result<VerifyOutcome> verify_check(Context& ctx, const VerifyPlan& plan, db::Session* db) {
    VerifyOutcome out;
    md::Table table({"Check", "Result"});
    if (!plan.expectations.empty() && db != nullptr) {
        TRY_ASSIGN(out.findings, verify::check_objects(*db, plan.expectations));
        check_objects_lines(ctx, out, table);
    }
    check_health_lines(ctx, plan, out, table);
    const std::string total = md::bold(md::count(out.checks(), "check") + ": " +
                                       std::to_string(out.missing.size() + out.failing.size()) + " failed");
    out.table = table.render_collapsed(total);
    return out;
}

void record_verify(Report& rep, const VerifyOutcome& outcome) {
    rep.set("verified", outcome.verified() ? "true" : "false");
    rep.set("missing", json_array(outcome.missing));
    rep.set("failing", json_array(outcome.failing));
}

Error verify_failure(const VerifyOutcome& outcome) {
    std::vector<std::string> all = outcome.missing;
    all.insert(all.end(), outcome.failing.begin(), outcome.failing.end());
    std::string list;
    for (const auto& a : all) list += (list.empty() ? "" : "; ") + a;
    return make_error(ErrorKind::operation, "verify: " + md::count(all.size(), "check") + " failed: " + list,
                      outcome.missing.empty() ? "the service did not answer as expected: check the deploy and its logs"
                                              : "push the migrations that create them, or fix --expect");
}

std::string verify_detail(const VerifyOutcome& outcome) {
    const std::size_t objects = outcome.findings.size(), urls = outcome.health.size();
    std::vector<std::string> parts;
    if (objects > 0)
        parts.push_back(outcome.missing.empty()
                            ? md::count(objects, "object") + " present"
                            : std::to_string(outcome.missing.size()) + " of " + std::to_string(objects) + " missing");
    if (urls > 0)
        parts.push_back(outcome.failing.empty() ? md::count(urls, "health check") + " passed"
                                                : std::to_string(outcome.failing.size()) + " of " +
                                                      md::count(urls, "health check") + " failed");
    std::string detail;
    for (const auto& p : parts) detail += (detail.empty() ? "" : ", ") + p;
    std::vector<std::string> problems = outcome.missing;
    problems.insert(problems.end(), outcome.failing.begin(), outcome.failing.end());
    for (std::size_t i = 0; i < problems.size() && i < 3; ++i) detail += (i == 0 ? ": " : "; ") + md::text(problems[i]);
    if (problems.size() > 3) detail += "; ...";
    return detail;
}

} // namespace sbdeploy::cli
