// The lint rules as one table: id, severity, what each catches and the usual fix. The
// README's rules table, `--lint-disable` and `-- sbdeploy-lint-ignore:` all use these ids.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sbdeploy::lint {

enum class Severity { warning, error };
std::string_view severity_name(Severity s);

enum class Rule {
    parse_error,
    transaction_control,
    transaction_wrapper,
    mid_file_commit,
    rls_missing,
    policy_always_true,
    security_definer_search_path,
    index_not_concurrent,
    add_column_not_null,
    set_not_null,
    column_type_rewrite,
    constraint_not_valid,
    drop_table,
    drop_column,
    truncate,
    rename_table,
    rename_column,
    constraint_without_index,
    validate_same_file,
    add_column_references,
    add_column_rewrite,
    file_name,
    duplicate_version,
    unknown_ignore,
};

struct RuleInfo {
    Rule rule;
    std::string_view id;
    Severity severity;  // the default; a finding may raise it (see the rule), sbdeploy.toml may set it
    std::string_view catches;  // one line, for the README and --help
    std::string_view fix;      // the usual fix; findings give one for their own case
};

// Every rule, in the order findings of one statement are listed.
std::span<const RuleInfo> rule_table();
const RuleInfo& info(Rule rule);
std::optional<Rule> find_rule(std::string_view id);
// The nearest rule id to a misspelt one ("" when none is close).
std::string nearest_rule(std::string_view id);

// Which rules run: `--lint-disable` ids ("all" disables every rule). An unknown id is a
// usage error that suggests the nearest one.
struct RuleSet {
    std::vector<bool> enabled;  // indexed by Rule
    [[nodiscard]] bool on(Rule r) const { return enabled[static_cast<std::size_t>(r)]; }
};
Result<RuleSet> rule_set(std::span<const std::string> disabled);

// A rule level as sbdeploy.toml writes it: "error", "warning" or "off".
enum class Level { off, warning, error };
Result<Level> parse_level(std::string_view text);

// `--lint-fail-on error|warning|never`: the least severity that fails the check.
enum class FailOn { error, warning, never };
Result<FailOn> parse_fail_on(std::string_view text);
bool fails(Severity s, FailOn fail_on);

} // namespace sbdeploy::lint
