#include "lint/types.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace sbdeploy::lint::detail {

namespace {

using tree::TypeRef;

// PostgreSQL 15's binary-coercible casts between types a table column may have, from
// `select castsource::regtype, casttarget::regtype from pg_cast where castmethod = 'b'`
// (the reg* and internal types left out). A target with a length limit (varchar(n), char)
// needs a length check: see widens() below.
constexpr std::pair<std::string_view, std::string_view> kBinaryCoercible[] = {
    {"varchar", "text"}, {"text", "varchar"}, {"xml", "text"}, {"xml", "varchar"},
    {"bit", "varbit"},   {"cidr", "inet"},    {"int4", "oid"}, {"oid", "int4"},
};

// Types whose length coercion PostgreSQL skips when the new limit is no shorter (a
// planner support function: varchar_support, varbit_support, numeric_support).
constexpr std::string_view kLengthChecked[] = {"varchar", "varbit", "numeric"};

bool binary_coercible(std::string_view from, std::string_view to) {
    return std::find(std::begin(kBinaryCoercible), std::end(kBinaryCoercible), std::pair{from, to}) !=
           std::end(kBinaryCoercible);
}

// The new modifiers allow every value the old ones did, without a length check.
bool no_shorter(const TypeRef& from, const TypeRef& to) {
    if (to.mods.empty()) return true;
    if (std::find(std::begin(kLengthChecked), std::end(kLengthChecked), to.name) == std::end(kLengthChecked))
        return false;
    if (from.mods.empty() || from.name != to.name) return false;
    if (to.name == "numeric") {
        int from_scale = from.mods.size() > 1 ? from.mods[1] : 0;
        int to_scale = to.mods.size() > 1 ? to.mods[1] : 0;
        return from_scale == to_scale && to.mods[0] >= from.mods[0];
    }
    return to.mods[0] >= from.mods[0];
}

std::string base_name(const std::string& name) {
    auto dot = name.rfind('.');
    return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

bool same_type_name(const std::string& a, const std::string& b, const std::vector<std::string>& search_path) {
    if (a == b) return true;
    bool a_qualified = a.find('.') != std::string::npos, b_qualified = b.find('.') != std::string::npos;
    if (a_qualified == b_qualified || base_name(a) != base_name(b)) return false;
    std::string schema = (a_qualified ? a : b).substr(0, (a_qualified ? a : b).rfind('.'));
    return std::find(search_path.begin(), search_path.end(), schema) != search_path.end() || schema == "public";
}

bool change_keeps_table(const TypeRef& from, const TypeRef& to, const std::vector<std::string>& search_path) {
    if (from.unknown_mods || to.unknown_mods || from.array_dims != to.array_dims) return false;
    bool same = same_type_name(from.name, to.name, search_path);
    if (same && from.mods == to.mods) return true;
    // Arrays of another element type are converted element by element.
    if (from.array_dims != 0) return false;
    if (same || binary_coercible(from.name, to.name)) return no_shorter(from, to);
    return false;
}

bool using_is_column(const tree::Value* expr, const std::string& column, const TypeRef& from, const TypeRef& to,
                     const std::vector<std::string>& search_path) {
    tree::Node n = tree::node(expr);
    while (n.type == "TypeCast") {
        TypeRef cast = tree::type_ref(tree::get(n.fields, "typeName"));
        bool to_either = (same_type_name(cast.name, to.name, search_path) && cast.mods == to.mods) ||
                         (same_type_name(cast.name, from.name, search_path) && cast.mods == from.mods) ||
                         (same_type_name(cast.name, to.name, search_path) && cast.mods.empty());
        if (!to_either || cast.array_dims != to.array_dims) return false;
        n = tree::node(tree::get(n.fields, "arg"));
    }
    if (n.type != "ColumnRef") return false;
    auto fields = tree::names(n.fields, "fields");
    return !fields.empty() && fields.back() == column;
}

}  // namespace sbdeploy::lint::detail
