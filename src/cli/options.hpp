// The one table of options: every option is a flag --name and an environment
// variable SBDEPLOY_NAME (upper case, dashes to underscores); a flag wins.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/env.hpp"
#include "util/error.hpp"

namespace sbdeploy::cli {

enum class OptionKind { flag, value, list };
enum class Secret { no, yes };

struct OptionSpec {
    std::string_view name;        // without dashes: "db-url"
    OptionKind kind;
    std::string_view value_name;  // "URL"
    std::string_view help;
    std::string_view default_text;  // for --help only; empty when there is none
    Secret secret = Secret::no;
};

// Every option sbdeploy knows.
std::span<const OptionSpec> option_table();
const OptionSpec* find_option(std::string_view name);
// "db-url" -> "SBDEPLOY_DB_URL"
std::string env_var_for(std::string_view option);

enum class Source { unset, flag, env };

// The longest duration an option takes: INT_MAX milliseconds (about 24.8 days), the limit of
// PostgreSQL's statement_timeout and lock_timeout.
inline constexpr long kMaxDurationMs = 2'147'483'647;

class Options {
public:
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] std::string get_or(std::string_view name, std::string_view fallback) const;
    [[nodiscard]] bool flag(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> list(std::string_view name) const;
    [[nodiscard]] Source source(std::string_view name) const;
    [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }
    // Integer option with bounds; a bad value is a usage error naming the option.
    [[nodiscard]] Result<long> integer(std::string_view name, long fallback, long min, long max) const;
    // Duration option in milliseconds: "500ms", "4s", "2m", or a bare number of seconds;
    // more than kMaxDurationMs is a usage error.
    [[nodiscard]] Result<long> duration_ms(std::string_view name, long fallback_ms) const;

    void set(std::string_view name, std::vector<std::string> values, Source src);
    void add_positional(std::string v) { positional_.push_back(std::move(v)); }

private:
    struct Value {
        std::vector<std::string> values;
        Source source = Source::unset;
    };
    std::map<std::string, Value, std::less<>> values_;
    std::vector<std::string> positional_;
};

// Parses argv (after the command name) for a command that accepts `allowed` options,
// then fills what was not given from SBDEPLOY_* variables.
Result<Options> parse_options(std::string_view command, std::span<const std::string_view> allowed,
                              std::span<const std::string> args, const util::Environment& env);

// Parses a duration: "500ms", "4s", "2m", "1h", or a bare number of seconds.
std::optional<long> parse_duration_ms(std::string_view text);

} // namespace sbdeploy::cli
