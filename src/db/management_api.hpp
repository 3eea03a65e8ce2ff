// The Management API transport: a db::Session over POST {api}/v1/projects/{ref}/database/query
// for projects that no Postgres connection reaches. Every call is its own request, session and
// transaction (Scope::call); 429, 5xx, timeouts and dropped connections are retried with backoff
// within a total budget. Never prints; the token only ever goes into the Authorization header.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "db/session.hpp"
#include "net/http.hpp"

namespace sbdeploy::db {

struct ApiOptions {
    std::string api_url = "https://api.supabase.com";
    std::string project_ref;  // 20 lowercase letters
    std::string token;        // a personal access token (sbp_...)
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds request_timeout{300'000};  // one request, including the SQL it runs
    std::chrono::milliseconds retry_budget{120'000};     // all attempts of one call, with their waits
    // Told about each retry (attempt, delay, why), for a debug line.
    std::function<void(const std::string&)> on_retry;
    net::RetryHooks hooks;  // tests replace the clock and sleep
};

// True for a Supabase project ref: 20 lowercase letters.
bool is_project_ref(std::string_view ref);

// `items` joined into one query exactly as given (the caller writes its own BEGIN ... COMMIT
// blocks, which the server runs in order, stopping at the first error). The answer is the rows
// of the last statement that returned any; a failure's index is the item the error's position
// falls in, else BatchFailure::unknown_index. Only for a session of connect_management_api.
std::expected<Result<QueryResult>, BatchFailure> exec_script(Session& session, std::span<const BatchItem> items);

// Checks the options (no request is sent: the first query finds out about the token).
Result<std::unique_ptr<Session>> connect_management_api(const ApiOptions& options);

} // namespace sbdeploy::db
