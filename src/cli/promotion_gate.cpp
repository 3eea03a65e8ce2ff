// The promotion gate of a push to production (see promotion_gate.hpp).
#include "cli/promotion_gate.hpp"

#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "cli/resolve.hpp"
#include "db/history.hpp"
#include "github/summary.hpp"
#include "policy/promotion.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace md = github::md;
using util::plural;
using util::quoted;

// "⚠️ **<line>**" and the table, as the summary shows an override or a hotfix.
std::string warning_block(const std::string& line, const std::string& table) {
    return std::string(md::mark(md::Outcome::warned)) + " " + md::bold(line) + "\n\n" + table;
}

// Every unpromoted migration came with the merged hotfix pull request: they pass, and the
// source must get them by merging its branch back.
Result<GateResult> hotfix_passed(Context& ctx, const policy::HotfixRoute& route, const policy::GateDecision& decision,
                                 const std::string& source, const std::string& target, GateRun run,
                                 const std::string& table) {
    TRY_ASSIGN(auto mapping, configured_mapping(ctx));
    auto branches = policy::branches_of(mapping, source);
    const std::string source_branch = branches.empty() ? source : branches.front();
    GateResult g;
    g.status = "hotfix";
    g.merge_back = route.pull->head;
    std::string line = policy::hotfix_warning(decision.hotfixed, *route.pull, source, target, source_branch);
    if (run == GateRun::push)
        ctx.console.warning(line);
    else
        ctx.console.notice("after the merge, " + line);
    g.summary = warning_block(line, table);
    return g;
}

// No target for the source environment: the forecast is not checked, an override pushes
// without comparing, else the push fails naming the variable to set.
Result<GateResult> source_missing(Context& ctx, Error missing, const Target& target, std::size_t pending, GateRun run) {
    GateResult g;
    const bool allow = ctx.options.flag("allow-unpromoted");
    if (run == GateRun::forecast && !allow) {
        // A pull request's job need not hold the source's credentials: the forecast is skipped,
        // and the push after the merge, which must hold them, still runs the gate.
        g.status = "unchecked";
        ctx.console.notice("promotion gate after the merge: not checked: " + missing.message);
        g.summary = "**Promotion gate after the merge**: not checked: " + md::text(missing.message);
        return g;
    }
    if (!allow) {
        missing.hint += "; --promote-from names another environment, --allow-unpromoted pushes without the gate";
        return fail(std::move(missing));
    }
    g.status = "overridden";
    std::string line = "promotion gate overridden (--allow-unpromoted): " +
                       missing.message.substr(std::string("promotion gate: ").size()) +
                       ", so nothing was compared; pushing " + plural(pending, "migration") + " to " +
                       target.environment;
    ctx.console.warning(line);
    g.summary = warning_block(line, "");
    return g;
}

// The source environment's history: versions and their recorded statements.
Result<std::vector<policy::SourceEntry>> source_history(Context& ctx, const Target& source_target,
                                                        const std::string& source) {
    auto session = connect_target(ctx, source_target);
    if (!session) {
        Error e = std::move(session.error());
        e.message = "promotion gate: " + source + ": " + e.message;
        return fail(std::move(e));
    }
    auto history = db::read_history(**session);
    if (!history) {
        Error e = std::move(history.error());
        e.message = "promotion gate: reading the history of " + source + ": " + e.message;
        return fail(std::move(e));
    }
    std::vector<policy::SourceEntry> rows;
    rows.reserve(history->size());
    for (auto& h : *history) rows.push_back({std::move(h.version), std::move(h.statements)});
    return rows;
}

std::string gaps_table(const std::vector<policy::Unpromoted>& gaps, const std::string& source) {
    md::Table table({"Version", "Name", "On " + source});
    for (const auto& u : gaps)
        table.row({md::Cell::text(u.version), md::Cell::text(u.name),
                   md::Cell::text(u.gap == policy::Gap::not_applied ? "not applied"
                                                                    : "applied with different statements")});
    return table.render_collapsed(md::bold(plural(gaps.size(), "migration") + " not run on " + source + " first"));
}

// The refusal, without the message's own "promotion gate: " (the label says it), and its hint.
std::string refusal_block(const Error& refusal, const std::string& table) {
    std::string message = refusal.message;
    if (message.starts_with("promotion gate: ")) message.erase(0, std::string("promotion gate: ").size());
    return md::Summary()
        .block(std::string(md::mark(md::Outcome::failed)) + " **Promotion gate**: " + md::text(message))
        .block(table)
        .block(refusal.hint.empty() ? std::string() : "hint: " + md::text(refusal.hint))
        .str();
}

} // namespace

