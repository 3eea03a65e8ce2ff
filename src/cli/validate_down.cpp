#include "cli/validate_down.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "github/summary.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using migrations::DownOutcome;
using migrations::DryRunStep;
using migrations::Verdict;

namespace md = github::md;

std::string down_name(const FileVerdict& f) {
    if (!f.checked) return f.down.outcome == DownOutcome::none ? "none" : "off";
    switch (f.down.outcome) {
    case DownOutcome::passed: return "passed";
    case DownOutcome::failed: return "failed";
    case DownOutcome::none: return "none";
    case DownOutcome::not_checked: return "not checked";
    }
    return "?";
}

// What failed, in one line: the down SQL's or the re-run's statement, or the objects.
std::string down_failure(const migrations::DownCheck& d) {
    if (d.error) return "line " + std::to_string(d.error->line) + ": " + d.error->message;
    std::string out;
    for (const auto& line : d.differences) out += (out.empty() ? "" : "; ") + line;
    return out;
}

md::Cell down_cell(const FileVerdict& f) {
    if (f.run->verdict != Verdict::ok) return md::Cell::text("-");
    const auto& d = f.down;
    if (!f.checked) return md::Cell::text(d.outcome == DownOutcome::none ? "none" : "not checked");
    switch (d.outcome) {
    case DownOutcome::passed: return md::Cell::raw("✅ undoes it");
    case DownOutcome::none: return md::Cell::text("none");
    case DownOutcome::not_checked: return md::Cell::text("not checked: " + d.why_not);
    case DownOutcome::failed:
        return md::Cell::raw(
            "❌ " + md::text(std::string(d.step == DryRunStep::up_again ? "the migration fails again after it, " : "") +
                             down_failure(d)));
    }
    return md::Cell::text("?");
}

// The console line's end for a file that passed the dry run.
std::string down_note(const FileVerdict& f) {
    if (!f.checked) return "";
    switch (f.down.outcome) {
    case DownOutcome::passed: return " (down SQL undoes it)";
    case DownOutcome::none: return "";  // as before the check: the count says it
    case DownOutcome::not_checked: return " (down SQL not checked: " + f.down.why_not + ")";
    case DownOutcome::failed: break;
    }
    return "";
}

// " (possibly a consequence of the failure of \"a.sql\")", or empty.
std::string consequence_note(const FileVerdict& f) {
    if (f.after_failure_of == nullptr) return "";
    return " (possibly a consequence of the failure of " + util::quoted(f.after_failure_of->file.filename) + ")";
}

std::string failed_line(const FileVerdict& f) {
    const auto& m = *f.run->migration;
    if (f.step() == DryRunStep::up) return m.file.filename + " line " + std::to_string(f.run->error->line);
    const auto& d = f.down;
    if (f.step() == DryRunStep::up_again)
        return m.file.filename + " line " + std::to_string(d.error->line) + ", run again after its down SQL";
    if (d.error) return m.file.filename + ": its down SQL, " + d.error->file + " line " + std::to_string(d.error->line);
    return m.file.filename + ": its down SQL does not restore the schema (" +
           util::plural(d.differences.size(), "object") + ")";
}

// The dry run's cell of a file, counted in `t`, with its console line.
md::Cell dry_run_cell(Context& ctx, const FileVerdict& f, Tally& t) {
    const auto& d = *f.run;
    const auto& file = d.migration->file;
    if (f.failed()) {
        ++t.failed;
        ctx.console.line("FAILED  " + failed_line(f) + consequence_note(f));
        if (f.step() != DryRunStep::up) return md::Cell::raw("✅ ok");
        return md::Cell::raw("❌ line " + std::to_string(d.error->line) + ": " +
                             md::text(d.error->message + consequence_note(f)));
    }
    if (d.verdict == Verdict::not_run) {
        ++t.not_run;
        ctx.console.line("not run " + file.filename);
        return md::Cell::text("not run");
    }
    if (d.verdict == Verdict::not_dry_run) {
        ++t.skipped;
        ctx.console.line("skipped " + file.filename + " (not dry-run: " + d.why_not + ")");
        return md::Cell::text("not dry-run: " + d.why_not);
    }
    ctx.console.line("ok      " + file.filename + down_note(f));
    return md::Cell::raw("✅ ok");
}

}  // namespace

std::unique_ptr<migrations::DownChecker> make_down_checker(Context& ctx, const db::Session& db,
                                                           const migrations::Settings& settings) {
    if (ctx.options.flag("no-down-check")) return nullptr;
    if (db.scope() == db::Scope::call) {
        ctx.console.notice("down SQL not checked: over the Management API each request is a transaction of its own, "
                           "and the check runs the migration, its down SQL and the migration again in one; use a "
                           "database URL (--db-url) to check it");
        return nullptr;
    }
    return std::make_unique<migrations::DownChecker>(settings);
}

bool FileVerdict::failed() const {
    return run->verdict == Verdict::failed || (run->verdict == Verdict::ok && down.outcome == DownOutcome::failed);
}

migrations::DryRunStep FileVerdict::step() const {
    return run->verdict == Verdict::failed ? DryRunStep::up : down.step;
}

