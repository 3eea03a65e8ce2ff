// A TCP proxy on 127.0.0.1 for fault tests: forwards every connection to a target port,
// and on command cuts them all (a reset on both sides) or stalls them (keeps the sockets
// open and forwards nothing). It can also start refusing (bound, not listening) and listen
// later, to stand for a server that is starting up.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sbdeploy::test {

class TcpProxy {
public:
    enum class Start { listening, refusing };
    // Forwards 127.0.0.1:port() to 127.0.0.1:target_port.
    explicit TcpProxy(int target_port, Start start = Start::listening);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    [[nodiscard]] int port() const { return port_; }
    // Starts accepting (after Start::refusing).
    void listen();
    // Resets every open connection, client and server side; later ones are forwarded.
    void drop();
    // Stops forwarding on every connection, open and new, until resume().
    void stall();
    void resume();
    // Connections accepted so far.
    [[nodiscard]] std::size_t accepted() const { return accepted_.load(); }
    // Bytes forwarded from clients to the server so far, all connections together.
    [[nodiscard]] std::size_t bytes_to_server() const { return to_server_.load(); }
    // The bytes clients sent so far, all connections together (the first 16 MiB): what the
    // client put on the wire, to check what it sent before waiting for an answer.
    [[nodiscard]] std::string sent_to_server() const;

private:
    struct Pair {
        int client = -1;
        int server = -1;
    };
    void loop();
    void wake();
    void close_pair(Pair& p, bool reset);

    int target_port_;
    int port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<bool> listening_{false};
    std::atomic<bool> stalled_{false};
    std::atomic<bool> drop_requested_{false};
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> accepted_{0};
    std::atomic<std::size_t> to_server_{0};
    mutable std::mutex sent_mutex_;
    std::string sent_;  // what clients sent, capped
    std::vector<Pair> pairs_;  // the loop thread's
    std::thread thread_;
};

} // namespace sbdeploy::test