Result<std::optional<std::string>> promote_from(const Context& ctx) {
    std::string source = std::string(util::trim(ctx.options.get_or("promote-from", policy::kDefaultPromoteFrom)));
    if (source == "none") return std::optional<std::string>();
    if (!policy::is_environment_name(source))
        return fail(ErrorKind::config, "option --promote-from: " + quoted(source) + " is not an environment name",
                    "name the environment production's migrations must run on first, such as staging, or none");
    if (source == policy::kProtectedEnvironment)
        return fail(ErrorKind::config,
                    "option --promote-from: " + quoted(source) + " is the environment the gate protects",
                    "name the environment that runs migrations before production, such as staging");
    return std::optional<std::string>(source);
}

struct SourcePrefetch::State {
    std::string source;
    Target target;
    util::Environment env;
    Options options;
    std::string command;
    std::ostringstream out_stream, err_stream;  // what the read said, for relay()
    std::optional<Result<std::vector<policy::SourceEntry>>> rows;
    std::thread thread;
};

std::unique_ptr<SourcePrefetch> SourcePrefetch::start(Context& ctx, const Target& target, bool worth_it) {
    if (!worth_it || target.environment != policy::kProtectedEnvironment) return nullptr;
    auto source = promote_from(ctx);
    if (!source || !*source) return nullptr;
    auto source_target = environment_target(ctx, **source, "promotion gate");
    if (!source_target || source_target->url.empty()) return nullptr;  // the API: on the gate's turn
    auto state = std::make_shared<State>();
    state->source = **source;
    state->target = std::move(*source_target);
    state->env = ctx.env;
    state->options = ctx.options;
    state->command = std::string(ctx.command);
    // The thread owns copies of all it uses, and a console of its own (github::Console::fork).
    state->thread =
        std::thread([state, own = ctx.console.fork(state->out_stream, state->err_stream), json = ctx.json]() mutable {
            Context tctx{state->command, state->env, state->options, own, state->out_stream, json};
            state->rows = source_history(tctx, state->target, state->source);
        });
    return std::unique_ptr<SourcePrefetch>(new SourcePrefetch(std::move(state)));
}

SourcePrefetch::SourcePrefetch(std::shared_ptr<State> state) : state_(std::move(state)) {}

SourcePrefetch::~SourcePrefetch() {
    if (state_->thread.joinable()) state_->thread.join();
}

const std::string& SourcePrefetch::source() const { return state_->source; }

Result<std::vector<policy::SourceEntry>> SourcePrefetch::take(Context& ctx) {
    if (state_->thread.joinable()) state_->thread.join();
    ctx.console.relay(std::exchange(state_->out_stream, {}).str(), std::exchange(state_->err_stream, {}).str());
    if (!state_->rows)
        return fail(ErrorKind::operation, "promotion gate: the history of " + state_->source + " was read already");
    auto rows = std::move(*state_->rows);
    state_->rows.reset();
    return rows;
}

Result<GateResult> promotion_gate(Context& ctx, const Target& target,
                                  std::span<const migrations::Migration* const> pending, const RouteFinder& find_route,
                                  GateRun run, SourcePrefetch* prefetched) {
    GateResult g;
    if (target.environment != policy::kProtectedEnvironment || pending.empty()) return g;
    TRY_ASSIGN(auto source_or, promote_from(ctx));
    if (!source_or) {
        g.status = "off";
        ctx.console.notice("promotion gate: off (--promote-from none): " + target.environment +
                           " gets migrations no other environment ran first");
        g.summary = "**Promotion gate**: off (`--promote-from none`)";
        return g;
    }
    const std::string& source = *source_or;
    auto source_target = environment_target(ctx, source, "promotion gate");
    if (!source_target) return source_missing(ctx, std::move(source_target.error()), target, pending.size(), run);
    TRY_ASSIGN(auto rows, prefetched && prefetched->source() == source ? prefetched->take(ctx)
                                                                       : source_history(ctx, *source_target, source));

    std::vector<policy::Candidate> candidates;
    candidates.reserve(pending.size());
    for (const auto* m : pending) candidates.push_back({m->file.version, m->file.name, m->texts()});
    auto gaps = policy::unpromoted(candidates, rows);
    if (gaps.empty()) {
        g.status = "passed";
        std::string line = "the " + plural(pending.size(), "pending migration") + " ran on " + source + " first";
        ctx.console.line("Promotion gate: " + line);
        g.summary = "**Promotion gate**: passed: " + md::text(line);
        return g;
    }
    const std::string table = gaps_table(gaps, source);
    if (ctx.options.flag("allow-unpromoted")) {
        g.status = "overridden";
        std::string line = policy::override_warning(gaps, source, target.environment);
        ctx.console.warning(line);
        g.summary = warning_block(line, table);
        return g;
    }
    policy::HotfixRoute route;
    if (find_route) {
        TRY_ASSIGN(route, find_route());
    }
    auto decision = policy::decide(gaps, route);
    if (decision.refused.empty()) return hotfix_passed(ctx, route, decision, source, target.environment, run, table);
    g.status = "refused";
    g.refusal = policy::gate_refusal(decision.refused, route, source, target.environment);
    g.summary = refusal_block(*g.refusal, table);
    return g;
}

} // namespace sbdeploy::cli
