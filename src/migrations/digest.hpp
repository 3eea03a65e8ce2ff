// One fingerprint of a statement list, so that the plan compares a file with its history row
// (edited after apply?) without a second copy of every statement's text: SHA-256 over each
// statement's length and bytes, equal exactly when the lists are equal (barring a collision).
#pragma once

#include <span>
#include <string>

#include "migrations/split.hpp"

namespace sbdeploy::migrations {

std::string statements_digest(std::span<const Statement> statements);
std::string statements_digest(std::span<const std::string> texts);

} // namespace sbdeploy::migrations
