// validate's down check: inside the dry run's transaction, each pending file that has down SQL
// runs, then its down SQL (with the deletion of its history row, as rollback runs it), then
// the file again. It fails when the down SQL errors, leaves a catalog different from the one
// before the file (db/catalog.hpp), or when the file cannot run again after it. The files that
// come after see the database as the file alone left it, as in a push.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/catalog.hpp"
#include "migrations/dry_run.hpp"

namespace sbdeploy::migrations {

// Which step of a file's dry run failed: the file, its down SQL, or the file again after it.
enum class DryRunStep { up, down, up_again };
std::string_view step_name(DryRunStep s);  // "up", "down", "up-again"

enum class DownOutcome {
    passed,       // the down SQL ran, restored the catalog, and the file ran again
    failed,       // see DownCheck::step
    none,         // the file has no down SQL
    not_checked,  // see DownCheck::why_not
};

struct DownCheck {
    DownOutcome outcome = DownOutcome::none;
    DryRunStep step = DryRunStep::down;  // DownOutcome::failed: down or up_again
    // The failed statement: of the down SQL (at its file and line), or of the file run again.
    std::optional<Error> error;
    // The down SQL ran but left the catalog different: one line per object (db/catalog.hpp).
    std::vector<std::string> differences;
    std::string why_not;  // DownOutcome::not_checked
};

class DownChecker final : public DryRunObserver {
public:
    explicit DownChecker(const Settings& settings) : settings_(settings) {}
    Result<void> before(db::Session& session, const Migration& m) override;
    Result<void> after(db::Session& session, const Migration& m) override;
    [[nodiscard]] bool watches(const Migration& m) const override { return m.down != nullptr; }
    void unwatched(const Migration& m, std::string why) override;
    // The check of `m`: DownOutcome::none for a file without down SQL, not_checked for one the
    // dry run did not get to run cleanly (it failed, or is not dry-run).
    [[nodiscard]] DownCheck result(const Migration& m) const;

private:
    Result<void> check(db::Session& session, const Migration& m, DownCheck& out);
    Settings settings_;
    std::map<const Migration*, DownCheck> results_;
    const Migration* snapped_ = nullptr;  // the file `before_` was taken for
    db::CatalogSnapshot before_;
};

}  // namespace sbdeploy::migrations
