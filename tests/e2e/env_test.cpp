// `sbdeploy env` as a step runs it: bad payloads (exit 2, exact message, no outputs),
// masks before anything else under Actions, --json, the step summary, terminal use.
#include <rapidjson/prettywriter.h>

#include <fstream>

#include "e2e/env_harness.hpp"

using namespace sbdeploy;
using namespace sbdeploy::test;

namespace {

const std::string kPayloadHint =
    "hint: sbdeploy reads the JSON payload the runner wrote for this event; check GITHUB_EVENT_PATH or --event-path\n";

std::string pretty(const rapidjson::Value& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    v.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
}

// Runs with a payload that must be refused: exit 2, nothing on stdout, no outputs.
std::string refused(const std::string& payload, const std::string& event = "push") {
    auto r = run_env(event, payload);
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK(r.output_file == "");
    CHECK(r.summary_file == "");
    return r.err;
}

std::string error_text(const std::string& path, const std::string& message) {
    return "sbdeploy: error: " + path + ": " + message + "\n" + kPayloadHint;
}

} // namespace

TEST_CASE("a truncated payload exits 2 with the line and column") {
    const auto& push = *examples_of("push")[4];
    SUBCASE("cut inside a string") {
        std::string cut = to_json(push).substr(0, 20);
        REQUIRE(cut == "{\"ref\":\"refs/heads/m");
        auto r = run_env("push", cut);
        CHECK(r.code == 2);
        CHECK(r.err == error_text(r.event_path,
                                  "the event payload is truncated at line 1, column 21: missing a closing "
                                  "quotation mark in string"));
    }
    SUBCASE("cut after the third line of the pretty-printed payload") {
        std::string text = pretty(push);
        std::size_t end = 0;
        for (int i = 0; i < 3; ++i) end = text.find('\n', end) + 1;
        std::string cut = text.substr(0, end);
        REQUIRE(cut.ends_with(",\n"));
        auto r = run_env("push", cut);
        CHECK(r.code == 2);
        CHECK(r.err ==
              error_text(r.event_path,
                         "the event payload is truncated at line 4, column 1: missing a name for object member"));
        CHECK(r.output_file == "");
    }
}

TEST_CASE("a malformed payload exits 2 naming the problem") {
    SUBCASE("a missing colon") {
        auto r = run_env("push", "{\"ref\": \"refs/heads/main\",\n  \"after\" \"abc\"\n}\n");
        CHECK(r.code == 2);
        CHECK(r.err == error_text(r.event_path, "the event payload is not valid JSON at line 2, column 11: missing a "
                                                "colon after a name of object member"));
    }
    SUBCASE("not an object") {
        CHECK(refused("[]").ends_with(": the event payload is not a JSON object but an array\n" + kPayloadHint));
    }
    SUBCASE("a field of the wrong type") {
        CHECK(refused(R"({"pull_request": {"number": "2"}})", "pull_request")
                  .ends_with(": event payload field pull_request.number: expected a number, got a string\n" +
                             kPayloadHint));
    }
    SUBCASE("100,000 levels deep") {
        CHECK(refused(std::string(100'000, '[') + std::string(100'000, ']'))
                  .ends_with(": the event payload nests deeper than 128 levels at line 1, column 129\n" +
                             kPayloadHint));
    }
    SUBCASE("whitespace only") { CHECK(refused(" \n").ends_with(": the event payload is empty\n" + kPayloadHint)); }
    SUBCASE("under Actions the error is an annotation with the hint") {
        auto r = run_env("push", "{\"ref\":", {{"GITHUB_ACTIONS", "true"}});
        CHECK(r.code == 2);
        CHECK(r.err ==
              "::error file=" + r.event_path +
                  "::the event payload is truncated at line 1, column 8: invalid value%0Ahint: sbdeploy reads "
                  "the JSON payload the runner wrote for this event; check GITHUB_EVENT_PATH or --event-path\n");
    }
}

TEST_CASE("a payload file that is missing or too large exits 2") {
    TempDir dir;
    SUBCASE("missing") {
        auto path = dir.path("event.json");
        auto r = run_env("push", "", {{"GITHUB_EVENT_PATH", path}});
        CHECK(r.code == 2);
        CHECK(r.out == "");
        CHECK(r.err == "sbdeploy: error: " + path +
                           ": cannot read the event payload: no such file or directory\nhint: set GITHUB_EVENT_PATH or "
                           "--event-path to the event payload file, or leave both unset outside GitHub Actions\n");
        CHECK(r.output_file == "");
    }
    SUBCASE("--event-path wins over GITHUB_EVENT_PATH") {
        auto good = dir.write("good.json", R"({"ref": "refs/heads/develop", "before": "a", "after": "b"})");
        auto r = run_env("push", "", {{"GITHUB_EVENT_PATH", dir.path("missing.json")}}, {"--event-path", good});
        CHECK(r.code == 0);
        CHECK(r.out == "push to \"develop\" -> staging: push (push to \"develop\" maps to staging)\n");
    }
    SUBCASE("over 64 MiB, refused without reading it") {
        auto path = dir.path("huge.json");
        {
            std::ofstream(path).put('{');
        }
        std::filesystem::resize_file(path, 100ull * 1024 * 1024);
        auto r = run_env("push", "", {{"GITHUB_EVENT_PATH", path}});
        CHECK(r.code == 2);
        CHECK(r.err == error_text(path, "the event payload is larger than 64 MiB (104857600 bytes)"));
    }
}

TEST_CASE("under Actions, secrets are masked before any other line") {
    const std::string token = "sbp_0123456789abcdef0123456789abcdef01234567";
    const std::string payload = R"({"ref": "refs/heads/main", "before": "a", "after": "b"})";
    SUBCASE("human output") {
        auto r = run_env("push", payload, {{"GITHUB_ACTIONS", "true"}, {"SUPABASE_ACCESS_TOKEN", token}});
        CHECK(r.code == 0);
        CHECK(r.out == "::add-mask::" + token +
                           "\npush to \"main\" -> production: push (push to \"main\" maps to production)\n");
        CHECK(r.err == "");
        CHECK(r.output_file.find(token) == std::string::npos);
        CHECK(r.summary_file.find(token) == std::string::npos);
    }
    SUBCASE("with --json the mask goes first on stderr and stdout is only JSON") {
        auto r = run_env("push", payload, {{"GITHUB_ACTIONS", "true"}, {"SUPABASE_ACCESS_TOKEN", token}}, {"--json"});
        CHECK(r.code == 0);
        CHECK(r.err == "::add-mask::" + token + "\n");
        CHECK(r.out.starts_with("{\"event\":\"push\","));
        CHECK(r.out.find(token) == std::string::npos);
    }
}

TEST_CASE("--json prints the outputs as one JSON object") {
    const auto& p = *examples_of("pull_request")[0];
    auto r = run_env("pull_request", to_json(p), {}, {"--json"});
    CHECK(r.code == 0);
    CHECK(r.err == "");
    REQUIRE(r.out.ends_with("}\n"));
    CHECK(r.out.find('\n') == r.out.size() - 1);
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    REQUIRE(doc.IsObject());
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& m : doc.GetObject()) fields.emplace_back(m.name.GetString(), m.value.GetString());
    // The same names, values and order as GITHUB_OUTPUT.
    CHECK(fields == parse_file_commands(r.output_file));
    CHECK(text_at(doc, "/environment") == "staging");
    CHECK(text_at(doc, "/action") == "validate");
    CHECK(text_at(doc, "/pr_number") == "2");
}

