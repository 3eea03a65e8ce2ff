// The Management API stand-in (tests/servers/management-api.mjs) for the api_*_test.cpp files:
// started once per test binary, on the fixture's PostgreSQL; projects, faults and the request
// log through its /__admin endpoints; and runs of the built sbdeploy against it.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/http.hpp"
#include "support/project.hpp"

namespace sbdeploy::test {

inline constexpr const char* kApiToken = "sbp_0123456789abcdef0123456789abcdef01234567";
inline constexpr const char* kForbiddenToken = "sbp_fedcba9876543210fedcba9876543210fedcba98";

class ApiServer {
public:
    ApiServer() {
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("management api stand-in: pipe failed");
        const std::string script = std::string(SBDEPLOY_SOURCE_DIR) + "/tests/servers/management-api.mjs";
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("management api stand-in: fork failed");
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlives the test binary
            dup2(out[1], STDOUT_FILENO);
            close(out[0]);
            close(out[1]);
            execlp("node", "node", script.c_str(), "--token", kApiToken, "--forbidden-token", kForbiddenToken,
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        // The first line is its URL; nothing else is read, so its stdout must stay quiet.
        char c = 0;
        while (read(out[0], &c, 1) == 1 && c != '\n') url_.push_back(c);
        close(out[0]);
        if (!url_.starts_with("http://")) {
            stop();
            throw std::runtime_error("management api stand-in did not start (is node installed and tests/node_modules "
                                     "set up with npm ci?)");
        }
    }
    ~ApiServer() { stop(); }
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    [[nodiscard]] const std::string& url() const { return url_; }

    // A new project (a random ref) on the database at `db_url`.
    std::string add_project(const std::string& db_url) {
        static std::mt19937 random{std::random_device{}()};
        std::string ref;
        for (int i = 0; i < 20; ++i) ref.push_back(static_cast<char>('a' + random() % 26));
        post("/__admin/projects", R"({"ref":")" + ref + R"(","db_url":")" + db_url + R"("})");
        return ref;
    }
    // Replaces the fault rules (see the script's header), e.g. R"([{"fault":"429"}])".
    void faults(const std::string& rules_json) { post("/__admin/faults", R"({"rules":)" + rules_json + "}"); }
    void reset() { post("/__admin/reset", "{}"); }

    struct Logged {
        int status = 0;
        std::string fault;
        std::string query;
        std::string user_agent;
    };
    std::vector<Logged> log() {
        auto body = request("GET", "/__admin/log", "");
        rapidjson::Document doc;
        doc.Parse(body.c_str());
        REQUIRE((!doc.HasParseError() && doc.IsObject()));
        std::vector<Logged> out;
        for (const auto& r : doc["requests"].GetArray()) {
            Logged l;
            l.status = r["status"].GetInt();
            l.fault = r["fault"].IsString() ? r["fault"].GetString() : "";
            l.query = r["query"].GetString();
            l.user_agent = r["user_agent"].GetString();
            out.push_back(std::move(l));
        }
        return out;
    }

private:
    void post(const std::string& path, const std::string& body) { request("POST", path, body); }
    std::string request(const std::string& method, const std::string& path, const std::string& body) {
        net::Request r;
        r.method = method;
        r.url = url_ + path;
        r.body = body;
        r.headers = {{"Content-Type", "application/json"}};
        auto outcome = net::perform(r);
        if (!outcome.response || outcome.response->status != 200)
            throw std::runtime_error("management api stand-in: " + method + " " + path + " failed");
        return outcome.response->body;
    }
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    pid_t pid_ = -1;
    std::string url_;
};

// The stand-in of this test binary, started on first use.
inline ApiServer& api_server() {
    static ApiServer server;
    return server;
}

// sbdeploy <command> over the stand-in: --project-ref, --api-url and the token in the environment.
inline util::ProcessResult run_api(const std::string& command, const TempProject& project, const std::string& ref,
                                   std::vector<std::string> extra = {}, Env env = {}) {
    std::vector<std::string> args{command,     "--project-ref",        ref, "--api-url", api_server().url(),
                                  "--workdir", project.root().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!env.contains("SUPABASE_ACCESS_TOKEN")) env["SUPABASE_ACCESS_TOKEN"] = kApiToken;
    return run_sbdeploy(args, env);
}

} // namespace sbdeploy::test
