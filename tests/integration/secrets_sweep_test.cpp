// The secrets sweep: every command that holds a credential, run through its failure paths
// (a wrong password, an unreachable or unresolvable host, an API answering 401 or 500, a
// malformed answer) with known secrets in the database URL, the Management API token, the
// PostgREST key, the GitHub token and a health-check header. The servers that fail echo the
// credentials they were sent back in their answers, as some proxies and gateways do. Each
// run: `::add-mask::` lines first, and then no secret, raw or percent-encoded, anywhere in
// stdout, stderr, GITHUB_OUTPUT, GITHUB_ENV or the step summary.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/pg.hpp"
#include "support/project.hpp"
#include "util/strings.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

// Secrets with characters that URL encoding changes, so both spellings are looked for.
const std::string kDbPassword = "Sw33p-db:pa55@word/x";
const std::string kAccessToken = "sbp_5weep0123456789abcdef0123456789abcdef01";
const std::string kServiceKey = "sb_secret_SWEEP+key/0123456789abc=";
const std::string kGithubToken = "ghs_SWEEPtoken0123456789abcdefABCD";
const std::string kHealthToken = "hh-SWEEP/secret+42";

std::string percent_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Workflow command data as the runner reads it: % CR LF escaped (the runner unescapes them
// before masking, so "%253A" in a command is "%3A" to the runner).
std::string command_escape(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '%' ? "%25" : c == '\r' ? "%0D" : c == '\n' ? "%0A" : std::string(1, c);
    return out;
}

std::string command_unescape(const std::string& text) {
    std::string out;
    for (const auto& line : sbdeploy::util::split(text, '\n')) {
        std::string l = line;
        if (l.starts_with("::"))
            for (auto [from, to] : {std::pair{"%0D", "\r"}, {"%0A", "\n"}, {"%3A", ":"}, {"%2C", ","}, {"%25", "%"}})
                l = sbdeploy::util::replace_all(l, from, to);
        out += l + "\n";
    }
    return out;
}

// An HTTP server on a loopback port that gives every request the same answer, with "{auth}"
// and "{apikey}" in the body replaced by the request's Authorization and apikey headers.
class CannedHttp {
public:
    CannedHttp(int status, std::string body) : status_(status), body_(std::move(body)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~CannedHttp() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    CannedHttp(const CannedHttp&) = delete;
    CannedHttp& operator=(const CannedHttp&) = delete;
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    static std::string header(const std::string& request, const std::string& name) {
        auto lower = sbdeploy::util::to_lower(request);
        auto at = lower.find("\r\n" + name + ":");
        if (at == std::string::npos) return "";
        auto start = request.find_first_not_of(' ', at + name.size() + 3);
        return request.substr(start, request.find("\r\n", start) - start);
    }
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            std::string request;
            char buf[4096];
            std::size_t need = std::string::npos;
            while (request.size() < need) {
                pollfd q{c, POLLIN, 0};
                if (::poll(&q, 1, 2000) <= 0) break;
                auto n = ::read(c, buf, sizeof buf);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
                auto end = request.find("\r\n\r\n");
                if (end != std::string::npos && need == std::string::npos) {
                    auto length = header(request, "content-length");
                    need = end + 4 + (length.empty() ? 0 : std::stoul(length));
                }
            }
            std::string body = sbdeploy::util::replace_all(body_, "{auth}", header(request, "authorization"));
            body = sbdeploy::util::replace_all(body, "{apikey}", header(request, "apikey"));
            std::string answer =
                "HTTP/1.1 " + std::to_string(status_) + " Canned\r\nContent-Type: application/json\r\n" +
                "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            for (std::size_t off = 0; off < answer.size();) {
                auto n = ::write(c, answer.data() + off, answer.size() - off);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
            ::close(c);
        }
    }

    int status_;
    std::string body_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// The failing services: each echoes the credentials it was sent.
struct Services {
    CannedHttp refused{401, R"({"message":"invalid credentials {auth} {apikey}","code":"PGRST301","details":"{auth}",)"
                            R"("hint":"apikey {apikey}","documentation_url":"{auth}"})"};
    CannedHttp broken{500, "<html><body>500 Internal Server Error for {auth} {apikey}</body></html>"};
    CannedHttp malformed200{200, R"({"files": [{"filename": "{auth} {apikey})"};
    CannedHttp malformed201{201, R"([{"version": "{auth} {apikey}", )"};
};

Services& services() {
    static Services s;
    return s;
}

const char* const kUnreachable = "http://127.0.0.1:1";

struct Sweep {
    TempProject project;
    std::string good_url = server_url();
    std::string bad_password_url;
    Sweep() {
        // A wrong password (the known secret) for the fixture's server.
        auto colon = good_url.find(':', good_url.find("//") + 2);
        bad_password_url = good_url.substr(0, colon + 1) + percent_encode(kDbPassword) +
                           good_url.substr(good_url.find('@'));
        project.migration("20240101000001_sweep.sql",
                          "create table sweep_a (id int);\n-- sbdeploy:down\ndrop table sweep_a;\n");
        project.file(
            "event.json",
            R"({"action":"opened","number":7,"pull_request":{"number":7,"title":"feat: sweep","merged":false,)"
            R"("created_at":"2026-01-01T00:00:00Z","user":{"login":"dev"},"head":{"ref":"feature/sweep","sha":")" +
                std::string(40, 'a') + R"(","repo":{"full_name":"octo/app"}},"base":{"ref":"main","sha":")" +
                std::string(40, 'b') +
                R"(","repo":{"full_name":"octo/app"}}},"repository":{"full_name":"octo/app","default_branch":"main"}})");
    }

    // Every secret in the environment (so every one is masked); empty runner files of run `n`.
    Env env(int n) {
        const std::string suffix = "_" + std::to_string(n);
        for (auto name : {"github_output", "github_env", "step_summary"}) project.file(name + suffix, "");
        return {{"GITHUB_ACTIONS", "true"},
                {"GITHUB_OUTPUT", project.path("github_output" + suffix)},
                {"GITHUB_ENV", project.path("github_env" + suffix)},
                {"GITHUB_STEP_SUMMARY", project.path("step_summary" + suffix)},
                {"GITHUB_EVENT_NAME", "pull_request"},
                {"GITHUB_EVENT_PATH", project.path("event.json")},
                {"GITHUB_REPOSITORY", "octo/app"},
                {"GITHUB_REF", "refs/pull/7/merge"},
                {"GITHUB_SHA", std::string(40, 'c')},
                {"GITHUB_API_URL", kUnreachable},
                {"SUPABASE_ACCESS_TOKEN", kAccessToken},
                {"SUPABASE_SECRET_KEY", kServiceKey},
                {"GITHUB_TOKEN", kGithubToken}};
    }

    // Starts `args` (plus --workdir); the runs go on side by side (most of their time is
    // retries and timeouts), and check_all() checks each.
    void run(std::vector<std::string> args, Env extra = {}) {
        args.insert(args.end(), {"--workdir", project.root().string()});
        const int n = static_cast<int>(pending_.size());
        Env e = env(n);
        for (auto& [k, v] : extra) e[k] = v;
        auto result = std::async(std::launch::async, [args, e] { return run_sbdeploy(args, e); });
        pending_.push_back({args, e, n, std::move(result)});
    }

    void check_all() {
        for (auto& p : pending_) check(p.args, p.env, p.n, p.result.get());
        pending_.clear();
    }

