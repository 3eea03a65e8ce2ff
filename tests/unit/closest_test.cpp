// util::closest, the one "did you mean": the nearest name within a limit, the first on a tie,
// nothing when none is close enough; names taken from a table's member.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "util/closest.hpp"

using namespace sbdeploy;

namespace {

struct Named {
    std::string_view name;
    int other;
};

} // namespace

TEST_CASE("util closest: the nearest name below the limit, else nothing") {
    const std::vector<std::string_view> names{"push", "pull", "status", "validate"};
    struct Case {
        std::string_view word;
        std::size_t limit;
        std::string_view expected;
    };
    for (const Case& c : {Case{"psh", 3, "push"}, Case{"pul", 3, "pull"}, Case{"puhs", 3, "push"},
                          Case{"stauts", 3, "status"}, Case{"validat", 2, "validate"}, Case{"xyz", 3, ""},
                          Case{"stat", 2, ""}, Case{"push", 1, "push"}, Case{"pus", 2, "push"}}) {
        CAPTURE(c.word);
        CHECK(util::closest(c.word, names, c.limit) == c.expected);
    }
    const Named table[] = {{"missing-rls", 1}, {"missing-index", 2}};
    CHECK(util::closest("missing-rsl", table, 4, &Named::name) == "missing-rls");
}
