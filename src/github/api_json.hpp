// Reading the GitHub REST API's JSON answers: the one error for an answer of the wrong shape,
// and the member lookups that treat a missing or mistyped member as absent.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "util/error.hpp"

namespace sbdeploy::github {

inline Error bad_json(std::string_view what) {
    return make_error(ErrorKind::connection, "github api: unexpected response: " + std::string(what),
                      "check GITHUB_API_URL points at the GitHub REST API");
}

// The string member `name` of an object, "" when it is missing or not a string.
inline std::string string_member(const rapidjson::Value& v, const char* name) {
    auto it = v.FindMember(name);
    if (it == v.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

// The object member `name`, nullptr when it is missing or not an object.
inline const rapidjson::Value* object_member(const rapidjson::Value& v, const char* name) {
    auto it = v.FindMember(name);
    return it != v.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

} // namespace sbdeploy::github
