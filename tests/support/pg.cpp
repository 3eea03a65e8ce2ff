// Reads the fixture's state file (tests/pg/start) and talks to the server through libpq
// directly, so the fixture does not depend on the code under test.
#include "support/pg.hpp"

#include <libpq-fe.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

namespace sbdeploy::test {
namespace {

struct Server {
    std::string host;
    std::string port;
    std::string user;
    std::string password;
};

std::map<std::string, std::string> read_state(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error("test postgres: cannot read state file \"" + path +
                                 "\": run the tests through ctest, which starts PostgreSQL");
    }
    std::map<std::string, std::string> values;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return values;
}

Server load_server() {
    const char* path = std::getenv("SBDEPLOY_TEST_PG_STATE");
    if (path == nullptr || *path == '\0') {
        throw std::runtime_error(
            "test postgres: SBDEPLOY_TEST_PG_STATE is not set: run the tests through ctest, which starts "
            "PostgreSQL");
    }
    auto values = read_state(path);
    Server server{values["PGHOST"], values["PGPORT"], values["PGUSER"], values["PGPASSWORD"]};
    if (server.host.empty() || server.port.empty() || server.user.empty() || server.password.empty()) {
        throw std::runtime_error(std::string("test postgres: state file \"") + path +
                                 "\" lacks PGHOST, PGPORT, PGUSER or PGPASSWORD");
    }
    return server;
}

const Server& server() {
    static const Server loaded = load_server();
    return loaded;
}

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        }
    }
    return out;
}

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using QueryResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string trimmed_error(const PGconn* conn) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return message;
}

}  // namespace

std::string server_url(std::string_view dbname) {
    const Server& s = server();
    return "postgresql://" + url_encode(s.user) + ":" + url_encode(s.password) + "@" + s.host + ":" + s.port + "/" +
           url_encode(dbname);
}

std::string fresh_database(std::string_view prefix) {
    if (prefix.empty() || prefix.size() > 20 ||
        prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string_view::npos) {
        throw std::invalid_argument("fresh_database: prefix \"" + std::string(prefix) +
                                    "\" must be 1-20 characters of [a-z0-9_]");
    }
  // Unique across parallel test processes (pid), within one process (counter) and across runs
  // against a reused server (random).
    static std::atomic<unsigned> counter{0};
    static const unsigned salt = std::random_device{}();
    const std::string name = std::string(prefix) + "_" + std::to_string(::getpid()) + "_" +
                             std::to_string(counter.fetch_add(1)) + "_" + std::to_string(salt % 1000000U);
  // FILE_COPY copies template1's files instead of writing them through the WAL: half the disk
  // and faster on a server whose durability is off anyway.
    query_column(server_url("postgres"), "CREATE DATABASE \"" + name + "\" STRATEGY FILE_COPY");
    return server_url(name);
}

std::vector<std::string> query_column(const std::string& url, const std::string& sql) {
    Connection conn(PQconnectdb(url.c_str()), &PQfinish);
    if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
        throw std::runtime_error("test postgres: connect: " + trimmed_error(conn.get()));
    }
    QueryResult result(PQexec(conn.get(), sql.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        throw std::runtime_error("test postgres: query \"" + sql + "\": " + trimmed_error(conn.get()));
    }
    std::vector<std::string> column;
    if (status == PGRES_TUPLES_OK && PQnfields(result.get()) > 0) {
        const int rows = PQntuples(result.get());
        column.reserve(static_cast<std::size_t>(rows));
        for (int row = 0; row < rows; ++row) column.emplace_back(PQgetvalue(result.get(), row, 0));
    }
    return column;
}

bool exists(const std::string& url, const std::string& relation) {
    return query_column(url, "SELECT to_regclass('" + relation + "') IS NOT NULL") == std::vector<std::string>{"t"};
}

std::string port_of(const std::string& url) {
    auto host = url.substr(url.rfind('@') + 1);
    return host.substr(host.find(':') + 1, host.find('/') - host.find(':') - 1);
}

std::string via_port(const std::string& url, int port) {
    auto at = url.rfind('@');
    return url.substr(0, url.find(':', at) + 1) + std::to_string(port) + url.substr(url.find('/', at));
}

bool waiting_for_advisory_lock(const std::string& url, std::string_view key) {
    return query_column(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = " +
                                 std::string(key) +
                                 " AND database = (SELECT oid FROM pg_database WHERE datname = "
                                 "current_database())") != std::vector<std::string>{"0"};
}

bool sbdeploy_connected(const std::string& url) {
    return query_column(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                             "application_name = 'sbdeploy'") != std::vector<std::string>{"0"};
}

AdvisoryLockHolder::AdvisoryLockHolder(const std::string& url, std::string_view key) : conn_(PQconnectdb(url.c_str())) {
    auto* conn = static_cast<PGconn*>(conn_);
    std::unique_ptr<PGresult, decltype(&PQclear)> r(
        PQexec(conn, ("SELECT pg_advisory_lock(" + std::string(key) + ")").c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        std::string why = PQerrorMessage(conn);
        PQfinish(conn);
        throw std::runtime_error("test lock holder: " + why);
    }
}

AdvisoryLockHolder::~AdvisoryLockHolder() { PQfinish(static_cast<PGconn*>(conn_)); }

}  // namespace sbdeploy::test
