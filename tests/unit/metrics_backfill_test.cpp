// Backfill's readers: pages of the GitHub REST API (pull requests, deployments and their
// statuses, workflow runs), saved pull request lists as `gh api --paginate` writes them,
// and git log output.
#include <doctest/doctest.h>

#include "metrics/backfill.hpp"
#include "metrics/time.hpp"

using namespace sbdeploy;
using namespace sbdeploy::metrics;

namespace {

Rules rules() {
    auto r = Rules::compile({});
    REQUIRE(r);
    return *r;
}

std::int64_t at(const char* t) { return *parse_time(t); }

std::string pr(int number, const char* title, const char* created, const char* updated, const char* merged,
               const char* closed, const char* head = "feature/x", const char* base = "staging") {
    auto q = [](const char* v) { return v ? "\"" + std::string(v) + "\"" : std::string("null"); };
    return "{\"number\":" + std::to_string(number) + ",\"title\":" + q(title) + ",\"user\":{\"login\":\"mona\"}," +
           "\"created_at\":" + q(created) + ",\"updated_at\":" + q(updated) + ",\"merged_at\":" + q(merged) +
           ",\"closed_at\":" + q(closed) + ",\"head\":{\"ref\":" + q(head) + "},\"base\":{\"ref\":" + q(base) + "}}";
}

} // namespace

TEST_CASE("metrics backfill: a page of pull requests becomes their histories") {
    std::string page = "[" +
                       pr(3, "feat: a", "2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z", "2024-05-02T00:00:00Z",
                          "2024-05-02T00:00:00Z") +
                       "," +
                       pr(2, "Fix it", "2024-04-01T00:00:00Z", "2024-04-30T00:00:00Z", nullptr, "2024-04-30T00:00:00Z",
                          "fix/it", "main") +
                       "," + pr(1, "feat: open", "2024-04-01T00:00:00Z", "2024-04-29T00:00:00Z", nullptr, nullptr) +
                       "," + pr(0, "old", "2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z", nullptr, nullptr) + "]";
    auto r = pulls_page(page, at("2024-04-15T00:00:00Z"), "o/r", rules());
    REQUIRE(r);
    CHECK(r->items == 4);
    CHECK(r->reached_older);
    REQUIRE(r->records.prs.size() == 5);
    CHECK(r->records.prs[0].event_type == "opened");
    CHECK(r->records.prs[0].pr_number == 3);
    CHECK(r->records.prs[1].event_type == "merged");
    CHECK(r->records.prs[1].cycle_time_seconds == 86400);
    CHECK(r->records.prs[2].pr_number == 2);
    CHECK(r->records.prs[3].event_type == "closed");
    CHECK(r->records.prs[3].event_timestamp == at("2024-04-30T00:00:00Z"));
    CHECK(r->records.prs[4].pr_number == 1);
    // branch-naming, conventional-title and pr-base for each of the three.
    CHECK(r->records.rules.size() == 9);
    CHECK(r->records.rules[0].event_timestamp == at("2024-05-01T00:00:00Z"));

    auto bad = pulls_page("{\"message\":\"Not Found\"}", 0, "o/r", rules());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "metrics backfill: pull requests: the answer is not a JSON array");
}

TEST_CASE("metrics backfill: saved pull request lists, one array or several in a row") {
    std::string one = "[" + pr(1, "feat: a", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z", nullptr, nullptr) + "]";
    std::string two = "[" + pr(2, "feat: b", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z", nullptr, nullptr) + "]";
    auto r = pulls_file(one + "\n" + two + "\n", "pulls.json", 0, "o/r", rules());
    REQUIRE(r);
    CHECK(r->items == 2);
    CHECK(r->records.prs.size() == 2);
    auto bad = pulls_file(one + "{}", "pulls.json", 0, "o/r", rules());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().file == "pulls.json");
    CHECK(bad.error().message == "pull request list: expected JSON arrays of pull requests");
    auto broken = pulls_file("[{", "pulls.json", 0, "o/r", rules());
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.starts_with("pull request list: not JSON: "));
}

TEST_CASE("metrics backfill: a saved list reaches the sink a part at a time, never whole") {
    // One array of 1,500 pull requests, then an array of 1: handed over 1,000 at a time
    // within the array, and at the end of each array.
    std::string big = "[";
    for (int i = 1; i <= 1500; ++i)
        big += (i > 1 ? "," : "") + pr(i, "feat: a", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z",
                                       "2024-05-02T00:00:00Z", "2024-05-02T00:00:00Z");
    big += "]\n[" + pr(9999, "feat: b", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00Z", nullptr, nullptr) + "]";
    std::vector<std::size_t> handed;  // pull request events per hand-over
    std::size_t rules_seen = 0;
    auto items = pulls_file(big, "pulls.json", 0, "o/r", rules(), [&](Records& r) -> Result<void> {
        handed.push_back(r.prs.size());
        rules_seen += r.rules.size();
        return {};
    });
    REQUIRE(items);
    CHECK(*items == 1501);
    CHECK(handed == std::vector<std::size_t>{2000, 1000, 1});  // opened + merged each
    CHECK(rules_seen == 1501 * 3);

    // The sink's error stops the reading.
    int calls = 0;
    auto stopped = pulls_file(big, "pulls.json", 0, "o/r", rules(), [&](Records&) -> Result<void> {
        ++calls;
        return fail(ErrorKind::database, "metrics: writing metrics.pr_events: boom");
    });
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().message == "metrics: writing metrics.pr_events: boom");
    CHECK(calls == 1);
}

