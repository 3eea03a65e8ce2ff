// The rollback of a list of steps that `sbdeploy rollback`, push's revert and push's
// --rollback-on-verify-failure share (see rollback.hpp): a transaction, a line and a summary
// row per step, stopping at the first failure.
#include "cli/rollback.hpp"

#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace md = github::md;
using util::format_ms;

std::string step_label(const migrations::RollbackStep& step) {
    if (step.migration != nullptr) return step.migration->file.filename;
    return step.version + (step.name.empty() ? "" : "_" + step.name);
}

RollbackOutcome roll_back_steps(Context& ctx, db::Session& db, std::span<const migrations::RollbackStep> steps,
                                const migrations::Settings& settings) {
    RollbackOutcome out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        auto r = migrations::roll_back(db, s, settings);
        if (!r) {
            out.failure = r.error();
            out.table.row({md::Cell::text(s.version), md::Cell::text(s.name),
                           md::Cell::raw("❌ **failed** at line " + std::to_string(r.error().line))});
            for (std::size_t k = i; k < steps.size(); ++k) out.remaining.push_back(steps[k].version);
            return out;
        }
        for (const auto& n : r->notices) ctx.console.debug(step_label(s) + ": " + n);
        ctx.console.line("Rolled back " + step_label(s) + " (" + format_ms(r->ms) + ")");
        out.table.row({md::Cell::text(s.version), md::Cell::text(s.name), md::Cell::text("rolled back"),
                       md::Cell::text(format_ms(r->ms))});
        out.rolled_back.push_back(s.version);
    }
    return out;
}

} // namespace sbdeploy::cli
