// Shared by the metrics integration tests: databases with the metrics schema (and
// Supabase's roles), GitHub's webhook examples, runner files, and counting rows.
#pragma once

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <string>
#include <vector>

#include "db/pg_session.hpp"
#include "metrics/schema.hpp"
#include "support/file_commands.hpp"
#include "support/pg.hpp"
#include "support/project.hpp"
#include "support/temp_dir.hpp"

namespace sbdeploy::test::metrics_support {

// Supabase's roles (the cluster is shared; another test may be creating them too).
inline void ensure_supabase_roles() {
    for (const char* role : {"anon", "authenticated", "service_role"})
        query_column(server_url(), std::string("do $$ begin if not exists (select from pg_roles where rolname = '") +
                                       role + "') then create role " + role +
                                       " nologin; end if; exception when duplicate_object or unique_violation then "
                                       "null; end $$");
}

// A fresh database with the metrics schema applied (in process, as --apply does).
inline std::string metrics_database(const std::string& prefix) {
    ensure_supabase_roles();
    std::string url = fresh_database(prefix);
    auto session = db::connect_postgres(db::ConnectOptions{.url = url});
    REQUIRE(session);
    auto applied = metrics::apply_schema(**session);
    REQUIRE_MESSAGE(applied, (applied ? "" : applied.error().message));
    return url;
}

inline long count(const std::string& url, const std::string& table, const std::string& where = "true") {
    auto v = query_column(url, "select count(*) from metrics." + table + " where " + where);
    return std::stol(v.at(0));
}

inline std::map<std::string, std::string> outputs(const std::string& path) {
    std::map<std::string, std::string> m;
    for (auto& [name, value] : parse_file_commands(slurp(path))) m[name] = value;
    return m;
}

// Output without its leading "::add-mask::" lines (under Actions every secret, such as a
// database URL's password, is masked before anything else is printed).
inline std::string without_masks(const std::string& text) {
    std::string rest = text;
    while (rest.starts_with("::add-mask::")) {
        auto nl = rest.find('\n');
        rest = nl == std::string::npos ? std::string() : rest.substr(nl + 1);
    }
    return rest;
}

// GitHub's webhook examples (@octokit/webhooks-examples): [{name, examples: [...]}].
inline const rapidjson::Document& webhook_examples() {
    static rapidjson::Document d = [] {
        rapidjson::Document doc;
        std::string text = read_all(std::string(SBDEPLOY_SOURCE_DIR) +
                                    "/tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json");
        REQUIRE_MESSAGE(!text.empty(), "run scripts/setup: tests/node_modules lacks @octokit/webhooks-examples");
        doc.Parse(text.data(), text.size());
        REQUIRE_FALSE(doc.HasParseError());
        return doc;
    }();
    return d;
}

// A copy of example `index` of `event`, to change and write out.
inline rapidjson::Document webhook_example(const std::string& event, std::size_t index) {
    rapidjson::Document copy;
    for (const auto& e : webhook_examples().GetArray())
        if (event == e["name"].GetString()) {
            copy.CopyFrom(e["examples"][static_cast<rapidjson::SizeType>(index)], copy.GetAllocator());
            return copy;
        }
    FAIL("no webhook example " << event);
    return copy;
}

inline void set(rapidjson::Document& d, const char* pointer, const std::string& value) {
    rapidjson::Pointer(pointer).Set(d, rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                                                        d.GetAllocator()));
}

inline std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return {buf.GetString(), buf.GetSize()};
}

} // namespace sbdeploy::test::metrics_support
