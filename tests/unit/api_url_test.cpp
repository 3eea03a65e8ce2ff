// The Management API transport refuses, before any request, an --api-url that would send the
// access token in clear: plain http is only for a loopback host. No test here connects
// anywhere: connect_management_api only checks its options.
#include "db/management_api.hpp"

#include <doctest/doctest.h>

using namespace sbdeploy;

namespace {

Result<std::unique_ptr<db::Session>> open(const std::string& api_url) {
    db::ApiOptions o;
    o.api_url = api_url;
    o.project_ref = "abcdefghijklmnopqrst";
    o.token = "sbp_0123456789abcdef0123456789abcdef01234567";
    return db::connect_management_api(o);
}

} // namespace

TEST_CASE("api url: https anywhere, plain http only to a loopback host") {
    for (const char* url :
         {"https://api.supabase.com", "https://example.invalid:8443/base/", "http://127.0.0.1:4000", "http://127.9.8.7",
          "http://localhost:8080/", "http://LOCALHOST", "http://[::1]:3000", "http://user:pw@127.0.0.1:1/x"}) {
        INFO(std::string(url));
        auto s = open(url);
        CHECK(s.has_value());
    }
    // Each of these host names is only read as text: nothing is resolved or connected.
    for (const char* url : {"http://example.invalid", "http://192.0.2.1:8080", "http://127.0.0.1.example.invalid",
                            "http://127.0.0.1@example.invalid", "http://localhost.example.invalid/", "http://[::2]",
                            "http://128.0.0.1", "http://127.0.0.256", "http://0x7f.0.0.1", "http://", "http://:80",
                            "http://localhost@192.0.2.1/", "http://127.000.0.1", "http://localhost."}) {
        INFO(std::string(url));
        auto s = open(url);
        REQUIRE_FALSE(s.has_value());
        CHECK(s.error().kind == ErrorKind::config);
        CHECK(s.error().message ==
              "--api-url \"" + std::string(url) + "\" is not https: the access token would travel in clear");
        CHECK(s.error().hint == "use an https:// URL (the default, https://api.supabase.com); plain http is only for a "
                                "loopback host (127.0.0.0/8, ::1, localhost)");
    }
}
