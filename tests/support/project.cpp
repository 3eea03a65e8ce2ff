#include "support/project.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace sbdeploy::test {

namespace fs = std::filesystem;

TempProject::TempProject() {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("sbdeploy-project-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(root_ / "supabase" / "migrations");
}

TempProject::~TempProject() {
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void TempProject::migration(const std::string& filename, const std::string& sql) {
    file("supabase/migrations/" + filename, sql);
}

void TempProject::file(const std::string& relative, const std::string& content) {
    auto p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
}

void TempProject::remove_migration(const std::string& filename) {
    fs::remove(root_ / "supabase" / "migrations" / filename);
}

util::ProcessResult run_sbdeploy(const std::vector<std::string>& args, const Env& env, const std::string& workdir) {
    util::ProcessSpec spec;
    spec.program = SBDEPLOY_BINARY;
    spec.args = args;
    spec.env = env;
    if (!spec.env.contains("PATH")) spec.env["PATH"] = "/usr/bin:/bin";
    spec.workdir = workdir;
    spec.timeout = std::chrono::milliseconds(120'000);
    auto r = util::run_process(spec);
    if (!r) throw std::runtime_error("cannot run sbdeploy: " + r.error().message);
    return *r;
}

util::ProcessResult run_supabase(const std::vector<std::string>& args, const std::string& workdir) {
    std::string bin = std::string(SBDEPLOY_SOURCE_DIR) + "/tests/node_modules/@supabase/cli-linux-x64/bin/supabase";
    if (!fs::exists(bin))
        throw std::runtime_error("the Supabase CLI is not installed: run scripts/setup (npm ci in tests/)");
    util::ProcessSpec spec;
    spec.program = bin;
    spec.args = args;
    spec.env = {{"PATH", "/usr/bin:/bin"},
                {"HOME", fs::temp_directory_path().string()},
                {"SUPABASE_TELEMETRY_DISABLED", "1"},
                {"DO_NOT_TRACK", "1"},
                {"CI", "true"}};
    spec.workdir = workdir;
    spec.timeout = std::chrono::milliseconds(300'000);
    auto r = util::run_process(spec);
    if (!r) throw std::runtime_error("cannot run the Supabase CLI: " + r.error().message);
    return *r;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

util::ProcessResult run_with_db(const std::string& command, const TempProject& project, const std::string& url,
                                std::vector<std::string> extra, const Env& env) {
    std::vector<std::string> args{command, "--db-url", url, "--workdir", project.root().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sbdeploy(args, env);
}

std::string describe(const util::ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) +
           (r.signal != 0 ? " signal " + std::to_string(r.signal) : std::string()) + "\nstdout:\n" + r.out +
           "\nstderr:\n" + r.err;
}

} // namespace sbdeploy::test
