#include "lint/rules.hpp"

#include "util/closest.hpp"
#include "util/strings.hpp"

namespace sbdeploy::lint {

namespace {

constexpr RuleInfo kRules[] = {
    {Rule::parse_error, "parse-error", Severity::error,
     "a statement PostgreSQL's parser rejects, or a file that ends inside a string or comment",
     "correct the SQL at the line and column given"},
    {Rule::transaction_control, "transaction-control", Severity::error,
     "`ROLLBACK`, `PREPARE TRANSACTION` and the like inside a migration file (push refuses the file)",
     "remove it: each file is applied in a transaction that sbdeploy commits with its history row"},
    {Rule::transaction_wrapper, "transaction-wrapper", Severity::warning,
     "a `BEGIN;` ... `COMMIT;` pair around the whole file, or a `BEGIN` or `COMMIT` that splits nothing (redundant: "
     "the file is applied in a transaction)",
     "remove them"},
    {Rule::mid_file_commit, "mid-file-commit", Severity::warning,
     "a `COMMIT` in the middle of a migration: push applies the file in parts, each in its own transaction, and a "
     "failure in a later part leaves the earlier parts applied (needed when a later part uses an enum value that "
     "`ALTER TYPE ... ADD VALUE` added; `--strict-transactions` refuses such files)",
     "remove the COMMIT, or split the file into migrations of their own"},
    {Rule::rls_missing, "rls-missing", Severity::error,
     "a table created in an exposed schema (`public` by default) without `ENABLE ROW LEVEL SECURITY` anywhere in the "
     "migrations, or row level security disabled on one",
     "`alter table <table> enable row level security;` and policies for the roles that need access"},
    {Rule::policy_always_true, "policy-always-true", Severity::error,
     "a permissive policy for `anon`, `authenticated` or `public` on writes (`all`, `insert`, `update`, `delete`) "
     "with `USING (true)` or `WITH CHECK (true)`",
     "limit the rows, e.g. `with check (auth.uid() = user_id)`"},
    {Rule::security_definer_search_path, "security-definer-search-path", Severity::warning,
     "a `SECURITY DEFINER` function or procedure without a fixed `search_path` (an error when its body names a table "
     "without a schema: a caller's temporary table of that name would be used with the owner's rights)",
     "`set search_path = ''` on the function, and schema-qualified names in its body"},
    {Rule::index_not_concurrent, "index-not-concurrent", Severity::warning,
     "`CREATE INDEX` without `CONCURRENTLY` on a table that existed before (blocks writes while it builds)",
     "`create index concurrently`, in a migration file of its own"},
    {Rule::add_column_not_null, "add-column-not-null", Severity::error,
     "`ADD COLUMN ... NOT NULL` (or `PRIMARY KEY`) without a default on an existing table (fails if it has rows)",
     "add a default, or add the column nullable, backfill it, then set not null"},
    {Rule::set_not_null, "set-not-null", Severity::warning,
     "`ALTER COLUMN ... SET NOT NULL` on an existing table without a validated `CHECK (col IS NOT NULL)` before it "
     "(scans the table under an exclusive lock)",
     "`add constraint ... check (col is not null) not valid`, `validate constraint` it, then set not null"},
    {Rule::column_type_rewrite, "column-type-rewrite", Severity::warning,
     "`ALTER COLUMN ... TYPE` on an existing table, unless the change is known not to rewrite it (`varchar(n)` to "
     "`text` or a longer `varchar`, more `numeric` precision, `cidr` to `inet`)",
     "add a new column, backfill it, move clients over, then drop the old one"},
    {Rule::constraint_not_valid, "constraint-not-valid", Severity::warning,
     "`ADD CONSTRAINT` of a foreign key or check on an existing table without `NOT VALID` (validates every row "
     "while blocking writes)",
     "add it `not valid`, then `validate constraint` it in a later migration"},
    {Rule::drop_table, "drop-table", Severity::warning, "`DROP TABLE` of a table that existed before",
     "stop using the table in deployed code first; drop it in a later release"},
    {Rule::drop_column, "drop-column", Severity::warning,
     "`ALTER TABLE ... DROP COLUMN` of a column that existed before",
     "stop using the column in deployed code first; drop it in a later release"},
    {Rule::truncate, "truncate", Severity::warning, "`TRUNCATE` of a table that existed before",
     "delete only the rows you mean, and keep one-off data fixes out of schema migrations"},
    {Rule::rename_table, "rename-table", Severity::warning,
     "`ALTER TABLE ... RENAME TO` of a table that existed before",
     "keep the old name working (a view) until no deployed client uses it"},
    {Rule::rename_column, "rename-column", Severity::warning,
     "`ALTER TABLE ... RENAME COLUMN` of a column that existed before",
     "add the new column, write both, move readers over, then drop the old one"},
    {Rule::constraint_without_index, "constraint-without-index", Severity::warning,
     "`ADD CONSTRAINT ... UNIQUE` or `PRIMARY KEY` on an existing table without `USING INDEX` (builds the index under "
     "an access exclusive lock)",
     "`create unique index concurrently`, then `add constraint ... unique using index` (or `primary key using index`)"},
    {Rule::validate_same_file, "validate-same-file", Severity::warning,
     "`ADD CONSTRAINT ... NOT VALID` followed by `VALIDATE CONSTRAINT` in the same file (one transaction: the lock of "
     "the first is held while the second scans, which defeats `NOT VALID`)",
     "move `validate constraint` into a later migration file"},
    {Rule::add_column_references, "add-column-references", Severity::warning,
     "`ADD COLUMN ... REFERENCES` on an existing table (adds a validated foreign key: locks the referenced table "
     "against writes while it checks)",
     "add the column without `references`, then `add constraint ... foreign key ... not valid` and validate it in a "
     "later migration"},
    {Rule::add_column_rewrite, "add-column-rewrite", Severity::warning,
     "`ADD COLUMN` on an existing table with a volatile default (`gen_random_uuid()`, `random()`, `clock_timestamp()`; "
     "`now()` is fine) or `GENERATED ALWAYS AS ... STORED` (rewrites the table under an access exclusive lock)",
     "add the column without the default (or as a plain column), backfill it in batches, then set the default"},
    {Rule::file_name, "file-name", Severity::error,
     "a `.sql` file in the migrations folder whose name is not `<version>_<name>.sql`: the Supabase CLI and push skip "
     "it, so its SQL never runs",
     "rename it to `<version>_<name>.sql` (the finding names the rename)"},
    {Rule::duplicate_version, "duplicate-version", Severity::error,
     "two migration files with one version: push refuses them, the Supabase CLI fails halfway",
     "give one of them a new version (a later timestamp)"},
    {Rule::unknown_ignore, "unknown-ignore", Severity::warning,
     "a `-- sbdeploy-lint-ignore:` comment naming a rule that does not exist", "use a rule id from this table"},
};

// info() indexes the table by the enum.
constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < std::size(kRules); ++i)
        if (static_cast<std::size_t>(kRules[i].rule) != i) return false;
    return true;
}
static_assert(in_enum_order() && std::size(kRules) == static_cast<std::size_t>(Rule::unknown_ignore) + 1);

} // namespace

