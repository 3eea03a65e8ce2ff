#include "policy/promotion.hpp"

#include <unordered_map>

namespace sbdeploy::policy {

namespace {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Up to ten, then "... (N in all)": a message stays one readable line.
std::string listing(std::span<const Unpromoted> gaps, std::string_view source) {
    std::string s;
    for (std::size_t i = 0; i < gaps.size() && i < 10; ++i) s += (i ? ", " : "") + describe(gaps[i], source);
    if (gaps.size() > 10) s += ", ... (" + std::to_string(gaps.size()) + " in all)";
    return s;
}

} // namespace

std::vector<Unpromoted> unpromoted(std::span<const Candidate> pending, std::span<const SourceEntry> source_history) {
    std::unordered_map<std::string_view, const SourceEntry*> by_version;
    by_version.reserve(source_history.size());
    for (const auto& row : source_history) by_version.emplace(row.version, &row);
    std::vector<Unpromoted> out;
    for (const auto& c : pending) {
        auto it = by_version.find(c.version);
        if (it == by_version.end())
            out.push_back({c.version, c.name, Gap::not_applied});
        else if (it->second->statements && *it->second->statements != c.statements)
            out.push_back({c.version, c.name, Gap::different_statements});
    }
    return out;
}

std::string describe(const Unpromoted& u, std::string_view source) {
    std::string what = u.gap == Gap::not_applied ? "not applied on " + std::string(source)
                                                 : "applied on " + std::string(source) + " with different statements";
    return u.version + (u.name.empty() ? "" : "_" + u.name) + " (" + what + ")";
}

Error refusal(std::span<const Unpromoted> gaps, std::string_view source, std::string_view target) {
    bool missing = false, differs = false;
    for (const auto& g : gaps) (g.gap == Gap::not_applied ? missing : differs) = true;
    std::string hint;
    if (missing)
        hint = "promote them: merge them into the " + std::string(source) +
               " branch so its push applies them (or run "
               "'sbdeploy push --environment " +
               std::string(source) + "' on this commit), then run this push again";
    if (differs)
        hint += std::string(hint.empty() ? "" : "; ") + "a file that differs from what " + std::string(source) +
                " ran must be restored as it ran there, with the change in a new migration";
    hint += "; --allow-unpromoted pushes anyway";
    return make_error(ErrorKind::operation,
                      "promotion gate: " + plural(gaps.size(), "migration", "migrations") + " pending for " +
                          std::string(target) + " did not run on " + std::string(source) +
                          " first: " + listing(gaps, source),
                      std::move(hint));
}

std::string override_warning(std::span<const Unpromoted> gaps, std::string_view source, std::string_view target) {
    return "promotion gate overridden (--allow-unpromoted): pushing " + plural(gaps.size(), "migration", "migrations") +
           " to " + std::string(target) + " that did not run on " + std::string(source) +
           " first: " + listing(gaps, source);
}

} // namespace sbdeploy::policy
