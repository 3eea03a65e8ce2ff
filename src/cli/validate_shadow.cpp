// validate's protections of shared databases (see validate_shadow.hpp): preparing the shadow
// database from the target's history or the base branch, the fork refusal, and error limits.
#include "cli/validate_shadow.hpp"

#include <algorithm>

#include "changes/removed.hpp"
#include "cli/resolve.hpp"
#include "cli/revert.hpp"
#include "policy/mapping.hpp"
#include "policy/promotion.hpp"
#include "shadow/bootstrap.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::plural;
using util::quoted;

constexpr std::size_t kMaxErrorText = 500;  // characters of one server text in any report

bool is_pull_request(const github::RunFacts& f) {
    return f.event == "pull_request" || f.event == "pull_request_target";
}

// A pull request whose base branch deploys to production.
bool into_production_branch(const Context& ctx, const github::RunFacts& f) {
    if (!is_pull_request(f) || f.base_ref.empty()) return false;
    auto mapping = configured_mapping(ctx);
    if (!mapping) return false;  // validate reported it already
    const auto branches = policy::branches_of(*mapping, policy::kProtectedEnvironment);
    return std::ranges::any_of(branches, [&](const std::string& g) { return policy::glob_match(g, f.base_ref); });
}

std::string capped(std::string s) {
    if (s.size() <= kMaxErrorText) return s;
    std::size_t cut = kMaxErrorText;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // a whole UTF-8 character
    const std::size_t rest = s.size() - cut;
    s.resize(cut);
    return s + "... (" + std::to_string(rest) + " more characters cut)";
}

void limit(Error& e, bool redact) {
    if (e.sqlstate.empty() && e.kind != ErrorKind::database) return;  // sbdeploy's own words
    if (redact) {
        e.message = "the server's error message is withheld (--redact-errors): SQLSTATE " +
                    (e.sqlstate.empty() ? std::string("unknown") : e.sqlstate);
        e.detail.clear();
        e.context.clear();
        e.hint = "run the file on a database of your own to read the message, or --redact-errors=false where the "
                 "log is private";
        return;
    }
    e.message = capped(std::move(e.message));
    e.detail = capped(std::move(e.detail));
    e.context = capped(std::move(e.context));
    e.hint = capped(std::move(e.hint));
}

// The migrations folder as the base commit of this pull request (or push) has it, parsed.
Result<std::vector<migrations::Migration>> base_migrations(Context& ctx, const Project& project) {
    changes::GitSettings settings;
    settings.workdir = project.workdir;
    settings.env = ctx.env.all();
    changes::Git git(std::move(settings));
    std::string why;
    auto range = changed_range(ctx, git, why);
    if (!range) return fail(std::move(range.error()));
    std::optional<std::string> folder;
    if (*range) {
        auto in_repo = folder_in_repository(git, project);
        if (!in_repo) return fail(std::move(in_repo.error()));
        folder = std::move(*in_repo);
        if (!folder) why = "the migrations folder is outside the checkout's repository";
    }
    if (!folder) {
        ctx.console.notice("shadow database: no base commit to start from (" + why +
                           "): it holds the Supabase bootstrap only, and every migration is dry-run");
        return std::vector<migrations::Migration>{};
    }
    const std::string base = (*range)->base;
    const std::string in = folder->empty() ? std::string() : *folder + "/";
    auto listed = git.run({"ls-tree", "--full-tree", "--name-only", "-z", base, "--", in.empty() ? "." : in});
    if (!listed) return fail(std::move(listed.error()));
    if (!listed->ok())
        return fail(ErrorKind::io,
                    "shadow database: git ls-tree " + changes::short_sha(base) + ": " + changes::git_message(*listed));
    std::vector<std::string> paths;
    for (const auto& p : util::split(listed->out, '\0'))
        if (p.size() > in.size() && p.ends_with(".sql") && p.find('/', in.size()) == std::string::npos)
            paths.push_back(p);
    auto contents = changes::files_at(git, base, paths);
    if (!contents) return fail(std::move(contents.error()));
    std::vector<migrations::Migration> out;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        migrations::MigrationFile f;
        f.filename = paths[i].substr(in.size());
        if (!(*contents)[i] || !migrations::parse_migration_name(f.filename, f.version, f.name)) continue;
        f.display = project.migrations_display + "/" + f.filename + " (base " + changes::short_sha(base) + ")";
        auto m = migrations::parse_migration(f, *(*contents)[i], migrations::Splits::parts);
        if (!m) return fail(std::move(m.error()));
        out.push_back(std::move(*m));
    }
    std::ranges::sort(out, {}, [](const migrations::Migration& m) { return m.file.version; });
    ctx.console.line("Shadow database: the base commit " + changes::short_sha(base) + " has " +
                     plural(out.size(), "migration"));
    return out;
}

// The target's history (one SELECT; nothing else reaches the target) and the local files it
// applied with the same statements: what the shadow replays.
Result<std::vector<db::HistoryRow>> target_history(Context& ctx, const Target& target) {
    Target source = target;  // SBDEPLOY_<ENV>_READ_URL: a role that may only read the history
    const std::string read_var = "SBDEPLOY_" + policy::environment_variable_part(target.environment) + "_READ_URL";
    if (auto read = ctx.env.get(read_var); read && !target.environment.empty()) {
        source.url = *read;
        source.url_source = read_var;
        source.project_ref.clear();
    }
    auto session = connect_target(ctx, source);
    if (!session) return fail(std::move(session.error()));
    auto history = db::read_history(**session);
    if (!history) return fail(std::move(history.error()));
    ctx.console.line("Read the history of " + target.environment + " (" + (*session)->describe() +
                     "; one SELECT): " + plural(history->size(), "applied migration"));
    return history;
}

