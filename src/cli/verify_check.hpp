// verify's checks as a function: the checks read from the options, run against a session
// (objects) and over HTTP (health URLs), with a line each; the verdict, its outputs, its
// summary table and its error. `sbdeploy verify` and push (--rollback-on-verify-failure) call it.
#pragma once

#include <string>
#include <vector>

#include "cli/project.hpp"
#include "verify/expect.hpp"
#include "verify/health.hpp"
#include "verify/objects.hpp"

namespace sbdeploy::cli {

struct VerifyPlan {
    std::vector<verify::Expectation> expectations;
    std::vector<verify::HealthCheck> health;
    [[nodiscard]] bool empty() const { return expectations.empty() && health.empty(); }
    [[nodiscard]] std::size_t size() const { return expectations.size() + health.size(); }
};

// --expect, --expect-file (relative to `workdir`), --health-url and its options, all parsed
// before anything connects: a bad line is a config or usage error. May be empty.
Result<VerifyPlan> read_verify_plan(const Context& ctx, const std::string& workdir);

struct VerifyOutcome {
    std::vector<verify::Finding> findings;  // point into the plan's expectations
    std::vector<verify::HealthResult> health;
    std::vector<std::string> missing;  // the problems of objects that are not there
    std::vector<std::string> failing;  // "GET <url>: <problem>"
    std::string table;                 // the summary's table (Check | Result), rendered
    [[nodiscard]] bool verified() const { return missing.empty() && failing.empty(); }
    [[nodiscard]] std::size_t checks() const { return findings.size() + health.size(); }
};

// Runs the plan: its objects over `db` (which may be null when the plan has none), then its
// health URLs; prints a line per check. Fails only when the catalog query fails.
Result<VerifyOutcome> verify_check(Context& ctx, const VerifyPlan& plan, db::Session* db);

// The outputs verified, missing, failing.
void record_verify(Report& rep, const VerifyOutcome& outcome);

// What failed, as one error listing every failed check, with the fix.
Error verify_failure(const VerifyOutcome& outcome);

// The headline detail: "2 checks passed" / "1 of 12 failed: table public.nope is missing".
std::string verify_detail(const VerifyOutcome& outcome);

} // namespace sbdeploy::cli
