#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http.hpp"

using namespace sbdeploy;
using namespace std::chrono_literals;

namespace {

// A loopback port that nothing listens on: bound, then closed.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

} // namespace

TEST_CASE("backoff: full jitter on an exponential cap, Retry-After wins") {
    net::RetryPolicy policy;
    policy.base_delay = 100ms;
    policy.max_delay = 1000ms;
    auto top = [] { return 0.999999; };
    CHECK(net::backoff_delay(policy, 1, std::nullopt, top) == 99ms);
    CHECK(net::backoff_delay(policy, 3, std::nullopt, top) == 399ms);
    CHECK(net::backoff_delay(policy, 10, std::nullopt, top) == 999ms);
    CHECK(net::backoff_delay(policy, 3, std::nullopt, [] { return 0.0; }) == 0ms);
    CHECK(net::backoff_delay(policy, 3, 7s, top) == 7000ms);
}

TEST_CASE("Retry-After: delta seconds or an HTTP date") {
    net::Response r;
    CHECK_FALSE(net::retry_after(r, 0).has_value());
    r.headers["retry-after"] = "12";
    CHECK(net::retry_after(r, 0) == 12s);
    r.headers["retry-after"] = "Thu, 01 Jan 1970 00:01:40 GMT";
    CHECK(net::retry_after(r, 40) == 60s);
    CHECK(net::retry_after(r, 500) == 0s);
    r.headers["retry-after"] = "soon";
    CHECK_FALSE(net::retry_after(r, 0).has_value());
}

TEST_CASE("perform: a refused connection is a connection error naming the URL, retried within the bounds") {
    net::Request request;
    request.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/x?token=secret";
    request.connect_timeout = 2000ms;

    SUBCASE("one attempt") {
        auto outcome = net::perform(request);
        REQUIRE_FALSE(outcome.response.has_value());
        CHECK(outcome.failure == net::Failure::connect);
        CHECK(outcome.response.error().kind == ErrorKind::connection);
        CHECK(outcome.response.error().message.starts_with("GET http://127.0.0.1:"));
        CHECK(outcome.response.error().message.find("secret") == std::string::npos);
        CHECK_FALSE(outcome.response.error().hint.empty());
    }
    SUBCASE("retried up to max_attempts, with the waits the policy gives") {
        net::RetryPolicy policy;
        policy.max_attempts = 4;
        policy.base_delay = 100ms;
        std::vector<std::chrono::milliseconds> waits;
        net::RetryHooks hooks;
        hooks.sleep = [&](std::chrono::milliseconds d) { waits.push_back(d); };
        hooks.random01 = [] { return 0.5; };
        auto outcome = net::perform_with_retry(request, policy, net::retry_transient, hooks);
        CHECK_FALSE(outcome.response.has_value());
        CHECK(waits == std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms});
    }
    SUBCASE("the total budget stops retrying before a wait that would exceed it") {
        net::RetryPolicy policy;
        policy.max_attempts = 10;
        policy.base_delay = 1000ms;
        policy.total_budget = 2500ms;
        std::chrono::milliseconds clock{0};
        std::vector<std::chrono::milliseconds> waits;
        net::RetryHooks hooks;
        hooks.monotonic = [&] { return clock; };
        hooks.sleep = [&](std::chrono::milliseconds d) {
            waits.push_back(d);
            clock += d;
        };
        hooks.random01 = [] { return 0.999999; };
        auto outcome = net::perform_with_retry(request, policy, net::retry_transient, hooks);
        CHECK_FALSE(outcome.response.has_value());
        CHECK(waits == std::vector<std::chrono::milliseconds>{999ms});
    }
}
