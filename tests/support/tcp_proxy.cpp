#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

namespace sbdeploy::test {

namespace {

[[noreturn]] void die(const std::string& what) {
    throw std::runtime_error("tcp proxy: " + what + ": " + std::strerror(errno));
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Sends all of `data` (blocking socket); false when the peer is gone.
bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

TcpProxy::TcpProxy(int target_port, Start start) : target_port_(target_port) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) die("pipe");
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) die("socket");
    auto addr = loopback(0);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    socklen_t len = sizeof addr;
    if (::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) die("getsockname");
    port_ = ntohs(addr.sin_port);
    // Bound but not listening: connections to the port are refused until listen().
    if (start == Start::listening) listen();
    thread_ = std::thread([this] { loop(); });
}

TcpProxy::~TcpProxy() {
    stop_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
    for (auto& p : pairs_) close_pair(p, false);
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void TcpProxy::listen() {
    if (listening_) return;
    if (::listen(listener_, 64) != 0) die("listen");
    listening_ = true;
    wake();
}

void TcpProxy::drop() {
    drop_requested_ = true;
    wake();
}

void TcpProxy::stall() {
    stalled_ = true;
    wake();
}

void TcpProxy::resume() {
    stalled_ = false;
    wake();
}

void TcpProxy::wake() {
    char c = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
}

void TcpProxy::close_pair(Pair& p, bool reset) {
    for (int* fd : {&p.client, &p.server}) {
        if (*fd < 0) continue;
        if (reset) {
            linger l{1, 0};  // close with a reset, not a goodbye
            ::setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        ::close(*fd);
        *fd = -1;
    }
}

void TcpProxy::loop() {
    std::array<char, 65536> buffer{};
    while (!stop_) {
        if (drop_requested_.exchange(false)) {
            for (auto& p : pairs_) close_pair(p, true);
            pairs_.clear();
        }
        std::vector<pollfd> fds;
        fds.push_back({wake_[0], POLLIN, 0});
        fds.push_back({listener_, static_cast<short>(listening_ ? POLLIN : 0), 0});
        const bool stalled = stalled_;
        for (auto& p : pairs_) {
            fds.push_back({p.client, static_cast<short>(stalled ? 0 : POLLIN), 0});
            fds.push_back({p.server, static_cast<short>(stalled ? 0 : POLLIN), 0});
        }
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents & POLLIN) {
            char drain[64];
            while (::read(wake_[0], drain, sizeof drain) > 0) {
            }
        }
        const std::size_t polled = pairs_.size();  // a pair accepted below has no pollfd yet
        if (fds[1].revents & POLLIN) {
            int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0) {
                ++accepted_;
                int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                auto addr = loopback(target_port_);
                if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
                    Pair failed{client, server};
                    close_pair(failed, true);
                } else {
                    pairs_.push_back({client, server});
                }
            }
        }
        // Forward what arrived; a side that closed closes the pair (a reset if it errored).
        for (std::size_t i = 0; i < polled; ++i) {
            Pair& p = pairs_[i];
            const pollfd& c = fds[2 + 2 * i];
            const pollfd& s = fds[3 + 2 * i];
            bool closed = false;
            for (auto [from, to, ev] :
                 {std::tuple{p.client, p.server, c.revents}, std::tuple{p.server, p.client, s.revents}}) {
                if (closed || !(ev & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t n = ::recv(from, buffer.data(), buffer.size(), 0);
                if (n <= 0 || !send_all(to, buffer.data(), static_cast<std::size_t>(n)))
                    closed = true;
                else if (from == p.client) {
                    to_server_ += static_cast<std::size_t>(n);
                    const std::lock_guard lock(sent_mutex_);
                    if (sent_.size() < (std::size_t{16} << 20))
                        sent_.append(buffer.data(), static_cast<std::size_t>(n));
                }
            }
            if (closed) close_pair(p, false);
        }
        std::erase_if(pairs_, [](const Pair& p) { return p.client < 0; });
    }
}

std::string TcpProxy::sent_to_server() const {
    const std::lock_guard lock(sent_mutex_);
    return sent_;
}

} // namespace sbdeploy::test
