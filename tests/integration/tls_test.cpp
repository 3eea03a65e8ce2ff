// TLS to the database: a server of the test's own with a certificate made in the test by
// a CA of the test, and pg_hba.conf that takes TLS connections only (hostssl), so a command
// that succeeds did use TLS. require succeeds, verify-full with the right CA succeeds, with a
// wrong CA it fails clearly; non-loopback hosts get require by default.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/pg.hpp"
#include "support/private_pg.hpp"
#include "support/project.hpp"
#include "support/temp_dir.hpp"
#include "util/process.hpp"

using namespace sbdeploy::test;
using sbdeploy::util::ProcessResult;

namespace {

void openssl(const TempDir& dir, std::vector<std::string> args) {
    sbdeploy::util::ProcessSpec spec;
    spec.program = "openssl";
    spec.args = std::move(args);
    if (const char* path = std::getenv("PATH")) spec.env["PATH"] = path;
    spec.workdir = dir.path("");
    auto r = sbdeploy::util::run_process(spec);
    if (!r || !r->ok())
        throw std::runtime_error("openssl " + spec.args.front() + " failed: " + (r ? r->err : r.error().message));
}

// A CA, a server certificate it signs for localhost and 127.0.0.1, and an unrelated CA.
// EC keys: made in milliseconds.
void make_certificates(const TempDir& dir) {
    const std::vector<std::string> ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto with = [&](std::vector<std::string> head, std::vector<std::string> tail) {
        head.insert(head.end(), ec.begin(), ec.end());
        head.insert(head.end(), tail.begin(), tail.end());
        return head;
    };
    openssl(dir, with({"req", "-x509"},
                      {"-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=sbdeploy test CA"}));
    openssl(dir, with({"req"}, {"-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"}));
    dir.write("san.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl(dir, {"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                  "server.crt", "-days", "2", "-extfile", "san.cnf"});
    openssl(dir, with({"req", "-x509"},
                      {"-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=another CA"}));
}

// The server with TLS on, and TCP connections without TLS refused.
void turn_tls_on(const PrivateServer& server, const TempDir& certs) {
    const auto cert = server.write_server_file("server.crt", slurp(certs.path("server.crt")));
    const auto key = server.write_server_file("server.key", slurp(certs.path("server.key")));
    auto hba = query_column(server.url(), "SHOW hba_file").at(0);
    std::ofstream(hba, std::ios::trunc) << "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n";
    server.configure({{"ssl_cert_file", cert}, {"ssl_key_file", key}, {"ssl", "on"}});
    // pg_reload_conf() only signals: wait until a TLS connection works.
    for (int i = 0; i < 200; ++i) {
        try {
            if (query_column(server.url("postgres", "sslmode=require"),
                             "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") ==
                std::vector<std::string>{"t"})
                return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    throw std::runtime_error("the private server did not turn TLS on");
}

ProcessResult status(const TempProject& project, const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"status", "--db-url", url, "--workdir", project.root().string(), "--connect-timeout",
                                  "5s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sbdeploy(args);
}

} // namespace

TEST_CASE("tls: require, verify-full with the right CA and with a wrong one, against a server that takes TLS only") {
    // Made once: doctest runs the case again from the top for each subcase.
    static const TempDir certs;
    static const PrivateServer server;
    static const bool ready = (make_certificates(certs), turn_tls_on(server, certs), true);
    REQUIRE(ready);
    TempProject project;
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    const std::string url = server.url();
    const std::string target = "127.0.0.1:" + server.port() + "/postgres as postgres";

    SUBCASE("without TLS the server refuses: the tests below did use TLS") {
        auto r = status(project, url, {"--sslmode", "disable"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: cannot connect to " + target + ": "));
        CHECK(r.err.find("no encryption") != std::string::npos);
    }
    SUBCASE("--sslmode require") {
        auto r = status(project, url, {"--sslmode", "require"});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
    }
    SUBCASE("--sslmode verify-full with the CA that signed the server's certificate") {
        auto r = status(project, url, {"--sslmode", "verify-full", "--sslrootcert", certs.path("ca.crt")});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
    }
    SUBCASE("the same through the URL and the environment") {
        auto r = run_sbdeploy({"status", "--workdir", project.root().string()},
                              {{"SBDEPLOY_DB_URL", server.url("postgres", "sslmode=verify-full")},
                               {"SBDEPLOY_SSLROOTCERT", certs.path("ca.crt")}});
        INFO(describe(r));
        CHECK(r.exit_code == 0);
    }
    SUBCASE("the metrics commands verify the server with --sslrootcert too") {
        // The report reaches the server over verified TLS and finds no metrics schema there.
        auto r = run_sbdeploy({"metrics", "report", "--db-url", url, "--sslmode", "verify-full", "--sslrootcert",
                               certs.path("ca.crt"), "--workdir", project.root().string(), "--connect-timeout", "5s"});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.starts_with("sbdeploy: error: metrics: reading metrics.deployment_events: relation "
                                "\"metrics.deployment_events\" does not exist (SQLSTATE 42P01)\n"));
        auto wrong = run_sbdeploy({"metrics", "report", "--db-url", url, "--sslmode", "verify-full", "--sslrootcert",
                                   certs.path("other.crt"), "--workdir", project.root().string()});
        INFO(describe(wrong));
        CHECK(wrong.exit_code == 1);
        CHECK(wrong.err.find("SSL error: certificate verify failed") != std::string::npos);
    }
    SUBCASE("--sslmode verify-full with a wrong CA fails clearly") {
        auto r = status(project, url, {"--sslmode", "verify-full", "--sslrootcert", certs.path("other.crt")});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err == "sbdeploy: error: cannot connect to " + target +
                           ": connection to server at \"127.0.0.1\", port " + server.port() +
                           " failed: SSL error: certificate verify failed\n"
                           "hint: the server's certificate is not signed by a CA in the sslrootcert file; pass the CA "
                           "that signed it with --sslrootcert (on Supabase: the project's SSL certificate from the "
                           "database settings)\n");
        CHECK(r.out.empty());
    }
    SUBCASE("--sslmode verify-full without a CA file") {
        auto r = status(project, url, {"--sslmode", "verify-full", "--sslrootcert", certs.path("missing.crt")});
        INFO(describe(r));
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("root certificate file \"" + certs.path("missing.crt") + "\" does not exist") !=
              std::string::npos);
        CHECK(r.err.ends_with("\nhint: sslmode verify-ca and verify-full need the CA certificate: pass it with "
                              "--sslrootcert FILE\n"));
    }
    SUBCASE("a non-loopback host name gets sslmode require by default") {
        // 0.0.0.0 reaches this machine, but it is not a loopback name: TLS, without checking the certificate.
        auto r =
            status(project, "postgresql://postgres:" + server.password() + "@0.0.0.0:" + server.port() + "/postgres");
        INFO(describe(r));
        CHECK(r.exit_code == 0);
    }
}

