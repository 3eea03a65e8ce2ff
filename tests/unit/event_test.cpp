// Event payload parsing: the fields, null and absent fields, the inferred event name,
// and every error message exactly. Real GitHub payloads are exercised in tests/e2e.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>

#include "github/event.hpp"
#include "support/temp_dir.hpp"

using namespace sbdeploy;
using namespace sbdeploy::github;
using sbdeploy::test::TempDir;

namespace {

const std::string kHint =
    "sbdeploy reads the JSON payload the runner wrote for this event; check GITHUB_EVENT_PATH or --event-path";

Error parse_error(std::string_view json, std::string_view name = "push") {
    auto e = parse_event(json, name);
    REQUIRE_FALSE(e);
    CHECK(e.error().kind == ErrorKind::input);
    CHECK(e.error().exit_code() == 2);
    return e.error();
}

} // namespace

TEST_CASE("a push payload gives its ref, commits and flags") {
    auto e = parse_event(R"({"ref": "refs/heads/main", "before": "b1", "after": "a2", "created": false,
        "deleted": false, "forced": true, "base_ref": null,
        "repository": {"full_name": "octo/app", "default_branch": "main", "id": 1},
        "sender": {"login": "mona"}})",
                         "push");
    REQUIRE(e);
    CHECK(e->name == "push");
    CHECK(e->ref == "refs/heads/main");
    CHECK(e->before == "b1");
    CHECK(e->after == "a2");
    CHECK_FALSE(e->created);
    CHECK_FALSE(e->deleted);
    CHECK(e->forced);
    CHECK(e->base_ref.empty());
    CHECK(e->repository == "octo/app");
    CHECK(e->default_branch == "main");
    CHECK_FALSE(e->pull_request);
    CHECK_FALSE(e->merge_group);
    SUBCASE("the whole document stays available") {
        REQUIRE(e->document);
        CHECK(std::string((*e->document)["sender"]["login"].GetString()) == "mona");
    }
}

TEST_CASE("a pull_request payload gives the pull request") {
    const std::string pr = R"({"action": "closed", "number": 7, "pull_request": {
        "number": 7, "title": "Add flags", "user": {"login": "mona"}, "draft": false, "merged": true,
        "created_at": "2025-01-02T03:04:05Z", "merged_at": "2025-01-03T00:00:00Z", "merge_commit_sha": "m1",
        "base": {"ref": "staging", "sha": "bs", "repo": {"full_name": "octo/app"}},
        "head": {"ref": "feature/x", "sha": "hs", "repo": {"full_name": "octo/app"}}},
        "repository": {"full_name": "octo/app"}})";
    auto e = parse_event(pr, "pull_request");
    REQUIRE(e);
    CHECK(e->action == "closed");
    REQUIRE(e->pull_request);
    const auto& p = *e->pull_request;
    CHECK(p.number == 7);
    CHECK(p.title == "Add flags");
    CHECK(p.author == "mona");
    CHECK_FALSE(p.draft);
    CHECK(p.merged);
    CHECK(p.created_at == "2025-01-02T03:04:05Z");
    CHECK(p.merged_at == "2025-01-03T00:00:00Z");
    CHECK(p.merge_commit_sha == "m1");
    CHECK(p.base_ref == "staging");
    CHECK(p.base_sha == "bs");
    CHECK(p.base_repo == "octo/app");
    CHECK(p.head_ref == "feature/x");
    CHECK(p.head_sha == "hs");
    CHECK(p.head_repo == "octo/app");
    CHECK_FALSE(p.fork);

    SUBCASE("a head in another repository is a fork") {
        std::string fork = pr;
        fork.replace(fork.rfind("octo/app\"}}}"), 8, "mona/app");
        auto f = parse_event(fork, "pull_request");
        REQUIRE(f);
        CHECK(f->pull_request->head_repo == "mona/app");
        CHECK(f->pull_request->fork);
    }
    SUBCASE("a head whose repository was deleted is a fork") {
        auto f = parse_event(R"({"pull_request": {"number": 1, "base": {"ref": "main", "repo": {"full_name": "o/a"}},
            "head": {"ref": "x", "repo": null}}})",
                             "pull_request");
        REQUIRE(f);
        CHECK(f->pull_request->head_repo.empty());
        CHECK(f->pull_request->fork);
    }
    SUBCASE("null fields read as empty") {
        auto f = parse_event(R"({"pull_request": {"number": 1, "merged": null, "merged_at": null,
            "merge_commit_sha": null, "user": null, "title": null}})",
                             "pull_request");
        REQUIRE(f);
        CHECK_FALSE(f->pull_request->merged);
        CHECK(f->pull_request->merged_at.empty());
        CHECK(f->pull_request->author.empty());
    }
}

