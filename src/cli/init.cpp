// sbdeploy init: reads the repository (branches, supabase/config.toml) and writes the workflows
// of the seeds' release process (init/workflows.hpp), never over an existing file without
// --force (--dry-run prints them); then lists the secrets to create and the required status
// checks, and with --apply sets them as branch protection through the GitHub API.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/commands.hpp"
#include "github/protection.hpp"
#include "init/repository.hpp"
#include "init/workflows.hpp"
#include "util/strings.hpp"
#include "util/try.hpp"

namespace sbdeploy::cli {

namespace {

namespace fs = std::filesystem;

Result<init::WorkflowSettings> settings_for(const Context& ctx, const init::RepositoryFacts& facts) {
    init::WorkflowSettings s;
    if (auto actions = ctx.options.get("actions")) {
        auto at = actions->find('@');
        auto slash = actions->find('/');
        if (at == std::string::npos || slash == std::string::npos || slash == 0 || slash + 1 >= at ||
            at + 1 >= actions->size() || actions->find_first_of(" \t\n") != std::string::npos)
            return fail(ErrorKind::usage,
                        "init: option --actions: " + util::quoted(*actions) + " is not OWNER/NAME@REF",
                        "for example --actions acme/sbdeploy@v1");
        s.actions = actions->substr(0, at);
        s.ref = actions->substr(at + 1);
    }
    s.production_branch = facts.production_branch;
    s.staging_branch = facts.staging_branch;
    s.project_dir = facts.project_dir;
    for (const char* env : {"staging", "production"})
        if (facts.remote_project_ids.contains(env)) s.api_environments.insert(env);
    return s;
}

void say_branches(Context& ctx, const init::RepositoryFacts& facts) {
    std::string found;
    for (const auto& b : facts.branches) found += (found.empty() ? "" : ", ") + b;
    ctx.console.line("init: production branch " + util::quoted(facts.production_branch) + ", staging branch " +
                     util::quoted(facts.staging_branch) + (found.empty() ? "" : " (branches: " + found + ")") +
                     (facts.project_id.empty() ? "" : ", project " + util::quoted(facts.project_id)));
    for (const auto& b : {facts.production_branch, facts.staging_branch})
        if (std::find(facts.branches.begin(), facts.branches.end(), b) == facts.branches.end())
            ctx.console.warning("init: branch " + util::quoted(b) +
                                " does not exist yet, here or on origin: the "
                                "workflows use it; create it with 'git push origin HEAD:" +
                                b + "'");
}

// Writes (or with --dry-run prints) each file; one that exists is kept unless --force.
using FileStates = std::vector<std::pair<std::string, std::string>>;  // path, what happened to it

Result<FileStates> write_files(Context& ctx, const std::string& root, const std::vector<init::GeneratedFile>& files) {
    const bool dry = ctx.options.flag("dry-run"), force = ctx.options.flag("force");
    FileStates states;
    for (const auto& f : files) {
        const fs::path path = fs::path(root) / f.path;
        std::error_code ec;
        const bool exists = fs::exists(path, ec);
        if (exists && !force) {
            ctx.console.warning("init: kept " + f.path + ": it exists (--force overwrites it)");
            states.emplace_back(f.path, "kept");
            continue;
        }
        if (dry) {
            ctx.console.line("--- " + f.path + (exists ? " (would overwrite)" : " (would write)") + "\n" + f.content);
            states.emplace_back(f.path, exists ? "would overwrite" : "would write");
            continue;
        }
        fs::create_directories(path.parent_path(), ec);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << f.content;
        out.close();
        if (ec || !out)
            return fail(ErrorKind::io, "init: cannot write " + util::quoted(path.string()),
                        "check that the folder is writable");
        ctx.console.line(std::string(exists ? "overwrote " : "wrote ") + f.path);
        states.emplace_back(f.path, exists ? "overwrote" : "wrote");
    }
    return states;
}

// --json: what was written, the branches, the secrets per scope and the required checks.
void print_json(Context& ctx, const init::WorkflowSettings& s, const FileStates& files, bool applied) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("production_branch");
    w.String(s.production_branch);
    w.Key("staging_branch");
    w.String(s.staging_branch);
    w.Key("files");
    w.StartObject();
    for (const auto& [path, state] : files) {
        w.Key(path.c_str());
        w.String(state);
    }
    w.EndObject();
    w.Key("secrets");
    w.StartObject();
    for (const auto& scope : init::required_secrets(s)) {
        w.Key(scope.scope.c_str());
        w.StartArray();
        for (const auto& n : scope.names) w.String(n);
        w.EndArray();
    }
    w.EndObject();
    w.Key("required_checks");
    w.StartObject();
    for (const auto& b : init::protected_branches(s)) {
        w.Key(b.c_str());
        w.StartArray();
        w.String(std::string(init::kRequiredCheck));
        w.EndArray();
    }
    w.EndObject();
    w.Key("protection_applied");
    w.Bool(applied);
    w.EndObject();
    ctx.out << buf.GetString() << '\n';
}

void say_setup(Context& ctx, const init::WorkflowSettings& s) {
    ctx.console.line("\nsecrets to create (Settings > Secrets and variables > Actions; names only):");
    bool token = false;
    for (const auto& scope : init::required_secrets(s)) {
        std::string names;
        for (const auto& n : scope.names) {
            names += (names.empty() ? "" : ", ") + n;
            token = token || n == "SUPABASE_ACCESS_TOKEN";
        }
        ctx.console.line("  " + scope.scope + " (" + scope.used_by + "): " + names);
    }
    ctx.console.line("  *_DB_URL: a libpq URL, postgresql://user:password@host:5432/postgres" +
                     std::string(token ? "; SUPABASE_ACCESS_TOKEN: a personal access token (sbp_...), the project "
                                         "refs come from supabase/config.toml [remotes.<env>] project_id"
                                       : ""));
    ctx.console.line("\nrequired status checks (Settings > Branches, or 'sbdeploy init --apply'):");
    for (const auto& b : init::protected_branches(s))
        ctx.console.line("  " + b + ": " + std::string(init::kRequiredCheck));
}

Result<github::ProtectionSettings> protection_settings(const Context& ctx, const init::RepositoryFacts& facts) {
    github::ProtectionSettings p;
    p.api_url = ctx.env.get_or("GITHUB_API_URL", "https://api.github.com");
    while (p.api_url.ends_with('/')) p.api_url.pop_back();
    p.token = ctx.options.get_or("token", ctx.env.get_or("GITHUB_TOKEN", ctx.env.get_or("GH_TOKEN", "")));
    p.repository = ctx.options.get_or("repo", ctx.env.get_or("GITHUB_REPOSITORY", facts.github_repository));
    if (p.repository.empty())
        return fail(ErrorKind::usage, "init --apply: which GitHub repository? origin is not a GitHub remote",
                    "give --repo OWNER/NAME");
    auto slash = p.repository.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == p.repository.size() ||
        p.repository.find('/', slash + 1) != std::string::npos)
        return fail(ErrorKind::usage, "init: option --repo: " + util::quoted(p.repository) + " is not OWNER/NAME");
    if (p.token.empty() && !ctx.options.flag("dry-run"))
        return fail(ErrorKind::usage, "init --apply: no GitHub token",
                    "give --token or set GITHUB_TOKEN to a token with administration write on " + p.repository);
    return p;
}

