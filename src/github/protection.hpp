// Branch protection through the GitHub REST API: read a branch's protection
// (GET /repos/{o}/{r}/branches/{b}/protection) and replace it with the same settings plus
// required status checks (PUT, which takes the whole protection). What the branch already
// requires is kept: its checks, reviews, admin enforcement, push restrictions and flags.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::github {

struct ProtectionSettings {
    std::string api_url = "https://api.github.com";  // GITHUB_API_URL
    std::string token;
    std::string repository;  // owner/name
    std::chrono::milliseconds timeout{30'000};
};

struct ProtectionRequest {
    std::string branch;
    std::string path;  // /repos/{o}/{r}/branches/{b}/protection
    std::string body;  // the PUT body (JSON)
    bool was_protected = false;
};

// The PUT body: `current` is the GET answer's JSON ("" when the branch is not protected), with
// `checks` added to its required status checks. Defaults for an unprotected branch: checks
// strict (up to date before merging), one approving review, admins not enforced, no push
// restrictions. A malformed `current` is an input error.
Result<std::string> protection_body(std::string_view current, const std::vector<std::string>& checks);

// Reads the branch's protection and builds the request that adds `checks`.
Result<ProtectionRequest> plan_protection(const ProtectionSettings& s, const std::string& branch,
                                          const std::vector<std::string>& checks);

// Sends the PUT.
Result<void> apply_protection(const ProtectionSettings& s, const ProtectionRequest& request);

} // namespace sbdeploy::github