TEST_CASE("workflow_dispatch inputs, merge_group, workflow_run and deployment_status") {
    SUBCASE("inputs: strings as they are, booleans and numbers as text, null as empty") {
        auto e = parse_event(R"({"ref": "refs/heads/main", "workflow": "w.yml",
            "inputs": {"environment": "staging", "dry": true, "count": 3, "ratio": 1.5, "none": null, "big": 1e300}})",
                             "workflow_dispatch");
        REQUIRE(e);
        CHECK(e->inputs == std::map<std::string, std::string>{{"environment", "staging"},
                                                              {"dry", "true"},
                                                              {"count", "3"},
                                                              {"ratio", "1.5"},
                                                              {"none", ""},
                                                              {"big", "1e300"}});
    }
    SUBCASE("merge_group") {
        auto e = parse_event(R"({"action": "checks_requested", "merge_group": {"base_sha": "b", "head_sha": "h",
            "base_ref": "refs/heads/main", "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-abc"}})",
                             "merge_group");
        REQUIRE(e);
        REQUIRE(e->merge_group);
        CHECK(e->merge_group->base_sha == "b");
        CHECK(e->merge_group->head_sha == "h");
        CHECK(e->merge_group->base_ref == "refs/heads/main");
        CHECK(e->merge_group->head_ref == "refs/heads/gh-readonly-queue/main/pr-1-abc");
    }
    SUBCASE("workflow_run") {
        auto e = parse_event(R"({"workflow_run": {"head_branch": "main", "head_sha": "h", "event": "push",
            "conclusion": null, "status": "queued"}})",
                             "workflow_run");
        REQUIRE(e);
        CHECK(e->workflow_run->head_branch == "main");
        CHECK(e->workflow_run->head_sha == "h");
        CHECK(e->workflow_run->event == "push");
        CHECK(e->workflow_run->conclusion.empty());
        CHECK(e->workflow_run->status == "queued");
    }
    SUBCASE("deployment_status") {
        auto e = parse_event(R"({"deployment_status": {"state": "success", "environment": "production"}})",
                             "deployment_status");
        REQUIRE(e);
        CHECK(e->deployment_status->state == "success");
        CHECK(e->deployment_status->environment == "production");
    }
}

TEST_CASE("without an event name the payload's shape names the event") {
    struct Row {
        const char* json;
        const char* name;
    };
    const Row rows[] = {
        {R"({"ref": "refs/heads/x", "before": "a", "after": "b"})", "push"},
        {R"({"action": "opened", "number": 1, "pull_request": {"number": 1}})", "pull_request"},
        {R"({"action": "submitted", "review": {}, "pull_request": {"number": 1}})", "pull_request_review"},
        {R"({"ref": "refs/heads/main", "workflow": "w.yml", "inputs": {}})", "workflow_dispatch"},
        {R"({"merge_group": {}})", "merge_group"},
        {R"({"workflow_run": {}})", "workflow_run"},
        {R"({"deployment_status": {}})", "deployment_status"},
        {R"({"ref": "v1", "ref_type": "tag", "master_branch": "main"})", "create"},
        {R"({"ref": "v1", "ref_type": "tag", "pusher_type": "user"})", "delete"},
        {R"({"zen": "Keep it logically awesome."})", ""},
    };
    for (const auto& row : rows) {
        CAPTURE(row.json);
        auto e = parse_event(row.json, "");
        REQUIRE(e);
        CHECK(e->name == row.name);
    }
    CHECK(parse_event(R"({"merge_group": {}})", "given")->name == "given");
}

