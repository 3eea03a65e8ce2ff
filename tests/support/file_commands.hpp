// Reads a GITHUB_OUTPUT / GITHUB_ENV file back as the Actions runner does
// (actions/runner, FileCommandManager.cs: NAME=VALUE and NAME<<DELIMITER lines, "\n"
// newlines on Linux), so tests check what a workflow would really see.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbdeploy::test {

inline std::vector<std::pair<std::string, std::string>> parse_file_commands(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t index = 0;
    // Returns false at the end; `had_newline` says whether the line ended with "\n".
    auto read_line = [&](std::string_view& line, bool& had_newline) {
        if (index >= text.size()) return false;
        auto lf = text.find('\n', index);
        if (lf == std::string_view::npos) {
            line = text.substr(index);
            index = text.size();
            had_newline = false;
            return true;
        }
        line = text.substr(index, lf - index);
        index = lf + 1;
        had_newline = true;
        return true;
    };
    std::string_view line;
    bool newline = false;
    while (read_line(line, newline)) {
        if (line.empty()) continue;
        auto equals = line.find('=');
        auto heredoc = line.find("<<");
        if (equals != std::string_view::npos && (heredoc == std::string_view::npos || equals < heredoc)) {
            out.emplace_back(std::string(line.substr(0, equals)), std::string(line.substr(equals + 1)));
            continue;
        }
        if (heredoc == std::string_view::npos) throw std::runtime_error("invalid format: " + std::string(line));
        std::string name(line.substr(0, heredoc));
        std::string delimiter(line.substr(heredoc + 2));
        if (name.empty() || delimiter.empty()) throw std::runtime_error("invalid heredoc: " + std::string(line));
        std::size_t start = index;
        std::size_t end = index;
        std::string_view value_line;
        bool found = false;
        while (read_line(value_line, newline)) {
            if (value_line == delimiter) {
                found = true;
                break;
            }
            if (!newline) throw std::runtime_error("EOF marker missing new line");
            end = index - 1;
        }
        if (!found) throw std::runtime_error("matching delimiter not found: " + delimiter);
        out.emplace_back(std::move(name), end > start ? std::string(text.substr(start, end - start)) : std::string());
    }
    return out;
}

} // namespace sbdeploy::test
