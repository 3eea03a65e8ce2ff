// Checks expectations against a database over any transport (db::Session): one query for
// all of them, reading the system catalogs, so it costs one round trip.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "db/session.hpp"
#include "verify/expect.hpp"

namespace sbdeploy::verify {

struct Finding {
    const Expectation* expectation = nullptr;
    bool ok = false;
    std::string problem;  // when not ok: `table public.moods is missing`
};

// One finding per expectation, in order. Fails only when the query itself fails.
Result<std::vector<Finding>> check_objects(db::Session& session, std::span<const Expectation> expectations);

} // namespace sbdeploy::verify