std::string_view severity_name(Severity s) { return s == Severity::error ? "error" : "warning"; }

std::span<const RuleInfo> rule_table() { return kRules; }

const RuleInfo& info(Rule rule) { return kRules[static_cast<std::size_t>(rule)]; }

std::optional<Rule> find_rule(std::string_view id) {
    for (const auto& r : kRules)
        if (r.id == id) return r.rule;
    return std::nullopt;
}

std::string nearest_rule(std::string_view id) { return util::closest(id, kRules, 4, &RuleInfo::id); }

Result<RuleSet> rule_set(std::span<const std::string> disabled) {
    RuleSet set;
    set.enabled.assign(std::size(kRules), true);
    for (const auto& item : disabled) {
        // Each value may itself be a comma-separated list (an action input on one line).
        for (const auto& part : util::split(item, ',')) {
            auto id = util::to_lower(util::trim(part));
            if (id.empty()) continue;
            if (id == "all") {
                set.enabled.assign(std::size(kRules), false);
                continue;
            }
            auto rule = find_rule(id);
            if (!rule) {
                auto near = nearest_rule(id);
                return fail(ErrorKind::usage, "--lint-disable: " + util::quoted(id) + " is not a lint rule",
                            near.empty() ? "see 'sbdeploy lint --help' for the rule ids"
                                         : "did you mean " + util::quoted(near) + "?");
            }
            set.enabled[static_cast<std::size_t>(*rule)] = false;
        }
    }
    return set;
}

Result<Level> parse_level(std::string_view text) {
    auto t = util::to_lower(util::trim(text));
    if (t == "error") return Level::error;
    if (t == "warning") return Level::warning;
    if (t == "off") return Level::off;
    return fail(ErrorKind::config, util::quoted(text) + " is not a rule level", "use error, warning or off");
}

Result<FailOn> parse_fail_on(std::string_view text) {
    auto t = util::to_lower(util::trim(text));
    if (t == "error") return FailOn::error;
    if (t == "warning") return FailOn::warning;
    if (t == "never") return FailOn::never;
    return fail(ErrorKind::usage, "--lint-fail-on: " + util::quoted(text) + " is not a severity",
                "use error (the default), warning or never");
}

bool fails(Severity s, FailOn fail_on) {
    switch (fail_on) {
    case FailOn::error: return s == Severity::error;
    case FailOn::warning: return true;
    case FailOn::never: return false;
    }
    return false;
}

} // namespace sbdeploy::lint
