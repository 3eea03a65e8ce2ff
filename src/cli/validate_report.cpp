// validate's step summary (see validate_report.hpp).
#include "cli/validate_report.hpp"

#include <algorithm>

#include "github/summary.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace md = github::md;

namespace {

using migrations::DryRunStep;

// Where the first failing file failed: "`x.sql` line 4", "`x.sql`: its down SQL line 2".
std::string failed_at(const FileVerdict& f) {
    const auto& m = *f.run->migration;
    const std::string file = md::code(m.file.filename);
    if (f.step() == DryRunStep::up) return file + " line " + std::to_string(f.run->error->line);
    if (f.step() == DryRunStep::up_again)
        return file + " line " + std::to_string(f.down.error->line) + ", run again after its down SQL";
    if (f.down.error) return file + ": its down SQL, line " + std::to_string(f.down.error->line);
    return file + ": its down SQL does not restore the schema";
}

// "; lint: 1 error, 2 warnings" when lint found anything.
std::string lint_note(const LintChecks& lint) {
    if (lint.findings.empty()) return "";
    return "; lint" + std::string(lint.failed ? " failed" : "") + ": " + md::count(lint.errors, "error") + ", " +
           md::count(lint.warnings, "warning");
}

std::string headline(const Target& target, const DryRunView& v) {
    const auto failed =
        static_cast<std::size_t>(std::ranges::count_if(v.files, [](const FileVerdict& f) { return f.failed(); }));
    const std::string title = validate_title(target);
    if (v.run.capacity) {
        const std::size_t ran = v.files.size() - v.tally.not_run;
        return md::headline(md::Outcome::failed, title,
                            "stopped at the server's lock capacity: " + std::to_string(ran) + " of " +
                                std::to_string(v.files.size()) + " dry-run" + lint_note(v.lint));
    }
    if (failed > 0) {
        const auto first = std::ranges::find_if(v.files, [](const FileVerdict& f) { return f.failed(); });
        return md::headline(md::Outcome::failed, title,
                            std::to_string(failed) + " of " + std::to_string(v.files.size()) + " failed — " +
                                failed_at(*first) + lint_note(v.lint));
    }
    const std::string passed = md::count(v.files.size(), "file") + " passed";
    if (v.lint.failed) return md::headline(md::Outcome::failed, title, passed + " the dry run" + lint_note(v.lint));
    if (!v.lint.findings.empty()) return md::headline(md::Outcome::warned, title, passed + lint_note(v.lint));
    return md::headline(md::Outcome::passed, title, passed);
}

std::string hints_block(const std::vector<std::string>& hints) {
    std::string out;
    for (const auto& h : hints) out += (out.empty() ? "" : "\n\n") + hint_line(h);
    return out;
}

} // namespace

std::string validate_title(const Target& target) {
    return target.environment.empty() ? std::string("validate") : "validate against " + target.environment;
}

std::string hint_line(std::string_view hint) { return hint.empty() ? std::string() : "hint: " + md::text(hint); }

int validate_refused(Context& ctx, Report& rep, const Target& target, const Error& e) {
    rep.set("valid", "false");
    const std::string where = e.file.empty() ? std::string() : md::code(e.file) + ": ";
    rep.headline = md::headline(md::Outcome::failed, validate_title(target), where + md::text(e.message));
    rep.summary = md::Summary().block(hint_line(e.hint)).str();
    ctx.console.error(e);
    return finish(ctx, rep, 1);
}

int unmatched_refused(Context& ctx, const Project& project, const Target& target) {
    Report rep;
    rep.set("valid", "false");
    const std::string n = md::count(project.unmatched.size(), "file");
    rep.headline = md::headline(md::Outcome::failed, validate_title(target),
                                n + " in the migrations folder would never be applied");
    md::Table table({"File", "Problem", "Fix"});
    for (const auto& u : project.unmatched) {
        Error e = unmatched_problem(u);
        ctx.console.error(e);
        table.row({md::Cell::code(u.display), md::Cell::text(e.message), md::Cell::text(e.hint)});
    }
    rep.summary = md::Summary()
                      .block(table.render_collapsed(md::bold(n + " never applied")))
                      .block("`--ignore-unmatched` makes this a warning.")
                      .str();
    ctx.console.line(util::plural(project.unmatched.size(), "file") +
                     " in the migrations folder would never be applied; --ignore-unmatched makes this a warning");
    return finish(ctx, rep, 1);
}

void summarise_dry_run(Report& rep, const Target& target, const DryRunView& v) {
    rep.headline = headline(target, v);
    const bool failed = v.tally.failed > 0 || v.run.capacity;
    const std::string target_name = target.environment.empty() ? "the target" : target.environment;
    std::string changed = v.shadow ? "Applied on the shadow database; " + md::text(target_name) + " was not changed."
                                   : "Nothing was changed: the dry run rolled back.";
    if (failed) changed = md::text(failed_outcome(v.files, v.run)) + ".";
    rep.summary = md::Summary()
                      .block(v.tally.table)
                      .block(md::text(not_run_note(v.files, v.run)))
                      .block(changed)
                      .block(hints_block(v.hints))
                      .block(md::text(v.tally.down_line))
                      .block(v.lint.summary)
                      .str();
}

} // namespace sbdeploy::cli
