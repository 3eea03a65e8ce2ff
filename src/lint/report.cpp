#include "lint/report.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

#include "github/summary.hpp"

namespace sbdeploy::lint {

Counts count(std::span<const Finding> findings) {
    Counts c;
    for (const auto& f : findings) (f.severity == Severity::error ? c.errors : c.warnings) += 1;
    return c;
}

std::string text_line(const Finding& f) {
    return f.file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " +
           std::string(severity_name(f.severity)) + ": " + f.message + " [" + std::string(info(f.rule).id) + "]";
}

std::string findings_json(std::span<const Finding> findings) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto string = [&](const char* key, std::string_view value) {
        w.Key(key);
        w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    w.StartArray();
    for (const auto& f : findings) {
        w.StartObject();
        string("rule", info(f.rule).id);
        string("severity", severity_name(f.severity));
        string("file", f.file);
        w.Key("line");
        w.Int(f.line);
        w.Key("column");
        w.Int(f.column);
        string("message", f.message);
        string("fix", f.fix);
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

std::string summary_table(std::span<const Finding> findings, std::size_t limit) {
    namespace md = github::md;
    std::vector<const Finding*> sorted;
    for (const auto& f : findings) sorted.push_back(&f);
    std::ranges::stable_partition(sorted, [](const Finding* f) { return f->severity == Severity::error; });
    md::Table table({"Finding", "Where", "Problem", "Fix"});
    for (const auto* f : sorted) {
        const bool error = f->severity == Severity::error;
        table.row({md::Cell::raw(std::string(md::mark(error ? md::Outcome::failed : md::Outcome::warned)) +
                                 (error ? " error " : " warning ") + md::code(info(f->rule).id)),
                   md::Cell::raw(md::Cell::file(f->file).markdown + " line " + std::to_string(f->line)),
                   md::Cell::text(f->message), md::Cell::text(f->fix)});
    }
    return table.render_collapsed(md::bold(md::count(findings.size(), "finding")), limit);
}

std::string describe_counts(Counts c) {
    if (c.errors == 0 && c.warnings == 0) return "no findings";
    auto n = [](std::size_t k, const char* one, const char* many) {
        return std::to_string(k) + " " + (k == 1 ? one : many);
    };
    return n(c.errors, "error", "errors") + ", " + n(c.warnings, "warning", "warnings");
}

} // namespace sbdeploy::lint
