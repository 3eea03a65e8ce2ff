// Runs the built `sbdeploy env` in a temp runner environment (event payload, GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY as temp files) and builds the exact bytes expected in GITHUB_OUTPUT.
// Also loads GitHub's webhook examples (npm @octokit/webhooks-examples, pinned in tests/).
#pragma once

#include <doctest/doctest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/file_commands.hpp"
#include "support/temp_dir.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

using RunnerEnv = std::map<std::string, std::string, std::less<>>;

struct EnvRun {
    int code = -1;
    std::string out;
    std::string err;
    std::string output_file;   // GITHUB_OUTPUT afterwards
    std::string summary_file;  // GITHUB_STEP_SUMMARY afterwards
    std::string event_path;
};

// Runs `sbdeploy env args...` with exactly `env` plus, unless given, GITHUB_EVENT_NAME
// (when `event_name` is not empty), GITHUB_EVENT_PATH (the payload written to a temp
// file, when `payload` is not empty), and empty GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
// files as the runner creates them.
inline EnvRun run_env(const std::string& event_name, const std::string& payload, RunnerEnv env = {},
                      const std::vector<std::string>& args = {}) {
    TempDir dir;
    EnvRun r;
    if (!payload.empty()) {
        r.event_path = dir.write("event.json", payload);
        env.try_emplace("GITHUB_EVENT_PATH", r.event_path);
    }
    if (!event_name.empty()) env.try_emplace("GITHUB_EVENT_NAME", event_name);
    env.try_emplace("GITHUB_OUTPUT", dir.write("output", ""));
    env.try_emplace("GITHUB_STEP_SUMMARY", dir.write("summary", ""));
    util::ProcessSpec spec;
    spec.program = SBDEPLOY_BINARY;
    spec.args = {"env"};
    spec.args.insert(spec.args.end(), args.begin(), args.end());
    spec.env = env;
    spec.timeout = std::chrono::milliseconds(30'000);
    auto result = util::run_process(spec);
    REQUIRE_MESSAGE(result, "cannot run " SBDEPLOY_BINARY);
    REQUIRE_FALSE(result->timed_out);
    r.code = result->exit_code;
    r.out = result->out;
    r.err = result->err;
    r.output_file = read_all(env["GITHUB_OUTPUT"]);
    r.summary_file = read_all(env["GITHUB_STEP_SUMMARY"]);
    return r;
}

// What `sbdeploy env` reports, in the order it writes the outputs.
struct EnvOutputs {
    std::string event, ref, branch, base_ref, base_sha, head_sha, sha, pr_number, fork = "false", repository,
                                                                                  environment, action, reason;

    [[nodiscard]] std::vector<std::pair<std::string, std::string>> items() const {
        return {{"event", event},
                {"ref", ref},
                {"branch", branch},
                {"base_ref", base_ref},
                {"base_sha", base_sha},
                {"head_sha", head_sha},
                {"sha", sha},
                {"pr_number", pr_number},
                {"fork", fork},
                {"repository", repository},
                {"environment", environment},
                {"action", action},
                {"reason", reason}};
    }
    // The GITHUB_OUTPUT bytes @actions/core would write with `delimiter`.
    [[nodiscard]] std::string file_bytes(const std::string& delimiter) const {
        std::string s;
        for (const auto& [name, value] : items()) s += name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
        return s;
    }
};

// The delimiter the binary chose, read from the file's first line: "event<<DELIMITER".
inline std::string delimiter_of(const std::string& output_file) {
    auto eol = output_file.find('\n');
    auto heredoc = output_file.find("<<");
    if (eol == std::string::npos || heredoc == std::string::npos || heredoc > eol) return {};
    return output_file.substr(heredoc + 2, eol - heredoc - 2);
}

// GITHUB_OUTPUT compared byte for byte, and read back as the runner reads it.
inline void check_outputs(const EnvRun& r, const EnvOutputs& expected) {
    CHECK(r.code == 0);
    CHECK(r.err == "");
    std::string delimiter = delimiter_of(r.output_file);
    CHECK(delimiter.size() == std::string("ghadelimiter_").size() + 36);
    CHECK(delimiter.starts_with("ghadelimiter_"));
    CHECK(r.output_file == expected.file_bytes(delimiter));
    CHECK(parse_file_commands(r.output_file) == expected.items());
}

// ${SBDEPLOY_SOURCE_DIR}/tests/node_modules/@octokit/webhooks-examples: [{name, examples[]}].
inline const rapidjson::Document& webhook_examples() {
    static const rapidjson::Document doc = [] {
        const std::string path = SBDEPLOY_SOURCE_DIR
            "/tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json";
        rapidjson::Document d;
        if (!std::filesystem::exists(path)) return d;
        std::string text = read_all(path);
        d.Parse(text.data(), text.size());
        return d;
    }();
    REQUIRE_MESSAGE(doc.IsArray(), "@octokit/webhooks-examples is missing from tests/node_modules: run scripts/setup");
    return doc;
}

// Every example payload of one event.
inline std::vector<const rapidjson::Value*> examples_of(std::string_view event) {
    std::vector<const rapidjson::Value*> out;
    for (const auto& entry : webhook_examples().GetArray())
        if (entry["name"].GetString() == event)
            for (const auto& example : entry["examples"].GetArray()) out.push_back(&example);
    REQUIRE_MESSAGE(!out.empty(), "no webhook examples for " << std::string(event));
    return out;
}

inline std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

// A string at a JSON pointer path ("/pull_request/head/sha"); "" when absent or null.
inline std::string text_at(const rapidjson::Value& root, const char* pointer) {
    const rapidjson::Value* v = &root;
    std::string_view p(pointer);
    while (!p.empty()) {
        p.remove_prefix(1);
        auto slash = p.find('/');
        std::string key(p.substr(0, slash));
        p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
        if (!v->IsObject() || !v->HasMember(key.c_str())) return {};
        v = &(*v)[key.c_str()];
    }
    return v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

} // namespace sbdeploy::test
