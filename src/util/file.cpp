// util::read_file over an ifstream in binary mode: the bytes as they are, errno's text when
// the file cannot be opened.
#include "util/file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sbdeploy::util {

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::io, std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return fail(ErrorKind::io, "read error");
    return std::move(ss).str();
}

Result<std::string> read_project_file(const std::string& path, const std::string& what, const std::string& display) {
    auto read = read_file(path);
    if (!read)
        return fail(make_error(ErrorKind::config, "cannot read " + what + ": " + read.error().message,
                               "check the file's permissions")
                        .at(display));
    return read;
}

} // namespace sbdeploy::util