private:
    struct Pending {
        std::vector<std::string> args;
        Env env;
        int n = 0;
        std::future<ProcessResult> result;
    };
    std::vector<Pending> pending_;

    // The masks first, and no secret in any place it could land.
    // A failure is an error (exit 1 or 2), or for lint, whose target is optional, a warning.
    void check(const std::vector<std::string>& args, const Env& e, int n, const ProcessResult& r) {
        const std::string suffix = "_" + std::to_string(n);
        std::string what = "sbdeploy";
        for (const auto& a : args) what += " " + a;
        for (auto name : {"SBDEPLOY_DB_URL", "GITHUB_API_URL"})
            if (auto it = e.find(name); it != e.end()) what += std::string("\n") + name + "=" + it->second;
        INFO(what, "\nexit ", r.exit_code, "\nstdout:\n", r.out, "\nstderr:\n", r.err);
        CHECK(r.signal == 0);
        if (args.front() == "lint") {
            CHECK(r.exit_code == 0);
            CHECK(r.err.starts_with("::warning::lint: cannot read the migration history of staging: cannot connect"));
        } else {
            CHECK((r.exit_code == 1 || r.exit_code == 2));
            CHECK(r.err.find("::error::") != std::string::npos);  // the error, as a workflow command
        }

        // The masks come first, every one of them, and cover both spellings of the password.
        std::size_t masks_end = 0;
        while (r.out.compare(masks_end, 12, "::add-mask::") == 0) masks_end = r.out.find('\n', masks_end) + 1;
        const std::string masks = r.out.substr(0, masks_end), rest = r.out.substr(masks_end);
        CHECK(rest.find("::add-mask::") == std::string::npos);
        std::vector<std::string> masked{kAccessToken, kServiceKey, kGithubToken};
        if (e.contains("SBDEPLOY_DB_URL")) masked.insert(masked.end(), {kDbPassword, percent_encode(kDbPassword)});
        for (const auto& m : masked) CHECK(masks.find("::add-mask::" + command_escape(m) + "\n") != std::string::npos);
        const std::pair<const char*, std::string> places[] = {
            {"stdout", rest},
            {"stdout, workflow commands unescaped", command_unescape(rest)},
            {"stderr", r.err},
            {"stderr, workflow commands unescaped", command_unescape(r.err)},
            {"GITHUB_OUTPUT", slurp(project.path("github_output" + suffix))},
            {"GITHUB_ENV", slurp(project.path("github_env" + suffix))},
            {"step summary", slurp(project.path("step_summary" + suffix))}};
        for (const auto& secret : {kDbPassword, kAccessToken, kServiceKey, kGithubToken, kHealthToken}) {
            for (const auto& form : {secret, percent_encode(secret)}) {
                for (const auto& [place, text] : places) {
                    INFO(place, " holds ", form);
                    CHECK(text.find(form) == std::string::npos);
                }
            }
        }
    }
};

} // namespace

