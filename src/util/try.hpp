// TRY and TRY_ASSIGN: the one error path of a function returning Result<T> (as ccache's
// util/expected.hpp). Each step reads as the step it is; the first failure returns its Error
// unchanged, and the caller at the top (a command handler) reports it once.
//
//     Result<int> push_steps(Context& ctx) {
//         TRY_ASSIGN(auto project, load_project(ctx));   // declares `project`
//         TRY(check_something(project));                  // Result<void> or any Result<T>
//         ...
//     }
#pragma once

#include <expected>
#include <utility>

#include "util/error.hpp"

#define SBDEPLOY_TRY_CAT2(a, b) a##b
#define SBDEPLOY_TRY_CAT(a, b) SBDEPLOY_TRY_CAT2(a, b)
#define SBDEPLOY_TRY_TMP SBDEPLOY_TRY_CAT(sbdeploy_try_, __LINE__)

// Evaluates `expr` (a Result<T>); on failure returns its Error from the enclosing function.
#define TRY(expr)                                                                                 \
    do {                                                                                          \
        auto&& sbdeploy_try_result = (expr);                                                      \
        if (!sbdeploy_try_result) return std::unexpected(std::move(sbdeploy_try_result).error()); \
    } while (false)

// Evaluates `expr` (a Result<T>); on failure returns its Error, otherwise moves the value into
// `decl`, which may declare a variable (`auto x`, `const Plan& plan`) or name an existing one.
// One per line (the temporary is named after the line).
#define TRY_ASSIGN(decl, expr)                                                          \
    auto&& SBDEPLOY_TRY_TMP = (expr);                                                   \
    if (!SBDEPLOY_TRY_TMP) return std::unexpected(std::move(SBDEPLOY_TRY_TMP).error()); \
    decl = std::move(*SBDEPLOY_TRY_TMP)