TEST_CASE("malformed payloads are refused with the line and column") {
    CHECK(parse_error("").message == "the event payload is empty");
    CHECK(parse_error(" \n\t").message == "the event payload is empty");
    CHECK(parse_error("").hint == kHint);
    CHECK(parse_error("{\"ref\": \"refs/heads/ma").message ==
          "the event payload is truncated at line 1, column 23: missing a closing quotation mark in string");
    CHECK(parse_error("{\n  \"ref\": \"x\",\n  \"after\": \"y\"").message ==
          "the event payload is truncated at line 3, column 15: missing a comma or '}' after an object member");
    CHECK(parse_error("{\n  \"ref\" \"x\"\n}").message ==
          "the event payload is not valid JSON at line 2, column 9: missing a colon after a name of object member");
    CHECK(parse_error("{\"a\": 1}}").message == "the event payload is not valid JSON at line 1, column 9: the document "
                                                "root must not be followed by other values");
    CHECK(parse_error("{\"a\": tru").message == "the event payload is truncated at line 1, column 10: invalid value");
    CHECK(parse_error(std::string("{\"a\": \"x\"}\0{}", 12)).message ==
          "the event payload is not valid JSON at line 1, column 11: a NUL byte");
    CHECK(parse_error("{\"a\": \"\xff\"}").message ==
          "the event payload is not valid JSON at line 1, column 8: invalid encoding in string");
    SUBCASE("a byte order mark is skipped and still counted in columns") {
        CHECK(parse_event("\xEF\xBB\xBF{\"ref\": \"refs/heads/x\"}", "push")->ref == "refs/heads/x");
        CHECK(
            parse_error("\xEF\xBB\xBF{\"ref\" 1}").message ==
            "the event payload is not valid JSON at line 1, column 11: missing a colon after a name of object member");
    }
}

TEST_CASE("a payload that is not an object is refused") {
    CHECK(parse_error("[1, 2]").message == "the event payload is not a JSON object but an array");
    CHECK(parse_error("\"push\"").message == "the event payload is not a JSON object but a string");
    CHECK(parse_error("null").message == "the event payload is not a JSON object but null");
}

TEST_CASE("a field of the wrong type is named by its JSON path") {
    struct Row {
        const char* json;
        const char* message;
    };
    const Row rows[] = {
        {R"({"pull_request": {"number": "7"}})",
         "event payload field pull_request.number: expected a number, got a string"},
        {R"({"pull_request": {"number": 2.5}})",
         "event payload field pull_request.number: expected a positive whole number, got 2.5"},
        {R"({"pull_request": {"number": -1}})",
         "event payload field pull_request.number: expected a positive whole number, got -1"},
        {R"({"pull_request": {"number": 18446744073709551615}})",
         "event payload field pull_request.number: expected a positive whole number, got 18446744073709551615"},
        {R"({"pull_request": {"number": 1e300}})",
         "event payload field pull_request.number: expected a positive whole number, got 1e300"},
        {R"({"pull_request": []})", "event payload field pull_request: expected an object, got an array"},
        {R"({"pull_request": {"head": {"repo": {"full_name": 5}}}})",
         "event payload field pull_request.head.repo.full_name: expected a string, got a number"},
        {R"({"pull_request": {"merged": "yes"}})",
         "event payload field pull_request.merged: expected a boolean, got a string"},
        {R"({"ref": ["refs/heads/main"]})", "event payload field ref: expected a string, got an array"},
        {R"({"deleted": 0})", "event payload field deleted: expected a boolean, got a number"},
        {R"({"repository": "octo/app"})", "event payload field repository: expected an object, got a string"},
        {R"({"inputs": {"environment": {"name": "x"}}})",
         "event payload field inputs.environment: expected a string, got an object"},
        {R"({"merge_group": {"base_sha": true}})",
         "event payload field merge_group.base_sha: expected a string, got a boolean"},
        {R"({"workflow_run": {"head_branch": 1}})",
         "event payload field workflow_run.head_branch: expected a string, got a number"},
        {R"({"ref": 1, "after": 2})", "event payload field ref: expected a string, got a number"},  // the first one
    };
    for (const auto& row : rows) {
        CAPTURE(row.json);
        auto e = parse_error(row.json);
        CHECK(e.message == row.message);
        CHECK(e.hint == kHint);
    }
}

