// A PostgreSQL server of a test's own (tests/pg/start with a private state file), for
// faults that would disturb the shared fixture: restarting the server, turning TLS on.
#pragma once

#include <map>
#include <string>

namespace sbdeploy::test {

class PrivateServer {
public:
    // Starts the server (about a second); throws std::runtime_error when it cannot.
    PrivateServer();
    // Stops it and removes its files.
    ~PrivateServer();
    PrivateServer(const PrivateServer&) = delete;
    PrivateServer& operator=(const PrivateServer&) = delete;

    // URL of `dbname` on this server, with `extra` query parameters ("sslmode=disable").
    [[nodiscard]] std::string url(const std::string& dbname = "postgres", const std::string& extra = "") const;
    [[nodiscard]] const std::string& port() const { return state_.at("PGPORT"); }
    [[nodiscard]] const std::string& password() const { return state_.at("PGPASSWORD"); }
    // The folder the server user owns (the data folder's parent): room for its TLS files.
    [[nodiscard]] const std::string& root() const { return state_.at("PGSOCKETDIR"); }

    // pg_ctl restart -m fast: sessions end with "terminating connection due to administrator command".
    void restart() const;
    // pg_ctl stop -m immediate, then start: a crash; what had not reached the WAL files is lost.
    void crash_and_start() const;
    // Writes `name` into root() owned by the server user with mode 0600 (a TLS key) and returns its path.
    std::string write_server_file(const std::string& name, const std::string& content) const;
    // ALTER SYSTEM SET each setting, then reloads the configuration.
    void configure(const std::map<std::string, std::string>& settings) const;

private:
    void pg_ctl(const std::string& action, const std::string& mode = "fast", const std::string& options = "") const;
    std::string state_path_;
    std::map<std::string, std::string> state_;
};

// A new database `name` on a private server of this process (started on first use, stopped at
// exit) whose lock table holds max_locks_per_transaction x (max_connections + 0) = 10 x 20 = 200
// objects: what a dry run in one transaction cannot outgrow unnoticed.
std::string small_lock_table_database(const std::string& name);

} // namespace sbdeploy::test