std::vector<FileVerdict> file_verdicts(const migrations::DryRunReport& report, const migrations::DownChecker* checker) {
    std::vector<FileVerdict> out;
    out.reserve(report.files.size());
    // The first file whose migration failed: later failures may only follow from it (a down
    // SQL's failure changes nothing the next files see).
    const migrations::Migration* first_failed = nullptr;
    for (const auto& d : report.files) {
        FileVerdict f{&d, {}, checker != nullptr};
        if (d.verdict == Verdict::not_run)
            f.down.outcome = d.migration->down ? DownOutcome::not_checked : DownOutcome::none;
        else if (checker != nullptr)
            f.down = checker->result(*d.migration);
        else if (d.migration->down)
            f.down.outcome = DownOutcome::not_checked;
        if (f.failed()) f.after_failure_of = first_failed;
        if (d.verdict == Verdict::failed && first_failed == nullptr) first_failed = d.migration;
        out.push_back(std::move(f));
    }
    return out;
}

Tally report_files(Context& ctx, std::span<const FileVerdict> files) {
    Tally t;
    // The Down SQL column only when a file has some: without, the table is as it always was.
    const bool column =
        std::ranges::any_of(files, [](const FileVerdict& f) { return f.run->migration->down != nullptr; });
    md::Table table(column ? std::vector<std::string>{"Version", "Name", "Dry run", "Down SQL"}
                           : std::vector<std::string>{"Version", "Name", "Dry run"});
    for (const auto& f : files) {
        const auto& d = *f.run;
        const auto& file = d.migration->file;
        if (!d.migration->down) ++t.without_down;
        if (f.checked && d.verdict == Verdict::ok && f.down.outcome == DownOutcome::passed) ++t.down_passed;
        auto dry = dry_run_cell(ctx, f, t);
        table.row({md::Cell::text(file.version), md::Cell::text(file.name), std::move(dry), down_cell(f)});
    }
    t.table = table.render_collapsed(md::bold(util::plural(files.size(), "pending migration") + " dry-run"));
    if (t.without_down > 0)
        t.down_line = util::plural(t.without_down, "pending migration") + " of " + std::to_string(files.size()) +
                      (t.without_down == 1 ? " has" : " have") + " no down SQL: rollback cannot undo " +
                      (t.without_down == 1 ? "it" : "them");
    return t;
}

std::vector<std::string> report_errors(Context& ctx, std::span<const FileVerdict> files) {
    std::vector<std::string> hints;
    auto print = [&](const Error& e) {
        ctx.console.error(e);
        if (!e.hint.empty() && std::ranges::find(hints, e.hint) == hints.end()) hints.push_back(e.hint);
    };
    for (const auto& f : files) {
        if (!f.failed()) continue;
        if (f.step() == DryRunStep::up) {
            Error e = *f.run->error;
            if (f.after_failure_of != nullptr)
                e.hint = "possibly a consequence of the failure of " + util::quoted(f.after_failure_of->file.filename) +
                         " before it: fix that one first";
            print(e);
            continue;
        }
        if (f.down.error) {
            print(*f.down.error);
            continue;
        }
        const auto& m = *f.run->migration;
        for (std::size_t i = 0; i < f.down.differences.size(); ++i) {
            Error e = make_error(ErrorKind::operation,
                                 "down SQL of " + util::quoted(m.file.filename) + " " + f.down.differences[i])
                          .at(m.down->file.display);
            if (i + 1 == f.down.differences.size())
                e.hint = "make the down SQL drop what the migration creates and restore what it drops or changes; "
                         "validate ran the migration, then its down SQL, in a transaction it rolled back";
            print(e);
        }
    }
    return hints;
}

std::string verdicts_json(std::span<const FileVerdict> files, const github::Console& console) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto text = [&](const char* key, const std::string& value) {
        w.Key(key);
        w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    };
    w.StartArray();
    for (const auto& f : files) {
        const auto& d = *f.run;
        w.StartObject();
        text("version", d.migration->file.version);
        text("file", d.migration->file.display);
        text("verdict", std::string(migrations::verdict_name(f.failed() ? Verdict::failed : d.verdict)));
        if (f.failed()) text("step", std::string(migrations::step_name(f.step())));
        text("down", down_name(f));
        if (d.migration->down) text("down_file", d.migration->down->file.display);
        const Error* e = f.step() == DryRunStep::up ? (d.error ? &*d.error : nullptr)
                                                    : (f.failed() && f.down.error ? &*f.down.error : nullptr);
        if (e != nullptr) {
            w.Key("line");
            w.Int(e->line);
            text("message", console.redact(e->message));
            text("sqlstate", e->sqlstate);
        }
        if (f.after_failure_of != nullptr) {
            w.Key("possibly_consequential");
            w.Bool(true);
        }
        if (f.failed() && !f.down.differences.empty()) {
            text("message", console.redact(down_failure(f.down)));
            w.Key("differences");
            w.StartArray();
            for (const auto& line : f.down.differences) {
                std::string shown = console.redact(line);
                w.String(shown.c_str(), static_cast<rapidjson::SizeType>(shown.size()));
            }
            w.EndArray();
        }
        w.EndObject();
    }
    w.EndArray();
    return buf.GetString();
}

}  // namespace sbdeploy::cli
