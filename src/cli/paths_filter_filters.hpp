// paths-filter's filters for a run: --filters (dorny/paths-filter's named filters in YAML, a file
// of them, or glob lines) with GLOB arguments, else the migrations folder's *.sql.
#pragma once

#include <string>

#include "changes/filters.hpp"
#include "changes/git.hpp"
#include "cli/cli.hpp"

namespace sbdeploy::cli {

struct ChosenFilters {
    changes::Filters filters;
    bool given = false;        // by --filters or GLOB arguments, not the default
    std::string default_glob;  // the migrations folder's *.sql, from the repository root
};

// The filters, and a warning for each given filter that matches no tracked file (a typo would
// read as "nothing changed" for ever). Bad filters and folders: usage or config errors.
Result<ChosenFilters> choose_filters(Context& ctx, const changes::Git& git, const std::string& workdir,
                                     changes::Quantifier quantifier);

} // namespace sbdeploy::cli
