// Sequences across a dry run: nextval() and setval() are not transactional, so a dry run that
// rolls back still leaves the sequences it used advanced (an invoice number jumps on staging).
// validate takes a snapshot before the dry run and puts back what moved.
#pragma once

#include <string>
#include <vector>

#include "db/session.hpp"

namespace sbdeploy::db {

struct SequenceState {
    std::string name;        // schema-qualified and quoted, as regclass prints it
    Value last_value;        // nullopt: never used (is_called false)
    std::string start_value;
};

// Every sequence the session may read, outside the system schemas, in name order.
Result<std::vector<SequenceState>> snapshot_sequences(Session& session);

// Puts back each sequence whose state differs from `before`: its last value (is_called
// true), or for one never used before, its start value with is_called false (the state of
// a new sequence; a RESTART WITH value other than the start is not known). A sequence that
// moves again between the check and the put-back (real traffic) is left alone: the check and
// setval are one statement. Returns the names put back.
Result<std::vector<std::string>> restore_sequences(Session& session, const std::vector<SequenceState>& before);

} // namespace sbdeploy::db