// Pushes `applied` to the shadow with push's own code: history table, push lock, Pusher.
Result<void> replay(Context& ctx, db::Session& db, std::span<const migrations::Migration* const> applied) {
    if (applied.empty()) return {};
    if (auto t = db::ensure_history_table(db); !t) return fail(std::move(t.error()));
    if (auto l = db::acquire_push_lock(db, 60'000); !l) return fail(std::move(l.error()));
    migrations::Settings settings;
    migrations::Pusher pusher(db, applied, settings);
    double ms = 0;
    for (const auto* m : applied) {
        auto r = pusher.next();
        if (!r) {
            (void)db::release_push_lock(db);
            Error e = std::move(r.error());
            e.message = "shadow database: replaying " + m->file.filename +
                        ", which the target has applied: " + e.message;
            e.hint = "the shadow lacks something the target has (an extension, a role, a schema the platform makes): "
                     "use the supabase/postgres image as the shadow, or create it before validate runs";
            return fail(std::move(e));
        }
        ms += r->ms;
    }
    (void)db::release_push_lock(db);
    ctx.console.line("Shadow database: replayed " + plural(applied.size(), "applied migration") + " (" +
                     util::format_ms(ms) + ")");
    return {};
}

} // namespace

Result<std::optional<Shadow>> prepare_shadow(Context& ctx, const Project& project, const Target& target) {
    auto url = ctx.options.get("shadow-db-url");
    if (!url) return std::optional<Shadow>();
    if (*url == target.url)
        return fail(ErrorKind::config, "--shadow-db-url: the shadow database is the target itself",
                    "give an empty database the job owns, such as a postgres or supabase/postgres service container");
    Target where;
    where.url = *url;
    where.url_source = ctx.options.source("shadow-db-url") == Source::flag ? "--shadow-db-url"
                                                                           : "SBDEPLOY_SHADOW_DB_URL";
    auto session = connect_target(ctx, where);
    if (!session) {
        Error e = std::move(session.error());
        e.message = "shadow database: " + e.message;
        return fail(std::move(e));
    }
    Shadow sh;
    sh.session = std::move(*session);
    sh.label = "shadow database (" + sh.session->describe() + ")";
    auto used = shadow::holds_user_objects(*sh.session);
    if (!used) return fail(std::move(used.error()));
    if (*used)
        return fail(ErrorKind::config,
                    "--shadow-db-url: the " + sh.label +
                        " is not empty (it has tables or functions in public, or applied migrations); validate pushes "
                        "the applied migrations there for real",
                    "give an empty database the job owns, such as a postgres or supabase/postgres service container, "
                    "never a shared one");
    if (auto b = shadow::bootstrap(*sh.session); !b) return fail(std::move(b.error()));
    ctx.console.line("Shadow database: Supabase roles and schemas ready (bootstrap v" +
                     std::to_string(shadow::kBootstrapVersion) + ")");

    std::vector<migrations::Migration> from_base;  // outlives the replay
    std::vector<const migrations::Migration*> applied;
    if (!target.offline) {
        auto history = target_history(ctx, target);
        if (!history) return fail(std::move(history.error()));
        for (const auto& h : *history) {
            auto local = std::ranges::find_if(project.migrations, [&](const migrations::Migration& m) {
                return m.file.version == h.version && (!h.statements || *h.statements == m.texts());
            });
            // Missing or edited files are not replayed: the plan against this history reports them.
            if (local != project.migrations.end()) applied.push_back(&*local);
        }
        sh.target_history = std::move(*history);
    } else {
        auto base = base_migrations(ctx, project);
        if (!base) return fail(std::move(base.error()));
        from_base = std::move(*base);
        for (const auto& m : from_base) applied.push_back(&m);
    }
    if (auto r = replay(ctx, *sh.session, applied); !r) return fail(std::move(r.error()));
    return std::optional<Shadow>(std::move(sh));
}

std::optional<Error> untrusted_sql_refusal(Context& ctx, const Target& target, bool shadow) {
    const auto& f = target.facts;
    if (!is_pull_request(f) || !f.fork || target.offline || shadow) return std::nullopt;
    const std::string from = "a fork of " +
                             (f.repository.empty() ? std::string("this repository") : quoted(f.repository));
    // GitHub gives a fork's pull_request run no secrets unless the repository opted in to send
    // them; pull_request_target always has them, and runs whatever the fork wrote. Either way the
    // SQL nobody has reviewed would run on a shared database.
    if (ctx.options.flag("allow-untrusted-sql")) {
        ctx.console.warning("running the SQL of a pull request from " + from + " on " + target.environment +
                            " (--allow-untrusted-sql)");
        return std::nullopt;
    }
    return make_error(ErrorKind::operation,
                      "validate: refusing to run the SQL of a pull request from " + from + " on " + target.environment +
                          ": this " + f.event + " run holds the database's secret" +
                          (f.event == "pull_request" ? " (the repository sends secrets to fork pull requests)" : "") +
                          ", and nobody has reviewed the SQL",
                      "give --shadow-db-url (an empty Postgres the job owns, such as a services: container) to dry-run "
                      "it there, or --allow-untrusted-sql once a maintainer has read the SQL");
}

void limit_errors(Context& ctx, const Target& target, migrations::DryRunReport& results,
                  std::vector<FileVerdict>& files) {
    const bool redact = ctx.options.source("redact-errors") != Source::unset
                            ? ctx.options.flag("redact-errors")
                            : into_production_branch(ctx, target.facts);
    if (redact) ctx.console.debug("validate: server error messages withheld (--redact-errors)");
    for (auto& r : results.files)
        if (r.error) limit(*r.error, redact);
    for (auto& f : files)
        if (f.down.error) limit(*f.down.error, redact);
}

} // namespace sbdeploy::cli
