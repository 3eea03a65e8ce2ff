// libFuzzer target: PostgREST answers as the metrics writer reads them (metrics/postgrest_writer.cpp):
// the array of inserted rows, and error bodies ({code, message, details, hint}, or not JSON)
// turned into one error with its hint. The HTTP layer is replaced by this file's
// net::perform_with_retry, which answers with the fuzz input: two bytes pick the status,
// the rest is the body. Any answer gives a count or an Error, never a crash, leak or UB, and
// the service key (sent in the headers) never reaches a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/records.hpp"
#include "metrics/writer.hpp"
#include "net/http.hpp"

namespace {

constexpr std::string_view kKey = "sb_secret_fuzz-KEY-9f8e7d6c5b4a";
constexpr long kStatuses[] = {200, 201, 204, 300, 400, 401, 403, 404, 406, 409, 413, 429, 500, 502, 503, 504};
std::string_view g_answer;
long g_status = 200;
bool g_transport_error = false;

} // namespace

namespace sbdeploy::net {

// The writer's only way out: one answer from the fuzz input.
Outcome perform_with_retry(const Request& request, const RetryPolicy&, const std::function<Verdict(const Outcome&)>&,
                           const RetryHooks&) {
    bool sent_key = false;
    for (const auto& [name, value] : request.headers) sent_key = sent_key || value.find(kKey) != std::string::npos;
    if (!sent_key) __builtin_trap();
    if (g_transport_error)
        return {fail(ErrorKind::connection, "POST " + request.url + ": " + std::string(g_answer)), Failure::dropped};
    Response response;
    response.status = g_status;
    response.body = std::string(g_answer);
    return {std::move(response), Failure::none};
}

Verdict retry_transient(const Outcome&) { return Verdict::done; }

} // namespace sbdeploy::net

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    g_transport_error = data[0] == 0xff;
    g_status = (data[0] & 0x80) ? 100 + (data[1] % 500) : kStatuses[data[1] % std::size(kStatuses)];
    g_answer = std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2);
    const bool answer_has_key = g_answer.find(kKey) != std::string_view::npos;

    sbdeploy::metrics::PostgrestSettings settings;
    settings.url = "https://fuzz.supabase.co/";
    settings.key = std::string(kKey);
    settings.batch_rows = 2;
    auto writer = sbdeploy::metrics::postgrest_writer(settings);

    std::vector<sbdeploy::metrics::PrEvent> events(3);
    for (auto& e : events) {
        e.repository = "o/r";
        e.event_type = "opened";
        e.title = "t";
    }
    auto check = [&](const sbdeploy::Error& e) {
        if (answer_has_key) return;
        for (const std::string* text : {&e.message, &e.hint, &e.detail})
            if (text->find(kKey) != std::string::npos) __builtin_trap();
    };
    auto inserted = writer->insert(sbdeploy::metrics::to_rows(events));
    if (!inserted) check(inserted.error());
    auto refreshed = writer->refresh_daily("2026-01-01", "2026-01-02", "production");
    if (!refreshed) check(refreshed.error());
    return 0;
}
