// Rows into the metrics tables through PostgREST (Supabase's REST API), for projects whose
// database CI cannot reach: JSON arrays of rows, the service key, duplicates ignored.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "metrics/writer.hpp"
#include "util/strings.hpp"

namespace sbdeploy::metrics {

namespace {

bool is_number(ColumnType t) { return t == ColumnType::integer || t == ColumnType::bigint || t == ColumnType::numeric; }

std::string rows_json(const TableRows& rows, std::size_t begin, std::size_t end) {
    const Table& t = *rows.table;
    const std::size_t width = t.columns.size();
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (std::size_t r = begin; r < end; ++r) {
        w.StartObject();
        for (std::size_t c = 0; c < width; ++c) {
            const auto& name = t.columns[c].name;
            w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
            const db::Value& v = rows.cells[r * width + c];
            if (!v)
                w.Null();
            else if (is_number(t.columns[c].type))
                w.RawValue(v->data(), v->size(), rapidjson::kNumberType);
            else
                w.String(v->data(), static_cast<rapidjson::SizeType>(v->size()));
        }
        w.EndObject();
    }
    w.EndArray();
    return {buf.GetString(), buf.GetSize()};
}

struct PostgrestError {
    std::string code, message, details, hint;
};

PostgrestError parse_error_body(const std::string& body) {
    PostgrestError e;
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError() || !d.IsObject()) {
        e.message = std::string(util::trim(body.substr(0, 200)));
        return e;
    }
    auto get = [&](const char* k) {
        auto it = d.FindMember(k);
        return it != d.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
    };
    e.code = get("code");
    e.message = get("message");
    if (e.message.empty()) e.message = get("msg");
    e.details = get("details");
    e.hint = get("hint");
    return e;
}

class PostgrestWriter final : public Writer {
public:
    explicit PostgrestWriter(PostgrestSettings s) : s_(std::move(s)) {
        while (!s_.url.empty() && s_.url.back() == '/') s_.url.pop_back();
        if (s_.batch_rows == 0) s_.batch_rows = 1;
    }

    [[nodiscard]] std::string describe() const override { return "PostgREST at " + s_.url; }

    Result<std::size_t> insert(const TableRows& rows) override {
        const Table& t = *rows.table;
        std::string url = s_.url + "/rest/v1/" + std::string(t.name) + "?on_conflict=";
        for (std::size_t i = 0; i < t.key.size(); ++i) url += (i ? "," : "") + std::string(t.key[i]);
        url += "&select=id";
        std::size_t inserted = 0;
        for (std::size_t begin = 0; begin < rows.rows(); begin += s_.batch_rows) {
            std::size_t end = std::min(rows.rows(), begin + s_.batch_rows);
            auto response = post(url, rows_json(rows, begin, end), "return=representation,resolution=ignore-duplicates",
                                 "writing metrics." + std::string(t.name));
            if (!response) return fail(response.error());
            rapidjson::Document d;
            d.Parse(response->body.data(), response->body.size());
            if (d.HasParseError() || !d.IsArray())
                return fail(ErrorKind::connection,
                            "metrics: writing metrics." + std::string(t.name) + " through " + describe() +
                                ": the answer is not a JSON array of rows",
                            "check that the URL is the project's API URL (https://<ref>.supabase.co)");
            inserted += d.Size();
        }
        return inserted;
    }

    Result<void> refresh_daily(std::string_view from, std::string_view to, std::string_view environment) override {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        w.StartObject();
        w.Key("p_from");
        w.String(from.data(), static_cast<rapidjson::SizeType>(from.size()));
        w.Key("p_to");
        w.String(to.data(), static_cast<rapidjson::SizeType>(to.size()));
        w.Key("p_environment");
        w.String(environment.data(), static_cast<rapidjson::SizeType>(environment.size()));
        w.EndObject();
        auto r = post(s_.url + "/rest/v1/rpc/refresh_development_metrics", {buf.GetString(), buf.GetSize()},
                      "return=minimal", "refreshing metrics.development_metrics");
        if (!r) return fail(r.error());
        return {};
    }

private:
    Result<net::Response> post(const std::string& url, std::string body, const std::string& prefer,
                               const std::string& what) {
        net::Request req;
        req.method = "POST";
        req.url = url;
        req.body = std::move(body);
        req.timeout = s_.timeout;
        req.headers = {{"apikey", s_.key},
                       {"Authorization", "Bearer " + s_.key},
                       {"Content-Type", "application/json"},
                       {"Accept", "application/json"},
                       {"Content-Profile", s_.schema},
                       {"Prefer", prefer}};
        auto outcome = net::perform_with_retry(req, s_.retry, net::retry_transient, s_.hooks);
        if (!outcome.response) {
            Error e = outcome.response.error();
            e.message = "metrics: " + what + ": " + e.message;
            if (e.hint.empty()) e.hint = "check --supabase-url (the project URL, https://<ref>.supabase.co)";
            return fail(std::move(e));
        }
        const net::Response& res = *outcome.response;
        if (res.status >= 200 && res.status < 300) return res;
        return fail(http_error(res, what));
    }

    Error http_error(const net::Response& res, const std::string& what) const {
        PostgrestError pe = parse_error_body(res.body);
        std::string status = "HTTP " + std::to_string(res.status);
        std::string base = "metrics: " + what + " through " + describe() + ": ";
        std::string said =
            pe.message.empty() ? status : pe.message + " (" + status + (pe.code.empty() ? "" : ", " + pe.code) + ")";
        if (pe.code == "PGRST106")
            return make_error(ErrorKind::config,
                              base + "schema " + util::quoted(s_.schema) + " is not exposed: " + said,
                              "add \"" + s_.schema +
                                  "\" to the API's exposed schemas (supabase/config.toml [api] "
                                  "schemas, or Settings > API > Exposed schemas in the dashboard)");
        if (res.status == 401 || res.status == 403)
            return make_error(ErrorKind::connection, base + "the key was refused: " + said,
                              "set SUPABASE_SECRET_KEY to the project's secret (service role) key");
        if (pe.code == "PGRST205" || pe.code == "PGRST202" || pe.code == "42P01" || pe.code == "42883" ||
            res.status == 404)
            return make_error(ErrorKind::database, base + said,
                              "apply the metrics schema first: sbdeploy metrics schema --apply (or commit the "
                              "migration that 'sbdeploy metrics schema' prints)");
        Error e = make_error(res.status >= 500 || res.status == 429 ? ErrorKind::connection : ErrorKind::database,
                             base + said, pe.hint);
        if (!pe.code.empty() && !pe.code.starts_with("PGRST")) e.sqlstate = pe.code;
        e.detail = pe.details;
        return e;
    }

    PostgrestSettings s_;
};

} // namespace

std::unique_ptr<Writer> postgrest_writer(PostgrestSettings settings) {
    return std::make_unique<PostgrestWriter>(std::move(settings));
}

} // namespace sbdeploy::metrics
