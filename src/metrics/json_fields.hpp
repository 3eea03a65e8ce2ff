// Lenient reads of GitHub JSON (webhook payloads, REST answers) for metrics: a missing,
// null or wrongly typed field reads as empty, never an error.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace sbdeploy::metrics::json {

inline const rapidjson::Value* at(const rapidjson::Value* v, std::initializer_list<const char*> path) {
    for (const char* key : path) {
        if (v == nullptr || !v->IsObject()) return nullptr;
        auto it = v->FindMember(key);
        if (it == v->MemberEnd() || it->value.IsNull()) return nullptr;
        v = &it->value;
    }
    return v;
}

inline std::string text(const rapidjson::Value* v, std::initializer_list<const char*> path) {
    const rapidjson::Value* f = at(v, path);
    if (f == nullptr) return {};
    if (f->IsString()) return {f->GetString(), f->GetStringLength()};
    if (f->IsInt64()) return std::to_string(f->GetInt64());
    if (f->IsUint64()) return std::to_string(f->GetUint64());
    return {};
}

inline std::optional<std::int64_t> integer(const rapidjson::Value* v, std::initializer_list<const char*> path) {
    const rapidjson::Value* f = at(v, path);
    if (f == nullptr || !f->IsInt64()) return std::nullopt;
    return f->GetInt64();
}

inline bool boolean(const rapidjson::Value* v, std::initializer_list<const char*> path) {
    const rapidjson::Value* f = at(v, path);
    return f != nullptr && f->IsBool() && f->GetBool();
}

} // namespace sbdeploy::metrics::json
