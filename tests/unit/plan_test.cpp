#include <doctest/doctest.h>

#include "migrations/plan.hpp"

using namespace sbdeploy::migrations;

namespace {
LocalEntry local(std::string v, std::vector<std::string> stmts = {"select 1"}) { return {v, "n" + v, stmts}; }
RemoteEntry remote(std::string v,
                   std::optional<std::vector<std::string>> stmts = std::vector<std::string>{"select 1"}) {
    return {v, "n" + v, stmts};
}
std::vector<std::string> versions(const Plan& p) {
    std::vector<std::string> r;
    for (auto i : p.to_apply) r.push_back(p.entries[i].version);
    return r;
}
std::vector<std::string> states(const Plan& p) {
    std::vector<std::string> r;
    for (const auto& e : p.entries) r.push_back(e.version + ":" + std::string(state_name(e.state)));
    return r;
}
} // namespace

TEST_CASE("plan: pending, applied, missing locally, out of order and edited") {
    SUBCASE("nothing remote: everything pending in file order") {
        auto p = make_plan({local("1"), local("2")}, {}, IncludeAll::no);
        CHECK(versions(p) == std::vector<std::string>{"1", "2"});
        CHECK(p.missing_locally.empty());
    }
    SUBCASE("applied ones are skipped") {
        auto p = make_plan({local("1"), local("2"), local("3")}, {remote("1")}, IncludeAll::no);
        CHECK(versions(p) == std::vector<std::string>{"2", "3"});
        CHECK(states(p) == std::vector<std::string>{"1:applied", "2:pending", "3:pending"});
    }
    SUBCASE("a remote version without a local file is missing locally") {
        auto p = make_plan({local("1")}, {remote("1"), remote("5")}, IncludeAll::no);
        CHECK(p.missing_locally == std::vector<std::string>{"5"});
        CHECK(states(p) == std::vector<std::string>{"1:applied", "5:missing locally"});
    }
    SUBCASE("a local version older than the newest remote is out of order, applied first with --include-all") {
        auto p =
            make_plan({local("1"), local("2"), local("3"), local("4")}, {remote("1"), remote("3")}, IncludeAll::no);
        CHECK(p.out_of_order == std::vector<std::string>{"2"});
        CHECK(versions(p) == std::vector<std::string>{"4"});
        auto all =
            make_plan({local("1"), local("2"), local("3"), local("4")}, {remote("1"), remote("3")}, IncludeAll::yes);
        CHECK(versions(all) == std::vector<std::string>{"2", "4"});
    }
    SUBCASE("versions compare as text, as the CLI compares them") {
        auto p = make_plan({local("9"), local("10")}, {remote("9")}, IncludeAll::no);
        // "10" < "9" as text: the CLI calls it out of order
        CHECK(p.out_of_order == std::vector<std::string>{"10"});
    }
    SUBCASE("statements that differ from the recorded ones are edited after apply") {
        auto p = make_plan({local("1", {"select 2"})}, {remote("1")}, IncludeAll::no);
        CHECK(p.edited == std::vector<std::string>{"1"});
        CHECK(states(p) == std::vector<std::string>{"1:edited after apply"});
    }
    SUBCASE("rows without recorded statements (old CLIs) are never called edited") {
        auto p = make_plan({local("1", {"select 2"})}, {remote("1", std::nullopt)}, IncludeAll::no);
        CHECK(p.edited.empty());
    }
}
