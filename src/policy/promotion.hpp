// The promotion gate: every migration about to be pushed to a protected environment
// (production) must have been applied on the source environment (staging) first, with the
// same statements. A pure comparison of the pending files and the source's history.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::policy {

// The environment the gate and the pull request guard protect, and the default source.
inline constexpr std::string_view kProtectedEnvironment = "production";
inline constexpr std::string_view kDefaultPromoteFrom = "staging";
inline constexpr std::string_view kDefaultHotfixPattern = "hotfix/*";

// A migration pending on the target: the statements it would apply.
struct Candidate {
    std::string version;
    std::string name;
    std::vector<std::string> statements;
};

// A row of the source's history; statements nullopt when the row records none (old CLIs).
struct SourceEntry {
    std::string version;
    std::optional<std::vector<std::string>> statements;
};

enum class Gap {
    not_applied,           // the source has no row for the version
    different_statements,  // the source ran other statements under this version
};

struct Unpromoted {
    std::string version;
    std::string name;
    Gap gap;
};

// The candidates the source has not run as they are, in the candidates' order. A source row
// without statements counts as run (nothing to compare, as the plan treats it).
std::vector<Unpromoted> unpromoted(std::span<const Candidate> pending, std::span<const SourceEntry> source_history);

// "20240101000002_add_moods (not applied on staging)"
std::string describe(const Unpromoted& u, std::string_view source);

// The refusal (exit 1): names every version and says how to promote them.
Error refusal(std::span<const Unpromoted> gaps, std::string_view source, std::string_view target);

// The loud override line for --allow-unpromoted (a warning annotation and the summary).
std::string override_warning(std::span<const Unpromoted> gaps, std::string_view source, std::string_view target);

} // namespace sbdeploy::policy
