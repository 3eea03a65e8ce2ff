// The throwaway PostgreSQL server the test run starts (tests/pg/start): URLs to it,
// and fresh empty databases so tests never share state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::test {

// URL of the test server for `dbname` (password and port from the fixture's state file).
std::string server_url(std::string_view dbname = "postgres");
// Creates a new empty database with a unique name and returns its URL.
std::string fresh_database(std::string_view prefix = "t");
// Runs SQL on a database (through libpq) and returns the first column of every row;
// throws std::runtime_error on failure. For test setup and inspection only.
std::vector<std::string> query_column(const std::string& url, const std::string& sql);
// Whether `relation` (e.g. "public.t") exists in the database at `url`.
bool exists(const std::string& url, const std::string& relation);

// The port of a fixture URL (postgresql://user:pw@host:PORT/db), and the URL with another port
// (a proxy's in front of the server).
std::string port_of(const std::string& url);
std::string via_port(const std::string& url, int port);

// True while a backend of `url`'s database waits for the advisory lock `key`.
bool waiting_for_advisory_lock(const std::string& url, std::string_view key);
// True while sbdeploy (application_name) has a backend on `url`'s database.
bool sbdeploy_connected(const std::string& url);

// A connection of the test's own that holds the session advisory lock `key` until destroyed,
// so that a migration calling pg_advisory_xact_lock(key) waits inside its file.
class AdvisoryLockHolder {
public:
    AdvisoryLockHolder(const std::string& url, std::string_view key);
    ~AdvisoryLockHolder();
    AdvisoryLockHolder(const AdvisoryLockHolder&) = delete;
    AdvisoryLockHolder& operator=(const AdvisoryLockHolder&) = delete;

private:
    void* conn_;  // PGconn*, kept out of this header
};

} // namespace sbdeploy::test
