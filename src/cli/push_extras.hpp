// What push does besides the migrations: seed data (--include-seed) and a verify that rolls
// the push back when it fails (--rollback-on-verify-failure). Every refusal comes before
// anything is applied; the rest runs after the migrations, still under the push lock.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "cli/project.hpp"
#include "cli/verify_check.hpp"
#include "migrations/seed.hpp"

namespace sbdeploy::cli {

struct PushExtras {
    bool seed = false;
    migrations::SeedListing seeds;
    std::vector<migrations::PendingSeed> pending_seeds;  // after the history is read
    bool seed_table_exists = false;
    bool rollback_on_verify = false;
    VerifyPlan verify;  // --rollback-on-verify-failure: what verify checks
};

// Before connecting: --include-seed on production without --allow-production-seed and
// --rollback-on-verify-failure with nothing to verify (exit 2); the seed files, read, hashed
// and split (config errors name the file).
Result<PushExtras> prepare_push_extras(Context& ctx, const Project& project, const Target& target);

// After the history is read: the seed files to run; refuses (exit 1) a
// --rollback-on-verify-failure push whose pending migrations lack down SQL.
Result<void> plan_push_extras(db::Session& db, PushExtras& extras,
                              std::span<const migrations::Migration* const> pending);

// push --dry-run: the seed files that would run (lines, the output seed_pending, and the
// summary's section).
std::string describe_push_extras(Context& ctx, const PushExtras& extras, Report& rep);

struct AfterPush {
    int code = 0;               // 0, or the exit code when seeding or verify failed
    std::string summary;        // Markdown to append to push's summary
    std::string failed;         // when code != 0: what failed, for the headline (Markdown)
    std::size_t rolled_back = 0;  // migrations of this push rolled back: pending again
    std::size_t seeded = 0;       // seed files run
};

// After the migrations applied without failure: the seed files, then verify and, when it
// fails, the rollback of `applied` (this push's migrations, in the order applied).
AfterPush after_push(Context& ctx, db::Session& db, const PushExtras& extras,
                     std::span<const migrations::Migration* const> applied, const migrations::Settings& settings,
                     Report& rep);

} // namespace sbdeploy::cli
