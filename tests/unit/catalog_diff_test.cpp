// The difference of two catalog snapshots (db/catalog.hpp), as validate's down check reports
// it: one line per object, what the file did told from what its down SQL did, the parts of a
// table left or missing as a whole not listed again.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "db/catalog.hpp"

using namespace sbdeploy::db;

namespace {

CatalogObject object(int rank, std::string kind, std::string name, std::string parent,
                     std::map<std::string, std::string> attributes = {}) {
    return CatalogObject{rank, std::move(kind), std::move(name), std::move(parent), std::move(attributes)};
}

CatalogSnapshot snapshot(std::vector<CatalogObject> objects) {
    CatalogSnapshot s;
    for (auto& o : objects) {
        std::string key = o.kind + " " + o.name;
        s.emplace(std::move(key), std::move(o));
    }
    return s;
}

const CatalogObject kTable = object(4, "table", "public.t", "", {{"row level security", "disabled"}});
const CatalogObject kId = object(5, "column", "public.t.id", "public.t", {{"type", "integer"}});

}  // namespace

TEST_CASE("catalog differences: one line per object, in report order") {
    const auto before = snapshot({kTable, kId});
    SUBCASE("the same catalog: nothing") { CHECK(catalog_differences(before, before, before).empty()); }
    SUBCASE("a table the file created and the down SQL left: the table alone, not its parts") {
        const auto up =
            snapshot({kTable, kId, object(4, "table", "public.u", ""), object(5, "column", "public.u.id", "public.u"),
                      object(7, "index", "public.u_idx", "public.u")});
        CHECK(catalog_differences(before, up, up) ==
              std::vector<std::string>{"leaves table public.u (created by the file)"});
    }
    SUBCASE("a column the file dropped and the down SQL did not restore, an index it left") {
        const auto up = snapshot({kTable, object(7, "index", "public.t_idx", "public.t")});
        CHECK(catalog_differences(before, up, up) ==
              std::vector<std::string>{"does not restore column public.t.id (dropped by the file)",
                                       "leaves index public.t_idx (created by the file)"});
    }
    SUBCASE("what the down SQL did itself") {
        const auto up = before;
        const auto down = snapshot({kTable, object(4, "view", "public.v", "")});
        CHECK(catalog_differences(before, up, down) ==
              std::vector<std::string>{"creates view public.v, which was not there before the file",
                                       "drops column public.t.id, which was there before the file"});
    }
    SUBCASE("an attribute not restored: quoted when short, named when long or on several lines") {
        auto changed = kTable;
        changed.attributes["row level security"] = "enabled";
        auto typed = kId;
        typed.attributes["type"] = "text";
        typed.attributes["default"] = "first line\nsecond line";
        const auto down = snapshot({changed, typed});
        CHECK(catalog_differences(before, down, down) ==
              std::vector<std::string>{
                  "does not restore table public.t: row level security \"disabled\" before the file, \"enabled\" "
                  "after its down SQL",
                  "does not restore column public.t.id: type \"integer\" before the file, \"text\" after its down "
                  "SQL; default differs from before the file"});
    }
}