TEST_CASE("tls: a non-loopback host gets sslmode require: a server without TLS is refused, not used in clear") {
    TempProject project;
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    const std::string url = fresh_database("tls_default");
    // The fixture's server has no TLS. 0.0.0.0 reaches it, but is not a loopback name.
    std::string remote = url;
    auto at = remote.rfind('@');
    remote.replace(at + 1, remote.find(':', at) - at - 1, "0.0.0.0");
    auto r = status(project, remote);
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("server does not support SSL, but SSL was required") != std::string::npos);
    // An explicit weaker sslmode is refused before connecting (exit 2) ...
    auto refused = status(project, remote, {"--sslmode", "disable"});
    INFO(describe(refused));
    CHECK(refused.exit_code == 2);
    CHECK(refused.err.starts_with("sbdeploy: error: sslmode \"disable\" to \"0.0.0.0\", which is not loopback, may "
                                  "send the password and the migrations in clear\n"));
    // ... unless --allow-insecure-transport takes the risk: the same host in clear.
    auto clear = status(project, remote, {"--sslmode", "disable", "--allow-insecure-transport"});
    INFO(describe(clear));
    CHECK(clear.exit_code == 0);
}

namespace {

// A loopback server that declines TLS ('N' to the SSLRequest) and records every byte it is sent.
class DecliningServer {
public:
    DecliningServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        REQUIRE(::listen(fd_, 8) == 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~DecliningServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string received() {
        std::lock_guard lock(mutex_);
        return received_;
    }
    [[nodiscard]] int connections() {
        std::lock_guard lock(mutex_);
        return connections_;
    }

private:
    void serve() {
        while (true) {
            int client = ::accept(fd_, nullptr, nullptr);
            if (client < 0) return;
            {
                std::lock_guard lock(mutex_);
                ++connections_;
            }
            char buf[4096];
            bool answered = false;
            while (true) {
                auto n = ::read(client, buf, sizeof buf);
                if (n <= 0) break;
                std::lock_guard lock(mutex_);
                received_.append(buf, static_cast<std::size_t>(n));
                // An SSLRequest is 8 bytes: length 8, code 80877103.
                if (!answered && received_.size() >= 8) {
                    answered = true;
                    (void)!::write(client, "N", 1);
                }
            }
            ::close(client);
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::string received_;
    int connections_ = 0;
};

} // namespace

TEST_CASE("tls: a loopback server that declines TLS gets no password when the URL asks for require") {
    TempProject project;
    project.migration("20240101000001_one.sql", "create table one (id int);\n");
    DecliningServer server;
    const std::string password = "s3cret-never-in-clear";
    auto r = status(project, "postgresql://postgres:" + password + "@127.0.0.1:" + std::to_string(server.port()) +
                                 "/postgres?sslmode=require");
    INFO(describe(r));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("server does not support SSL, but SSL was required") != std::string::npos);
    CHECK(server.connections() >= 1);
    const std::string got = server.received();
    // Only SSLRequests (length 8, code 1234 5679), never a startup message or a password.
    CHECK(got.size() == 8 * static_cast<std::size_t>(server.connections()));
    CHECK(got.find(password) == std::string::npos);
    CHECK(got.find("postgres") == std::string::npos);
}
