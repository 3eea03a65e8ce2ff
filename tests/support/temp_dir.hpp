// A temporary folder removed with everything in it at the end of the scope, and file
// helpers for tests that write runner files (GITHUB_OUTPUT, event payloads).
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace sbdeploy::test {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        root_ = std::filesystem::temp_directory_path() /
                ("sbdeploy-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(root_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] std::string path(const std::string& name) const { return (root_ / name).string(); }
    // Writes `content` to `name` and returns its path.
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream out(root_ / name, std::ios::binary | std::ios::trunc);
        out << content;
        return path(name);
    }

private:
    std::filesystem::path root_;
};

// The whole file; "" when it does not exist.
inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace sbdeploy::test