TEST_CASE("in a terminal: no runner files, one line") {
    SUBCASE("nothing at all") {
        auto r = run_env("", "", {{"GITHUB_OUTPUT", ""}, {"GITHUB_STEP_SUMMARY", ""}});
        CHECK(r.code == 0);
        CHECK(r.out == "no event -> none (no GitHub event and no --environment given)\n");
        CHECK(r.err == "");
    }
    SUBCASE("--environment alone") {
        auto r = run_env("", "", {{"GITHUB_OUTPUT", ""}, {"GITHUB_STEP_SUMMARY", ""}}, {"--environment", "staging"});
        CHECK(r.out == "no event -> staging: push (--environment selects staging)\n");
    }
    SUBCASE("SBDEPLOY_ENVIRONMENT is --environment") {
        auto r = run_env("", "", {{"SBDEPLOY_ENVIRONMENT", "qa"}});
        CHECK(r.out == "no event -> qa: push (--environment selects qa)\n");
    }
    SUBCASE("the variables alone, without a payload") {
        auto r = run_env("push", "", {{"GITHUB_REF", "refs/heads/staging"}, {"GITHUB_SHA", "abc"}});
        CHECK(r.code == 0);
        CHECK(r.out == "push to \"staging\" -> staging: push (push to \"staging\" maps to staging)\n");
        CHECK(parse_file_commands(r.output_file)[6] == std::pair<std::string, std::string>{"sha", "abc"});
    }
    SUBCASE("a bad --environment exits 2") {
        auto r = run_env("", "", {}, {"--environment", "prod uction"});
        CHECK(r.code == 2);
        CHECK(r.err == "sbdeploy: error: option --environment: \"prod uction\" is not an environment name\nhint: "
                       "environment names are letters, digits, \"-\" and \"_\", such as staging or production\n");
        CHECK(r.output_file == "");
    }
}

TEST_CASE("an output file that cannot be written exits 1") {
    TempDir dir;
    auto path = dir.path("no-such-folder/output");
    auto r = run_env("push", R"({"ref": "refs/heads/main"})", {{"GITHUB_OUTPUT", path}});
    CHECK(r.code == 1);
    CHECK(r.out == "");
    CHECK(r.err == "sbdeploy: error: cannot write the GITHUB_OUTPUT file \"" + path +
                       "\": no such file or directory\nhint: the runner sets GITHUB_OUTPUT to a writable file; outside "
                       "Actions, unset it\n");
}

TEST_CASE("sbdeploy env --help lists its options") {
    util::ProcessSpec spec;
    spec.program = SBDEPLOY_BINARY;
    spec.args = {"env", "--help"};
    auto r = util::run_process(spec);
    REQUIRE(r);
    CHECK(r->exit_code == 0);
    CHECK(r->out.starts_with("usage: sbdeploy env [options]\n"));
    CHECK(r->out.find("  --event-path FILE\n      event payload (default: $GITHUB_EVENT_PATH)\n      env: "
                      "SBDEPLOY_EVENT_PATH\n") != std::string::npos);
    CHECK(r->out.find("  --environment NAME\n") != std::string::npos);
}
