#include "lint/engine.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace sbdeploy::lint::detail {

namespace {

// Whether Postgres would print the identifier without quotes (keywords aside).
bool plain_identifier(std::string_view s) {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$'; });
}

std::string sql_identifier(std::string_view s) {
    if (plain_identifier(s)) return std::string(s);
    return "\"" + util::replace_all(s, "\"", "\"\"") + "\"";
}

} // namespace

std::string QName::quoted() const { return util::quoted(schema.empty() ? name : schema + "." + name); }

std::string QName::sql() const {
    return schema.empty() ? sql_identifier(name) : sql_identifier(schema) + "." + sql_identifier(name);
}

void Run::begin_file(std::size_t file) {
    here_ = {file, 0, -1};
    // Each file starts from the server's default path ("$user" names no schema here).
    search_path_ = {"public"};
}

void Run::begin_statement(std::size_t statement, int code_offset) {
    here_.statement = statement;
    code_offset_ = code_offset;
}

void Run::report(Rule rule, int offset, std::string message, std::string fix) {
    if (!in_target()) return;
    findings_.push_back({rule, place(offset), std::move(message), std::move(fix), std::nullopt});
}

void Run::report_at(Rule rule, Place at, std::string message, std::string fix, std::optional<Severity> severity) {
    if (files_[at.file].role != Role::target) return;
    findings_.push_back({rule, at, std::move(message), std::move(fix), severity});
}

QName Run::relation(const tree::Value* range_var) const {
    std::vector<std::string> parts;
    if (auto schema = tree::text(range_var, "schemaname"); !schema.empty()) parts.emplace_back(schema);
    parts.emplace_back(tree::text(range_var, "relname"));
    return resolve(parts, Kind::table);
}

QName Run::resolve(const std::vector<std::string>& parts, Kind kind) const {
    if (parts.empty()) return {};
    if (parts.size() >= 2) return {parts[parts.size() - 2], parts.back()};
    const std::string& name = parts.back();
    auto known = [&](const std::string& schema) {
        std::string key = schema + "." + name;
        return kind == Kind::table ? tables.contains(key) : functions.contains(key);
    };
    // Temporary tables come first on every path.
    if (kind == Kind::table && known("pg_temp")) return {"pg_temp", name};
    for (const auto& schema : search_path_)
        if (known(schema)) return {schema, name};
    return {search_path_.empty() ? std::string() : search_path_.front(), name};
}

bool Run::exposed(const QName& table) const {
    return std::find(config_.exposed_schemas.begin(), config_.exposed_schemas.end(), table.schema) !=
           config_.exposed_schemas.end();
}

TableState& Run::table(const QName& name) {
    auto [it, inserted] = tables.try_emplace(name.key());
    if (inserted) it->second.name = name;
    return it->second;
}

bool Run::existing(const QName& name) const {
    auto it = tables.find(name.key());
    return it == tables.end() || !it->second.is_new;
}

} // namespace sbdeploy::lint::detail