TEST_CASE("nesting beyond the bound is refused without a crash") {
    SUBCASE("100,000 nested arrays") {
        std::string deep(100'000, '[');
        deep += std::string(100'000, ']');
        CHECK(parse_error(deep).message == "the event payload nests deeper than 128 levels at line 1, column 129");
    }
    SUBCASE("deep objects inside a real field") {
        std::string deep = "{\"sender\": ";
        for (int i = 0; i < 200; ++i) deep += "{\"a\": ";
        deep += "1" + std::string(200, '}') + "}";
        CHECK(parse_error(deep).message == "the event payload nests deeper than 128 levels at line 1, column 774");
    }
    SUBCASE("128 levels are fine") {
        std::string ok = std::string(127, '[');
        ok = "{\"x\": " + ok + std::string(127, ']') + "}";
        CHECK(parse_event(ok, "push"));
    }
}

TEST_CASE("a payload over 64 MiB is refused") {
    std::string big = "{\"a\": \"" + std::string(kMaxEventBytes, 'x') + "\"}";
    CHECK(parse_error(big).message == "the event payload is larger than 64 MiB (67108873 bytes)");
    SUBCASE("a file is refused by its size, without being read") {
        TempDir dir;
        auto path = dir.path("huge.json");
        {
            std::ofstream(path).put('{');
        }
        std::filesystem::resize_file(path, 200ull * 1024 * 1024);  // sparse
        auto e = read_event(path, "push");
        REQUIRE_FALSE(e);
        CHECK(e.error().message == "the event payload is larger than 64 MiB (209715200 bytes)");
        CHECK(e.error().file == path);
    }
}

TEST_CASE("read_event names the file in every error") {
    TempDir dir;
    SUBCASE("missing") {
        auto path = dir.path("nope.json");
        auto e = read_event(path, "push");
        REQUIRE_FALSE(e);
        CHECK(e.error().message == "cannot read the event payload: no such file or directory");
        CHECK(e.error().file == path);
        CHECK(e.error().hint == "set GITHUB_EVENT_PATH or --event-path to the event payload file, or leave both unset "
                                "outside GitHub Actions");
        CHECK(e.error().exit_code() == 2);
    }
    SUBCASE("a directory") {
        auto e = read_event(dir.path(""), "push");
        REQUIRE_FALSE(e);
        CHECK(e.error().message == "cannot read the event payload: is a directory");
    }
    SUBCASE("malformed") {
        auto path = dir.write("event.json", "{\n  \"ref\": \n");
        auto e = read_event(path, "push");
        REQUIRE_FALSE(e);
        CHECK(e.error().message == "the event payload is truncated at line 3, column 1: invalid value");
        CHECK(e.error().file == path);
    }
    SUBCASE("good") {
        auto path = dir.write("event.json", R"({"ref": "refs/heads/staging"})");
        auto e = read_event(path, "push");
        REQUIRE(e);
        CHECK(e->ref == "refs/heads/staging");
    }
}

TEST_CASE("branch_of and tag_of take the short name of a full ref") {
    CHECK(branch_of("refs/heads/feature/x") == "feature/x");
    CHECK(branch_of("refs/tags/v1") == "");
    CHECK(branch_of("main") == "");
    CHECK(tag_of("refs/tags/v1.2") == "v1.2");
    CHECK(tag_of("refs/heads/v1") == "");
}
