#include "github/outputs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "util/strings.hpp"

namespace sbdeploy::github {

namespace {

// A broken random source must not loop forever; 64 fresh UUIDs never all collide.
constexpr int kDelimiterAttempts = 64;

std::string printable(std::string_view name) {
    return util::quoted(util::replace_all(util::replace_all(name, "\r", "\\r"), "\n", "\\n"));
}

std::optional<Error> check_name(std::string_view name, std::string_view file_variable) {
    std::string problem;
    if (name.empty())
        problem = "a name must not be empty";
    else if (name.find_first_of("\r\n") != std::string_view::npos)
        problem = "name " + printable(name) + " contains a line break";
    else if (name.find('=') != std::string_view::npos)
        problem = "name " + printable(name) + " contains \"=\"";
    else if (name.find("<<") != std::string_view::npos)
        problem = "name " + printable(name) + " contains \"<<\"";
    if (problem.empty()) return std::nullopt;
    return make_error(ErrorKind::usage, std::string(file_variable) + ": " + problem,
                      "names are single lines without \"=\" or \"<<\"");
}

std::string lower_first(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

} // namespace

RandomSource system_random() {
    auto device = std::make_shared<std::random_device>();
    return [device] { return static_cast<std::uint32_t>((*device)()); };
}

std::string uuid_v4(const RandomSource& random) {
    std::array<unsigned char, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
        std::uint32_t r = random();
        for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        s.push_back(hex[bytes[i] >> 4]);
        s.push_back(hex[bytes[i] & 0x0f]);
    }
    return s;
}

Result<std::string> format_file_commands(const NameValues& pairs, std::string_view file_variable,
                                         const RandomSource& random) {
    for (const auto& [name, value] : pairs)
        if (auto e = check_name(name, file_variable)) return fail(std::move(*e));
    if (pairs.empty()) return std::string();
    std::string delimiter;
    for (int attempt = 0; attempt < kDelimiterAttempts && delimiter.empty(); ++attempt) {
        delimiter = "ghadelimiter_" + uuid_v4(random);
        for (const auto& [name, value] : pairs) {
            if (name.find(delimiter) != std::string::npos || value.find(delimiter) != std::string::npos) {
                delimiter.clear();
                break;
            }
        }
    }
    if (delimiter.empty())
        return fail(ErrorKind::io, std::string(file_variable) + ": no delimiter found that the values do not contain",
                    "the random source repeats itself");
    std::string text;
    for (const auto& [name, value] : pairs) {
        text.append(name).append("<<").append(delimiter).append("\n");
        text.append(value).append("\n");
        text.append(delimiter).append("\n");
    }
    return text;
}

Result<void> append_file_command(const std::string& path, std::string_view file_variable, std::string_view text) {
    auto failed = [&](int err) {
        return fail(ErrorKind::io,
                    "cannot write the " + std::string(file_variable) + " file " + util::quoted(path) + ": " +
                        lower_first(std::strerror(err)),
                    "the runner sets " + std::string(file_variable) + " to a writable file; outside Actions, unset it");
    };
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return failed(errno);
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return failed(err);
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::close(fd) != 0) return failed(errno);
    return {};
}

Result<void> write_output(const std::string& path, std::string_view name, std::string_view value,
                          const RandomSource& random) {
    auto text = format_file_commands({{std::string(name), std::string(value)}}, "GITHUB_OUTPUT", random);
    if (!text) return fail(std::move(text.error()));
    return append_file_command(path, "GITHUB_OUTPUT", *text);
}

Result<void> export_variable(const std::string& path, std::string_view name, std::string_view value,
                             const RandomSource& random) {
    auto text = format_file_commands({{std::string(name), std::string(value)}}, "GITHUB_ENV", random);
    if (!text) return fail(std::move(text.error()));
    return append_file_command(path, "GITHUB_ENV", *text);
}

Result<void> append_step_summary(const std::string& path, std::string_view markdown) {
    return append_file_command(path, "GITHUB_STEP_SUMMARY", markdown);
}

std::string escape_markdown(std::string_view text) {
    std::string r;
    r.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '\\':
        case '`':
        case '*':
        case '_':
        case '[':
        case ']':
        case '<':
        case '>':
        case '&':
        case '|':
        case '~':
        case '#':
        case '!':
            r.push_back('\\');
            r.push_back(c);
            break;
        case '\n':
        case '\r': r.push_back(' '); break;
        default: r.push_back(c);
        }
    }
    return r;
}

void Outputs::set(std::string_view name, std::string value) {
    for (auto& item : items_) {
        if (item.first == name) {
            item.second = std::move(value);
            return;
        }
    }
    items_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string> Outputs::get(std::string_view name) const {
    for (const auto& [n, v] : items_)
        if (n == name) return v;
    return std::nullopt;
}

Result<void> Outputs::flush(const std::string& path, const RandomSource& random) const {
    auto text = format_file_commands(items_, "GITHUB_OUTPUT", random);
    if (!text) return fail(std::move(text.error()));
    if (text->empty()) return {};
    return append_file_command(path, "GITHUB_OUTPUT", *text);
}

std::string Outputs::to_json() const {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    for (const auto& [name, value] : items_) {
        writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
        writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    }
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

} // namespace sbdeploy::github
