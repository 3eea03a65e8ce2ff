#include "lint/tree.hpp"

#include <utility>

namespace sbdeploy::lint::tree {

Node node(const Value* v) {
    if (v == nullptr || !v->IsObject() || v->MemberCount() != 1) return {};
    auto m = v->MemberBegin();
    if (!m->value.IsObject()) return {};
    return {std::string_view(m->name.GetString(), m->name.GetStringLength()), &m->value};
}

const Value* get(const Value* object, const char* name) {
    if (object == nullptr || !object->IsObject()) return nullptr;
    auto it = object->FindMember(name);
    return it == object->MemberEnd() ? nullptr : &it->value;
}

std::string_view text(const Value* object, const char* name) {
    const Value* v = get(object, name);
    return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength()) : std::string_view();
}

bool flag(const Value* object, const char* name) {
    const Value* v = get(object, name);
    return v != nullptr && v->IsBool() && v->GetBool();
}

int integer(const Value* object, const char* name, int fallback) {
    const Value* v = get(object, name);
    return v != nullptr && v->IsInt() ? v->GetInt() : fallback;
}

std::vector<const Value*> items(const Value* object, const char* name) {
    std::vector<const Value*> out;
    const Value* v = get(object, name);
    if (v == nullptr || !v->IsArray()) return out;
    out.reserve(v->Size());
    for (const auto& item : v->GetArray()) out.push_back(&item);
    return out;
}

std::vector<std::string> names(const Value* object, const char* name) {
    std::vector<std::string> out;
    for (const Value* item : items(object, name)) {
        Node n = node(item);
        if (n.type == "String") out.emplace_back(text(n.fields, "sval"));
    }
    return out;
}

int location(Node n) { return integer(n.fields, "location", -1); }

bool is_true_constant(const Value* expr) {
    Node n = node(expr);
    if (n.type == "A_Const") return flag(get(n.fields, "boolval"), "boolval");
    if (n.type == "TypeCast") {
        auto type = names(get(n.fields, "typeName"), "names");
        if (type.empty() || (type.back() != "bool" && type.back() != "boolean")) return false;
        Node arg = node(get(n.fields, "arg"));
        if (arg.type != "A_Const") return false;
        if (flag(get(arg.fields, "boolval"), "boolval")) return true;
        // The spellings boolin accepts for true (case and surrounding space do not matter).
        std::string s(text(get(arg.fields, "sval"), "sval"));
        std::string t;
        for (char c : s)
            if (c != ' ' && c != '\t' && c != '\n') t += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        return t == "t" || t == "tr" || t == "tru" || t == "true" || t == "y" || t == "ye" || t == "yes" || t == "on" ||
               t == "1";
    }
    return false;
}

TypeRef type_ref(const Value* type_name) {
    TypeRef t;
    auto parts = names(type_name, "names");
    if (!parts.empty()) t.name = parts.back();
    if (parts.size() == 2 && parts.front() != "pg_catalog") t.name = parts.front() + "." + parts.back();
    for (const Value* m : items(type_name, "typmods")) {
        Node n = node(m);
        const Value* ival = n.type == "A_Const" ? get(n.fields, "ival") : nullptr;
        if (ival == nullptr) {
            t.unknown_mods = true;
            continue;
        }
        t.mods.push_back(integer(ival, "ival", 0));
    }
    t.array_dims = static_cast<int>(items(type_name, "arrayBounds").size());
    return t;
}

std::string describe(const TypeRef& t) {
    static constexpr std::pair<std::string_view, std::string_view> kSqlNames[] = {
        {"int2", "smallint"},           {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
        {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"}, {"timestamptz", "timestamptz"},
    };
    std::string s = t.name;
    for (auto [internal, sql] : kSqlNames)
        if (t.name == internal) s = sql;
    if (!t.mods.empty()) {
        s += "(";
        for (std::size_t i = 0; i < t.mods.size(); ++i) s += (i ? "," : "") + std::to_string(t.mods[i]);
        s += ")";
    }
    for (int i = 0; i < t.array_dims; ++i) s += "[]";
    return s;
}

} // namespace sbdeploy::lint::tree
