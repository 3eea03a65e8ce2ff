// Reading libpg_query's JSON parse tree (RapidJSON values): a node is an object with one
// member, {"CreateStmt": {fields}}; fields left at their default are absent. Every
// accessor takes a possibly null pointer and returns the default for what is missing.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::lint::tree {

using Value = rapidjson::Value;

struct Node {
    std::string_view type;          // "CreateStmt"; empty when the value is not a node
    const Value* fields = nullptr;  // the node's object
    explicit operator bool() const { return fields != nullptr; }
};

Node node(const Value* v);
// The member `name` of an object, or nullptr.
const Value* get(const Value* object, const char* name);
std::string_view text(const Value* object, const char* name);
bool flag(const Value* object, const char* name);
int integer(const Value* object, const char* name, int fallback);
// The array member `name` (its elements are usually nodes); empty when absent.
std::vector<const Value*> items(const Value* object, const char* name);
// The sval of each String node in the array member `name`: ["public", "notes"].
std::vector<std::string> names(const Value* object, const char* name);
// Byte offset of a node's "location" field, -1 when it has none.
int location(Node n);

// `true`, `'true'::boolean`, `'t'::bool`: a constant that is always true.
bool is_true_constant(const Value* expr);

// A type as written: name without pg_catalog, its modifiers and array dimensions.
struct TypeRef {
    std::string name;         // "varchar", "int4", "text"
    std::vector<int> mods;    // (20) -> {20}; empty when none were given
    bool unknown_mods = false;  // a modifier that is not an integer constant
    int array_dims = 0;
    bool operator==(const TypeRef&) const = default;
};
TypeRef type_ref(const Value* type_name);  // a TypeName node's fields
// For messages: "varchar(20)", "integer", "text[]".
std::string describe(const TypeRef& t);

} // namespace sbdeploy::lint::tree
