#include "support/private_pg.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include "support/pg.hpp"
#include "util/process.hpp"

namespace sbdeploy::test {

namespace {

std::map<std::string, std::string, std::less<>> base_env() {
    std::map<std::string, std::string, std::less<>> env;
    if (const char* path = std::getenv("PATH")) env["PATH"] = path;
    return env;
}

util::ProcessResult run(const std::string& program, const std::vector<std::string>& args) {
    util::ProcessSpec spec;
    spec.program = program;
    spec.args = args;
    spec.env = base_env();
    spec.timeout = std::chrono::milliseconds(120'000);
    spec.workdir = "/";  // the server user may not be able to read the current directory
    auto r = util::run_process(spec);
    if (!r) throw std::runtime_error("private server: cannot run " + program + ": " + r.error().message);
    return *r;
}

std::string pg_script(const std::string& name) { return std::string(SBDEPLOY_SOURCE_DIR) + "/tests/pg/" + name; }

} // namespace

PrivateServer::PrivateServer() {
    std::random_device rd;
    state_path_ = (std::filesystem::temp_directory_path() /
                   ("sbdeploy-private-pg-" + std::to_string(rd()) + "-" + std::to_string(rd()) + ".state"))
                      .string();
    auto r = run("bash", {pg_script("start"), state_path_});
    if (!r.ok()) throw std::runtime_error("private server: tests/pg/start failed:\n" + r.out + r.err);
    std::ifstream in(state_path_);
    std::string line;
    while (std::getline(in, line))
        if (auto eq = line.find('='); eq != std::string::npos) state_[line.substr(0, eq)] = line.substr(eq + 1);
    for (const char* key : {"PGPORT", "PGPASSWORD", "PGDATA", "PGBINDIR", "PGSOCKETDIR", "PGOSUSER"})
        if (state_[key].empty()) throw std::runtime_error(std::string("private server: no ") + key + " in its state");
}

PrivateServer::~PrivateServer() { (void)run("bash", {pg_script("stop"), state_path_}); }

std::string PrivateServer::url(const std::string& dbname, const std::string& extra) const {
    // The password is hex (tests/pg/start): no encoding needed.
    return "postgresql://postgres:" + state_.at("PGPASSWORD") + "@127.0.0.1:" + port() + "/" + dbname +
           (extra.empty() ? "" : "?" + extra);
}

void PrivateServer::pg_ctl(const std::string& action, const std::string& mode, const std::string& options) const {
    std::vector<std::string> args;
    std::string program = state_.at("PGBINDIR") + "/pg_ctl";
    if (geteuid() == 0) {  // the server runs as its own user (tests/pg/start)
        args = {"-u", state_.at("PGOSUSER"), "--", program};
        program = "runuser";
    }
    args.insert(args.end(), {"-D", state_.at("PGDATA"), "-m", mode, "-w", "-t", "60", "-l", root() + "/server.log"});
    if (!options.empty()) args.insert(args.end(), {"-o", options});
    args.push_back(action);
    auto r = run(program, args);
    if (!r.ok()) throw std::runtime_error("private server: pg_ctl " + action + " failed:\n" + r.out + r.err);
}

void PrivateServer::restart() const { pg_ctl("restart"); }

void PrivateServer::crash_and_start() const {
    pg_ctl("stop", "immediate");
    pg_ctl("start", "fast", "-p " + port());  // as tests/pg/start started it
}

std::string PrivateServer::write_server_file(const std::string& name, const std::string& content) const {
    const std::string path = root() + "/" + name;
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) throw std::runtime_error("private server: cannot write " + path);
    }
    ::chmod(path.c_str(), 0600);
    if (geteuid() == 0) {
        auto r = run("chown", {state_.at("PGOSUSER") + ":", path});
        if (!r.ok()) throw std::runtime_error("private server: chown " + path + " failed: " + r.err);
    }
    return path;
}

void PrivateServer::configure(const std::map<std::string, std::string>& settings) const {
    for (const auto& [name, value] : settings) query_column(url(), "ALTER SYSTEM SET " + name + " = '" + value + "'");
    query_column(url(), "SELECT pg_reload_conf()");
}

std::string small_lock_table_database(const std::string& name) {
    static PrivateServer server;  // stopped at exit
    static const bool configured = [] {
        server.configure({{"max_locks_per_transaction", "10"}, {"max_connections", "20"}});
        server.restart();
        return true;
    }();
    (void)configured;
    query_column(server.url(), "CREATE DATABASE " + name);
    return server.url(name);
}

} // namespace sbdeploy::test