TEST_CASE("metrics backfill: deployments and their newest finished status") {
    bool older = false;
    auto refs = deployments_page(R"([
        {"id": 12, "sha": "bbb", "ref": "main", "environment": "production", "created_at": "2024-05-02T10:00:00Z"},
        {"id": 11, "sha": "aaa", "ref": "main", "environment": "production", "created_at": "2024-03-01T10:00:00Z"}])",
                                 at("2024-04-01T00:00:00Z"), older);
    REQUIRE(refs);
    CHECK(older);
    REQUIRE(refs->size() == 1);
    CHECK((*refs)[0].id == "12");

    auto finished = deployment_from_statuses(R"([
        {"id": 903, "state": "success", "environment": "production", "created_at": "2024-05-02T10:05:00Z"},
        {"id": 902, "state": "in_progress", "created_at": "2024-05-02T10:01:00Z"},
        {"id": 901, "state": "failure", "created_at": "2024-05-02T10:00:30Z"}])",
                                             (*refs)[0], "o/r");
    REQUIRE(finished);
    REQUIRE(*finished);
    CHECK((*finished)->source == "deployment_status");
    CHECK((*finished)->source_id == "903");
    CHECK((*finished)->status == "success");
    CHECK((*finished)->duration_seconds == 300.0);
    CHECK((*finished)->commit_sha == "bbb");

    auto pending = deployment_from_statuses(R"([{"id": 1, "state": "queued"}])", (*refs)[0], "o/r");
    REQUIRE(pending);
    CHECK_FALSE(*pending);
}

TEST_CASE("metrics backfill: workflow runs of the named deployment workflows") {
    auto environment_of = [](std::string_view b) { return b == "main" ? std::string("production") : std::string(); };
    auto r = workflow_runs_page(R"({"total_count": 4, "workflow_runs": [
        {"id": 5, "run_attempt": 2, "name": "Deploy", "path": ".github/workflows/deploy.yml", "status": "completed",
         "conclusion": "failure", "head_branch": "main", "head_sha": "s5", "created_at": "2024-05-03T10:00:00Z",
         "run_started_at": "2024-05-03T10:00:00Z", "updated_at": "2024-05-03T10:10:00Z",
         "head_commit": {"timestamp": "2024-05-03T09:00:00Z"}},
        {"id": 4, "name": "CI", "path": ".github/workflows/ci.yml", "status": "completed", "conclusion": "success",
         "head_branch": "main", "created_at": "2024-05-03T09:00:00Z", "updated_at": "2024-05-03T09:10:00Z"},
        {"id": 3, "name": "Deploy", "path": ".github/workflows/deploy.yml", "status": "completed", "conclusion": "success",
         "head_branch": "feature/x", "created_at": "2024-05-02T09:00:00Z", "updated_at": "2024-05-02T09:10:00Z"},
        {"id": 2, "name": "Deploy", "path": ".github/workflows/deploy.yml", "status": "completed", "conclusion": "success",
         "head_branch": "main", "created_at": "2024-01-02T09:00:00Z", "updated_at": "2024-01-02T09:10:00Z"}]})",
                                at("2024-04-01T00:00:00Z"), "o/r", {"deploy.yml"}, environment_of);
    REQUIRE(r);
    CHECK(r->items == 4);
    CHECK(r->reached_older);
    REQUIRE(r->records.deployments.size() == 1);
    const auto& d = r->records.deployments[0];
    CHECK(d.source_id == "5:2");
    CHECK(d.status == "failure");
    CHECK(d.environment == "production");
    CHECK(d.duration_seconds == 600.0);
    CHECK(d.lead_time_seconds == 4200);

    auto by_name = workflow_runs_page(R"({"workflow_runs": [{"id": 4, "name": "CI", "path": ".github/workflows/ci.yml",
        "status": "completed", "conclusion": "success", "head_branch": "main", "updated_at": "2024-05-03T09:10:00Z"}]})",
                                      0, "o/r", {"CI"}, environment_of);
    REQUIRE(by_name);
    CHECK(by_name->records.deployments.size() == 1);
}

TEST_CASE("metrics backfill: git log subjects and commit times") {
    std::string log = "aaa\x1f"
                      "2024-05-01T12:00:00+02:00\x1f"
                      "feat: one\x1e\n"
                      "bbb\x1f"
                      "2024-05-02T12:00:00Z\x1f"
                      "wip \"quoted\" ; drop table x\x1e\n"
                      "ccc\x1f"
                      "2024-05-03T12:00:00Z\x1f"
                      "Merge branch 'main' into staging\x1e\n";
    auto rules = commits_from_git_log(log, "o/r");
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].context_id == "aaa");
    CHECK(rules[0].event_timestamp == at("2024-05-01T10:00:00Z"));
    CHECK(rules[0].status == Compliance::compliant);
    CHECK(rules[1].subject == "wip \"quoted\" ; drop table x");
    CHECK(rules[1].status == Compliance::violation);

    auto times = commit_times("aaa\x1f"
                              "2024-05-01T12:00:00Z\nbbb\x1fnot a time\n");
    CHECK(times == std::map<std::string, std::int64_t>{{"aaa", at("2024-05-01T12:00:00Z")}});
}
