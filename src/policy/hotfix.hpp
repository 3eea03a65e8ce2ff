// The promotion gate's hotfix route (seed 003: a hotfix branch from main, a pull request into
// main, deployed at once, then merged back into staging): the unpromoted migrations that a
// merged hotfix pull request brought pass the gate, loudly; every other one is still refused.
// Pure rules; the CLI finds the pull request (push: GitHub's pull requests of the pushed
// commit; validate: the event's) and reports.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/promotion.hpp"
#include "util/error.hpp"

namespace sbdeploy::policy {

// A pull request carrying this label is a hotfix whatever its branch.
inline constexpr std::string_view kHotfixLabel = "hotfix";

// Why a pull request is a hotfix, `a hotfix branch ("hotfix/*")` or `a pull request labelled
// "hotfix"`, or
// nothing. A fork's branch name proves nothing (as for the pull request guard); a label does,
// since only the repository's maintainers can set one.
std::optional<std::string> hotfix_reason(std::string_view head, bool fork, std::span<const std::string> labels,
                                         std::string_view pattern);

struct HotfixPull {
    long number = 0;
    std::string head;                   // its branch
    std::string why;                    // hotfix_reason
    std::vector<std::string> versions;  // the migrations it added or changed
};

// What the run knows of the route: the hotfix pull request, or one clause saying why there is
// none ("commit 2222222 is in no merged pull request into \"main\"").
struct HotfixRoute {
    std::optional<HotfixPull> pull;
    std::string not_taken;
};

struct GateDecision {
    std::vector<Unpromoted> hotfixed;  // unpromoted, but brought by the hotfix pull request
    std::vector<Unpromoted> refused;   // the rest: the gate refuses them
};

// Splits the gaps: those whose version the hotfix pull request brought pass.
GateDecision decide(std::span<const Unpromoted> gaps, const HotfixRoute& route);

// The warning annotation and summary line of a push (or a validate) the route lets through:
// what passes unpromoted and which branch to merge into `source_branch` so the source gets it.
std::string hotfix_warning(std::span<const Unpromoted> hotfixed, const HotfixPull& pull, std::string_view source,
                           std::string_view target, std::string_view source_branch);

// The refusal of what the route did not cover (exit 1): `refusal` plus why the route did not
// apply, or what it covered.
Error gate_refusal(std::span<const Unpromoted> refused, const HotfixRoute& route, std::string_view source,
                   std::string_view target);

} // namespace sbdeploy::policy
