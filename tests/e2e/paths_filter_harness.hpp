// Runs the built `sbdeploy paths-filter` as a GitHub runner would (event payload, GITHUB_SHA,
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files) in a git checkout, reads the outputs back as
// the runner does, and builds the exact outputs a test expects.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "support/file_commands.hpp"
#include "support/git_repo.hpp"
#include "support/temp_dir.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

using Outputs = std::vector<std::pair<std::string, std::string>>;

struct FilterRun {
    int code = -1;
    std::string out;
    std::string err;
    std::string output_file;
    std::string summary;
    Outputs outputs;

    [[nodiscard]] std::string output(const std::string& name) const {
        for (const auto& [k, v] : outputs)
            if (k == name) return v;
        return "<unset>";
    }
};

struct Runner {
    std::string event;    // GITHUB_EVENT_NAME; "" for none
    std::string payload;  // written to GITHUB_EVENT_PATH when not empty
    std::string sha;      // GITHUB_SHA
    std::string ref;      // GITHUB_REF
    std::string repository = "octo/app";
    GitEnv env;           // more variables (win over the defaults)
};

// Runs `sbdeploy paths-filter args...` in `workdir` with `runner` and the git test
// environment `base_env` (PATH, HOME, no git configuration).
inline FilterRun run_paths_filter(const std::filesystem::path& workdir, const Runner& runner, const GitEnv& base_env,
                                  const std::vector<std::string>& args = {}) {
    TempDir dir;
    GitEnv env = base_env;
    if (!runner.event.empty()) env["GITHUB_EVENT_NAME"] = runner.event;
    if (!runner.payload.empty()) env["GITHUB_EVENT_PATH"] = dir.write("event.json", runner.payload);
    if (!runner.sha.empty()) env["GITHUB_SHA"] = runner.sha;
    if (!runner.ref.empty()) env["GITHUB_REF"] = runner.ref;
    if (!runner.repository.empty()) env["GITHUB_REPOSITORY"] = runner.repository;
    env["GITHUB_OUTPUT"] = dir.write("output", "");
    env["GITHUB_STEP_SUMMARY"] = dir.write("summary", "");
    for (const auto& [k, v] : runner.env) env[k] = v;
    util::ProcessSpec spec;
    spec.program = SBDEPLOY_BINARY;
    spec.args = {"paths-filter"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.env = env;
    spec.workdir = workdir.string();
    spec.timeout = std::chrono::milliseconds(60'000);
    auto result = util::run_process(spec);
    REQUIRE_MESSAGE(result, "cannot run " SBDEPLOY_BINARY);
    REQUIRE_FALSE(result->timed_out);
    FilterRun r;
    r.code = result->exit_code;
    r.out = result->out;
    r.err = result->err;
    r.output_file = read_all(env["GITHUB_OUTPUT"]);
    r.summary = read_all(env["GITHUB_STEP_SUMMARY"]);
    r.outputs = parse_file_commands(r.output_file);
    return r;
}

// A JSON string as RapidJSON's Writer writes it (UTF-8 kept, control characters escaped).
inline std::string json_string(const std::string& s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string r = "\"";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (ch) {
        case '"': r += "\\\""; continue;
        case '\\': r += "\\\\"; continue;
        case '\n': r += "\\n"; continue;
        case '\t': r += "\\t"; continue;
        case '\r': r += "\\r"; continue;
        case '\b': r += "\\b"; continue;
        case '\f': r += "\\f"; continue;
        default: break;
        }
        if (c < 0x20) {
            r += "\\u00";
            r.push_back(hex[c >> 4]);
            r.push_back(hex[c & 15]);
        } else {
            r.push_back(ch);
        }
    }
    return r + "\"";
}

inline std::string json_list(const std::vector<std::string>& v) {
    std::string r = "[";
    for (std::size_t i = 0; i < v.size(); ++i) r += (i ? "," : "") + json_string(v[i]);
    return r + "]";
}

// What paths-filter should report, in the order it writes the outputs.
struct Expected {
    std::vector<std::string> files;
    std::vector<std::string> added, modified, deleted;
    std::vector<std::pair<std::string, std::string>> renamed;
    std::vector<std::string> edited;
    std::string base, head, reason;
    std::optional<std::string> migrations_files;  // with --list-files

    [[nodiscard]] Outputs items() const {
        std::string changed = files.empty() ? "false" : "true";
        std::string renames = "[";
        for (std::size_t i = 0; i < renamed.size(); ++i)
            renames += std::string(i ? "," : "") + "{\"from\":" + json_string(renamed[i].first) +
                       ",\"to\":" + json_string(renamed[i].second) + "}";
        renames += "]";
        Outputs o = {{"changed", changed},
                     {"count", std::to_string(files.size())},
                     {"files", json_list(files)},
                     {"added", json_list(added)},
                     {"modified", json_list(modified)},
                     {"deleted", json_list(deleted)},
                     {"renamed", renames},
                     {"migrations", changed},
                     {"migrations_count", std::to_string(files.size())}};
        if (migrations_files) o.emplace_back("migrations_files", *migrations_files);
        o.emplace_back("changes", files.empty() ? "[]" : "[\"migrations\"]");
        o.emplace_back("edited_existing", json_list(edited));
        o.emplace_back("base", base);
        o.emplace_back("head", head);
        o.emplace_back("base_reason", reason);
        std::string per = "{\"migrations\":" + json_string(changed) +
                          ",\"migrations_count\":" + json_string(std::to_string(files.size()));
        if (migrations_files) per += ",\"migrations_files\":" + json_string(*migrations_files);
        o.emplace_back("filter_outputs", per + "}");
        return o;
    }
};

inline std::string short_sha(const std::string& sha) { return sha.substr(0, 7); }

// The run succeeded with exactly these outputs.
inline void check_outputs(const FilterRun& r, const Expected& e) {
    INFO("stdout: " << r.out);
    INFO("stderr: " << r.err);
    CHECK(r.code == 0);
    CHECK(r.outputs == e.items());
}

} // namespace sbdeploy::test
