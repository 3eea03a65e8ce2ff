#include "github/console.hpp"

#include <sstream>

#include <doctest/doctest.h>

using namespace sbdeploy::github;

TEST_CASE("annotations name files from the repository root when the project is in a subfolder") {
    std::ostringstream out, err;
    Console console(out, err, ConsoleMode::actions);
    console.set_annotation_root("apps/db");
    Location where;
    where.file = "supabase/migrations/1_a.sql";
    where.line = 4;
    console.error("boom", where);
    CHECK(err.str() == "::error file=apps/db/supabase/migrations/1_a.sql,line=4::boom\n");

    std::ostringstream out2, err2;
    Console root(out2, err2, ConsoleMode::actions);
    root.warning("careful", where);
    CHECK(err2.str() == "::warning file=supabase/migrations/1_a.sql,line=4::careful\n");
}
