// A test server under tests/servers/ (a Node.js script) running for the life of an object:
// started with `node`, its port read from the first line it prints ("listening on
// http://127.0.0.1:PORT"), stopped (SIGTERM, then SIGKILL) when the object goes. Plus a
// small HTTP client for the servers' /_control endpoints.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace sbdeploy::test {

class NodeServer {
public:
    // `script` is relative to tests/servers/ ("github-api.mjs").
    explicit NodeServer(const std::string& script, const std::vector<std::string>& args = {}) {
        std::string path = std::string(SBDEPLOY_SOURCE_DIR) + "/tests/servers/" + script;
        int out[2], in[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        std::vector<std::string> argv_s = {"node", path};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        int rc = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        ::close(in[0]);
        stdin_ = in[1];  // closing it stops the server even if this process dies
        if (rc != 0) {
            ::close(out[0]);
            throw std::runtime_error("cannot start node " + path);
        }
        std::string line = read_line(out[0], std::chrono::seconds(20));
        ::close(out[0]);
        auto colon = line.rfind(':');
        if (!line.starts_with("listening on ") || colon == std::string::npos) {
            stop();
            throw std::runtime_error("test server " + script + " did not start: \"" + line + "\"");
        }
        url_ = line.substr(std::string("listening on ").size());
        port_ = std::stoi(line.substr(colon + 1));
    }
    ~NodeServer() { stop(); }
    NodeServer(const NodeServer&) = delete;
    NodeServer& operator=(const NodeServer&) = delete;

    [[nodiscard]] const std::string& url() const { return url_; }
    [[nodiscard]] int port() const { return port_; }

    struct Answer {
        long status = 0;
        std::string body;
    };
    // A request to the server (`path` from "/"), e.g. POST /_control/state with a JSON body.
    Answer request(const std::string& method, const std::string& path, const std::string& body = {}) const {
        Answer a;
        CURL* c = curl_easy_init();
        if (c == nullptr) throw std::runtime_error("curl_easy_init failed");
        std::string target = url_ + path;
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, target.c_str());
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        if (!body.empty() || method != "GET") {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        }
        curl_easy_setopt(
            c, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* user) {
                static_cast<std::string*>(user)->append(data, size * n);
                return size * n;
            });
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10'000L);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
        curl_slist_free_all(headers);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK)
            throw std::runtime_error(std::string("request to the test server failed: ") + curl_easy_strerror(rc));
        return a;
    }

private:
    static std::string read_line(int fd, std::chrono::milliseconds timeout) {
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return line;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return line;
            char ch = 0;
            if (::read(fd, &ch, 1) != 1 || ch == '\n') return line;
            line.push_back(ch);
        }
    }

    void stop() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 200; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            pollfd none{};
            ::poll(&none, 0, 10);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    pid_t pid_ = -1;
    int stdin_ = -1;
    std::string url_;
    int port_ = 0;
};

} // namespace sbdeploy::test