TEST_CASE("secrets sweep: database commands with a wrong password, an unreachable and an unresolvable host") {
    Sweep s;
    const std::string unreachable = "postgresql://postgres:" + percent_encode(kDbPassword) + "@127.0.0.1:1/postgres";
    const std::string unresolvable = "postgresql://postgres:" + percent_encode(kDbPassword) +
                                     "@nonexistent.invalid:5432/postgres";
    for (const auto& url : {s.bad_password_url, unreachable, unresolvable}) {
        Env db{{"SBDEPLOY_DB_URL", url}};
        const std::vector<std::string> timeout{"--connect-timeout", "1s"};
        auto with = [&](std::vector<std::string> args) {
            args.insert(args.end(), timeout.begin(), timeout.end());
            s.run(args, db);
        };
        with({"push", "--environment", "staging"});
        if (url != s.bad_password_url) continue;  // the other commands connect the same way
        with({"validate", "--environment", "staging", "--no-pr-guard"});
        with({"status", "--environment", "staging"});
        with({"verify", "--environment", "staging", "--expect", "table:public.sweep_a"});
        with({"rollback", "--environment", "staging", "--last", "1"});
        with({"repair", "--environment", "staging", "--status", "applied", "20240101000001"});
        with({"lint", "--environment", "staging"});
        with({"record-metrics"});
        with({"metrics", "report"});
        with({"metrics", "schema", "--apply"});
        with({"metrics", "backfill", "--days", "1", "--sources", "files"});
    }
    s.check_all();
}

TEST_CASE("secrets sweep: the Management API transport refused, failing, malformed and unreachable") {
    Sweep s;
    for (const std::string& api : {services().refused.url(), services().broken.url(), services().malformed201.url(),
                                   std::string(kUnreachable)}) {
        for (std::string command : {"push", "validate", "status"}) {
            std::vector<std::string> args{command,
                                          "--environment",
                                          "staging",
                                          "--transport",
                                          "api",
                                          "--project-ref",
                                          "abcdefghijklmnopqrst",
                                          "--api-url",
                                          api,
                                          "--api-retry-budget",
                                          "1s"};
            if (command == "validate") args.push_back("--no-pr-guard");
            s.run(args);
        }
    }
    s.check_all();
}

TEST_CASE("secrets sweep: record-metrics and backfill through PostgREST refused, failing, malformed and unreachable") {
    Sweep s;
    s.project.file("development-metrics/tests/run.json",
                   R"({"run_id":"r-1","timestamp":"2026-01-01T00:00:00Z","total_tests":1,"passed_tests":1,)"
                   R"("failed_tests":0,"skipped_tests":0,"test_type":"unit"})");
    for (const std::string& rest : {services().refused.url(), services().broken.url(), services().malformed201.url(),
                                    std::string(kUnreachable)}) {
        s.run({"record-metrics", "--supabase-url", rest});
        s.run({"metrics", "backfill", "--days", "3650", "--sources", "files", "--supabase-url", rest});
    }
    s.check_all();
}

TEST_CASE("secrets sweep: the GitHub API (paths-filter fallback, metrics backfill) refused, failing, malformed and "
          "unreachable") {
    Sweep s;
    for (const std::string& github : {services().refused.url(), services().broken.url(), services().malformed200.url(),
                                      std::string(kUnreachable)}) {
        Env api{{"GITHUB_API_URL", github}};
        s.run({"paths-filter"}, api);
        s.run({"metrics", "backfill", "--days", "1", "--sources", "github", "--supabase-url",
               services().malformed201.url()},
              api);
    }
    s.check_all();
}

TEST_CASE("secrets sweep: verify's health checks with a secret header, failing and unreachable") {
    Sweep s;
    for (const std::string& health : {services().refused.url(), services().broken.url(), std::string(kUnreachable)}) {
        s.run({"verify", "--environment", "staging", "--db-url", s.good_url, "--health-url", health + "/health",
               "--health-header", "Authorization: Bearer " + kHealthToken, "--health-timeout", "1s", "--health-retries",
               "1"});
    }
    s.check_all();
}
