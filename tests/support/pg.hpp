// The throwaway PostgreSQL server the test run starts (tests/pg/start): URLs to it,
// and fresh empty databases so tests never share state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sbdeploy::test {

// URL of the test server for `dbname` (password and port from the fixture's state file).
std::string server_url(std::string_view dbname = "postgres");
// Creates a new empty database with a unique name and returns its URL.
std::string fresh_database(std::string_view prefix = "t");
// Runs SQL on a database (through libpq) and returns the first column of every row;
// throws std::runtime_error on failure. For test setup and inspection only.
std::vector<std::string> query_column(const std::string& url, const std::string& sql);
// Whether `relation` (e.g. "public.t") exists in the database at `url`.
bool exists(const std::string& url, const std::string& relation);

} // namespace sbdeploy::test
