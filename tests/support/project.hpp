// A throwaway project folder with supabase/migrations/ for end-to-end tests, and
// runners for the built sbdeploy binary and the real Supabase CLI.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/process.hpp"

namespace sbdeploy::test {

class TempProject {
public:
    TempProject();
    ~TempProject();
    TempProject(const TempProject&) = delete;
    TempProject& operator=(const TempProject&) = delete;

    // Writes supabase/migrations/<filename>.
    void migration(const std::string& filename, const std::string& sql);
    // Writes any file below the project root.
    void file(const std::string& relative, const std::string& content);
    void remove_migration(const std::string& filename);
    [[nodiscard]] const std::filesystem::path& root() const { return root_; }
    [[nodiscard]] std::string path(const std::string& relative) const { return (root_ / relative).string(); }

private:
    std::filesystem::path root_;
};

using Env = std::map<std::string, std::string, std::less<>>;

// Runs build/sbdeploy with `args` and exactly `env` (plus PATH), in `workdir`.
util::ProcessResult run_sbdeploy(const std::vector<std::string>& args, const Env& env = {},
                                 const std::string& workdir = ".");

// sbdeploy COMMAND --db-url URL --workdir <project> EXTRA..., with exactly `env`.
util::ProcessResult run_with_db(const std::string& command, const TempProject& project, const std::string& url,
                                std::vector<std::string> extra = {}, const Env& env = {});

// "exit N" (and the signal, if any), stdout and stderr of a run: for INFO() when a check fails.
std::string describe(const util::ProcessResult& r);

// Runs the real Supabase CLI 3.1.0 from tests/node_modules (fails the test if missing).
util::ProcessResult run_supabase(const std::vector<std::string>& args, const std::string& workdir);

// Reads a whole file ("" when missing).
std::string slurp(const std::string& path);

} // namespace sbdeploy::test
