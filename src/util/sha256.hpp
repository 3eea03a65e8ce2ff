// SHA-256 of bytes as lowercase hex (OpenSSL's libcrypto, through EVP).
#pragma once

#include <string>
#include <string_view>

namespace sbdeploy::util {

// 64 lowercase hex digits; "" only if libcrypto itself fails (out of memory).
std::string sha256_hex(std::string_view bytes);

} // namespace sbdeploy::util
