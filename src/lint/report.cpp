#include "lint/report.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "github/outputs.hpp"

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

std::string summary_table(std::span<const Finding> findings) {
    std::string md = "| Severity | Rule | Where | Finding | Fix |\n|---|---|---|---|---|\n";
    for (const auto& f : findings) {
        md += std::string("| ") + (f.severity == Severity::error ? ":x: error" : ":warning: warning") + " | `" +
              std::string(info(f.rule).id) + "` | " + github::escape_markdown(f.file) + ":" + std::to_string(f.line) +
              ":" + std::to_string(f.column) + " | " + github::escape_markdown(f.message) + " | " +
              github::escape_markdown(f.fix) + " |\n";
    }
    return md;
}

std::string describe_counts(Counts c) {
    if (c.errors == 0 && c.warnings == 0) return "no findings";
    auto n = [](std::size_t k, const char* one, const char* many) { return std::to_string(k) + " " + (k == 1 ? one : many); };
    return n(c.errors, "error", "errors") + ", " + n(c.warnings, "warning", "warnings");
}

} // namespace sbdeploy::lint
