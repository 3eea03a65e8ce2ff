#include "policy/hotfix.hpp"

#include <algorithm>

#include "policy/mapping.hpp"
#include "util/strings.hpp"

namespace sbdeploy::policy {

namespace {

using util::quoted;

// Up to ten, then "... (N in all)", as the gate's refusal lists them.
std::string listing(std::span<const Unpromoted> gaps, std::string_view source) {
    std::string s;
    for (std::size_t i = 0; i < gaps.size() && i < 10; ++i) s += (i ? ", " : "") + describe(gaps[i], source);
    if (gaps.size() > 10) s += ", ... (" + std::to_string(gaps.size()) + " in all)";
    return s;
}

std::string pull_label(const HotfixPull& pull) {
    return "pull request #" + std::to_string(pull.number) + " from " + quoted(pull.head);
}

} // namespace

std::optional<std::string> hotfix_reason(std::string_view head, bool fork, std::span<const std::string> labels,
                                         std::string_view pattern) {
    if (!fork && !pattern.empty() && glob_match(pattern, head)) return "a hotfix branch (" + quoted(pattern) + ")";
    if (std::ranges::find(labels, kHotfixLabel) != labels.end())
        return "a pull request labelled " + quoted(kHotfixLabel);
    return std::nullopt;
}

GateDecision decide(std::span<const Unpromoted> gaps, const HotfixRoute& route) {
    GateDecision d;
    for (const auto& g : gaps) {
        const bool brought = route.pull &&
                             std::ranges::find(route.pull->versions, g.version) != route.pull->versions.end();
        (brought ? d.hotfixed : d.refused).push_back(g);
    }
    return d;
}

std::string hotfix_warning(std::span<const Unpromoted> hotfixed, const HotfixPull& pull, std::string_view source,
                           std::string_view target, std::string_view source_branch) {
    return "promotion gate: hotfix route: " + pull_label(pull) + " (" + pull.why + ") brings " +
           util::plural(hotfixed.size(), "migration") + " to " + std::string(target) + " that did not run on " +
           std::string(source) + " first: " + listing(hotfixed, source) + "; " + std::string(source) +
           " must get the same migrations: merge " + quoted(pull.head) + " into " + quoted(source_branch);
}

Error gate_refusal(std::span<const Unpromoted> refused, const HotfixRoute& route, std::string_view source,
                   std::string_view target) {
    Error e = refusal(refused, source, target);
    if (route.pull) {
        std::string brought;
        for (const auto& v : route.pull->versions) brought += (brought.empty() ? "" : ", ") + v;
        e.message += "; the hotfix route covers only what " + pull_label(*route.pull) + " brought (" +
                     (brought.empty() ? std::string("no migration") : brought) + ")";
    } else if (!route.not_taken.empty()) {
        e.message += "; the hotfix route did not apply: " + route.not_taken;
    }
    return e;
}

} // namespace sbdeploy::policy
