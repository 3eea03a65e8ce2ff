// Where validate's dry run stops (both transports): at the first failing file unless told to
// keep going, and always when the server's lock table is full, whose failure belongs to the
// server's capacity rather than to the file that met it.
#include <optional>
#include <vector>

#include "migrations/apply_internal.hpp"

namespace sbdeploy::migrations::detail {

bool out_of_lock_memory(const Error& e) { return e.sqlstate == "53200"; }

bool dry_run_stops_after(const DryRun& d, KeepGoing keep_going) {
    if (d.verdict != Verdict::failed) return false;
    return keep_going == KeepGoing::no || (d.error && out_of_lock_memory(*d.error));
}

std::optional<std::size_t> settle_out_of_locks(std::vector<DryRun>& files) {
    for (std::size_t k = 0; k < files.size(); ++k) {
        DryRun& d = files[k];
        if (d.verdict != Verdict::failed || !d.error || !out_of_lock_memory(*d.error)) continue;
        d.verdict = Verdict::not_run;
        d.error.reset();
        return k;
    }
    return std::nullopt;
}

} // namespace sbdeploy::migrations::detail