Result<void> apply_protection(Context& ctx, const init::WorkflowSettings& s, const github::ProtectionSettings& p) {
    for (const auto& branch : init::protected_branches(s)) {
        auto request = github::plan_protection(p, branch, {std::string(init::kRequiredCheck)});
        if (!request) return fail(request.error());
        if (ctx.options.flag("dry-run")) {
            ctx.console.line("would PUT " + request->path + " " + request->body);
            continue;
        }
        if (auto ok = github::apply_protection(p, *request); !ok) return fail(ok.error());
        ctx.console.line("protected " + p.repository + " " + branch + ": requires " +
                         std::string(init::kRequiredCheck) +
                         (request->was_protected ? " (its other settings kept)" : ""));
    }
    return {};
}

} // namespace

namespace {

Result<int> init_command(Context& ctx) {
    const std::string workdir = ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
    std::error_code ec;
    if (!fs::is_directory(workdir, ec))
        return fail(ErrorKind::config, "workdir " + util::quoted(workdir) + " is not a folder",
                    "set --workdir (SBDEPLOY_WORKDIR) to the project root");
    TRY_ASSIGN(const auto facts, init::read_repository(workdir, ctx.env.all()));
    TRY_ASSIGN(const auto settings, settings_for(ctx, facts));
    // --apply's settings are checked before anything is written.
    std::optional<github::ProtectionSettings> protection;
    if (ctx.options.flag("apply")) {
        TRY_ASSIGN(protection, protection_settings(ctx, facts));
    }
    say_branches(ctx, facts);
    auto files = init::release_workflows(settings);
    files.push_back(init::expect_file(settings));
    TRY_ASSIGN(const auto written, write_files(ctx, facts.root, files));
    say_setup(ctx, settings);
    if (protection) TRY(apply_protection(ctx, settings, *protection));
    if (ctx.json) print_json(ctx, settings, written, protection && !ctx.options.flag("dry-run"));
    return 0;
}

} // namespace

int run_init(Context& ctx) {
    auto code = init_command(ctx);
    if (!code) return report(ctx, code.error());
    return *code;
}

} // namespace sbdeploy::cli
