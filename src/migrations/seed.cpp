#include "migrations/seed.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "migrations/apply_internal.hpp"
#include "migrations/config_toml.hpp"
#include "migrations/content.hpp"
#include "migrations/rollback.hpp"
#include "util/file.hpp"
#include "util/glob_files.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace sbdeploy::migrations {

namespace {

namespace fs = std::filesystem;
using detail::append_statements;
using detail::elapsed_ms;

// The files under `workdir` that `pattern` (relative to it, "/" separated) matches, sorted.
Result<std::vector<std::string>> match_files(const std::string& workdir, const std::string& pattern) {
    auto matches = util::match_files(workdir, pattern, util::SkipFolders::none);
    if (!matches) {
        Error e = std::move(matches.error());
        e.message = "seed path " + util::quoted(pattern) + ": " + e.message;
        return fail(std::move(e));
    }
    return matches;
}

Result<SeedFile> load_seed(const std::string& workdir, const std::string& rel) {
    SeedFile seed;
    seed.path = (fs::path(workdir) / rel).string();
    seed.display = rel;
    auto loaded = util::read_project_file(seed.path, "seed file " + util::quoted(rel), rel);
    if (!loaded) return fail(std::move(loaded.error()));
    std::string content = std::move(*loaded);
    if (auto bad = check_content(content)) {  // as for migrations: NUL bytes, invalid UTF-8
        bad->file = rel;
        return fail(std::move(*bad));
    }
    seed.hash = util::sha256_hex(content);
    if (seed.hash.empty())
        return fail(ErrorKind::io, "cannot hash seed file " + util::quoted(rel) + ": libcrypto failed");
    auto slash = rel.find_last_of('/');
    std::string filename = slash == std::string::npos ? rel : rel.substr(slash + 1);
    std::string name = filename.ends_with(".sql") ? filename.substr(0, filename.size() - 4) : filename;
    auto sql = parse_migration(MigrationFile{"", name, filename, seed.path, rel, {}, {}}, content);
    if (!sql) return fail(std::move(sql.error()));
    seed.sql = std::move(*sql);
    return seed;
}

Error seed_error(const SeedFile& seed, const std::vector<std::size_t>& item_to_statement, std::size_t setup,
                 const db::BatchFailure& f) {
    if (f.index != db::BatchFailure::unknown_index && f.index >= setup && f.index - setup < item_to_statement.size()) {
        Error e = locate_failure(seed.sql, item_to_statement[f.index - setup], f.error);
        e.hint = "fix the seed file and run again: nothing of it was applied (the migrations were)";
        return e;
    }
    Error e = f.error;
    e.message = "seeding " + util::quoted(seed.display) + " failed: " + e.message +
                (e.sqlstate.empty() ? "" : " (SQLSTATE " + e.sqlstate + ")");
    e.file = seed.display;
    e.column = 0;
    if (e.hint.empty()) e.hint = "nothing of the seed file was applied (the migrations were); run again";
    return e;
}

} // namespace

Result<std::optional<std::vector<std::string>>> parse_seed_paths(std::string_view toml, const std::string& display) {
    auto config = parse_supabase_config(toml, display);
    if (!config) return fail(std::move(config.error()));
    return std::move(config->seed_paths);
}

Result<SeedListing> list_seed_files(const std::string& workdir, std::span<const std::string> patterns) {
    SeedListing listing;
    std::set<std::string> seen;
    for (const auto& written : patterns) {
        const fs::path p(written);
        if (written.empty() || p.is_absolute())
            return fail(ErrorKind::config,
                        "seed path " + util::quoted(written) + " in [db.seed] sql_paths is " +
                            (written.empty() ? "empty" : "absolute"),
                        "write it relative to the supabase folder, such as \"./seed.sql\" or \"./seeds/*.sql\"");
        // As the CLI joins it: relative to supabase/, cleaned, relative to the project root.
        std::string pattern = (fs::path("supabase") / p).lexically_normal().generic_string();
        if (pattern == ".." || pattern.starts_with("../") || pattern == ".")
            return fail(ErrorKind::config, "seed path " + util::quoted(written) + " is outside the project",
                        "keep seed files inside the project; sql_paths are relative to the supabase folder");
        auto matches = match_files(workdir, pattern);
        if (!matches) return fail(std::move(matches.error()));
        if (matches->empty()) listing.unmatched.push_back(pattern);
        for (const auto& rel : *matches) {
            if (!seen.insert(rel).second) continue;
            auto seed = load_seed(workdir, rel);
            if (!seed) return fail(std::move(seed.error()));
            listing.files.push_back(std::move(*seed));
        }
    }
    return listing;
}

std::vector<PendingSeed> pending_seeds(std::span<const SeedFile> files, std::span<const db::SeedRow> recorded) {
    std::map<std::string_view, std::string_view> hashes;
    for (const auto& r : recorded) hashes.emplace(r.path, r.hash);
    std::vector<PendingSeed> pending;
    for (const auto& f : files) {
        auto it = hashes.find(f.display);
        if (it == hashes.end())
            pending.push_back({&f, SeedChange::new_file});
        else if (it->second != f.hash)
            pending.push_back({&f, SeedChange::changed});
    }
    return pending;
}

Result<double> apply_seed(db::Session& session, const SeedFile& seed, CreateTable create, const Settings& settings) {
    auto start = std::chrono::steady_clock::now();
    std::deque<std::string> storage;
    auto items = transaction_prologue(session, settings, storage);
    if (create == CreateTable::yes)
        for (auto st : db::seed_table_statements()) items.push_back({st, {}});
    const std::size_t setup = items.size();
    const Migration& m = seed.sql;

    if (m.plan.mode == FileMode::non_transactional) {
        auto before = session.exec_batch(items, db::BatchMode::atomic);
        if (!before) return fail(seed_error(seed, {}, setup, before.error()));
        for (std::size_t i = 0; i < m.statements.size(); ++i) {
            auto r = session.exec(m.statements[i].text);
            if (!r) {
                Error e = locate_failure(m, i, r.error());
                e.hint = "the seed file cannot run in a transaction: the statements before this one stay done and its "
                         "hash is not recorded; fix it and run again";
                return fail(std::move(e));
            }
        }
        items.push_back(db::upsert_seed_item(seed.display, seed.hash));
        auto rec = session.exec_batch(items, db::BatchMode::atomic);
        if (!rec) return fail(seed_error(seed, {}, setup, rec.error()));
        session.take_notices();
        return elapsed_ms(start);
    }

    const std::vector<std::size_t> item_to_statement = append_statements(items, m);
    const BookkeepingReset reset(settings);
    reset.append_to(items);
    items.push_back(db::upsert_seed_item(seed.display, seed.hash));
    auto r = session.exec_batch(items, db::BatchMode::atomic);
    if (!r) return fail(seed_error(seed, item_to_statement, setup, r.error()));
    session.take_notices();
    return elapsed_ms(start);
}

} // namespace sbdeploy::migrations
