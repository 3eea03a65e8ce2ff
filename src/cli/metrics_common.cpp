#include "cli/metrics_common.hpp"

#include <algorithm>
#include <ctime>

#include "cli/project.hpp"
#include "cli/resolve.hpp"
#include "util/glob_files.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

std::string workdir_of(const Context& ctx) {
    return ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", "."));
}

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

Result<std::unique_ptr<db::Session>> open_metrics_session(Context& ctx) {
    auto target = metrics_target(ctx, std::string(kMetricsEnvironment), "metrics are always written to production");
    if (!target) {
        Error e = std::move(target.error());
        if (e.message.ends_with("is not set") && e.message.find("SUPABASE_ACCESS_TOKEN") == std::string::npos)
            e.hint = "metrics always go to production: set SBDEPLOY_PRODUCTION_DB_URL (or "
                     "SBDEPLOY_PRODUCTION_PROJECT_REF with SUPABASE_ACCESS_TOKEN), pass --db-url or --project-ref, or "
                     "write through PostgREST with --supabase-url and SUPABASE_SECRET_KEY";
        return fail(std::move(e));
    }
    return connect_target(ctx, *target);
}

Result<MetricsSink> open_metrics_sink(Context& ctx) {
    MetricsSink sink;
    if (auto url = ctx.options.get("supabase-url")) {
        auto key = ctx.env.get("SUPABASE_SECRET_KEY");
        if (!key) key = ctx.env.get("SUPABASE_SERVICE_ROLE_KEY");
        if (!key)
            return fail(ErrorKind::config, std::string(ctx.command) + ": --supabase-url needs SUPABASE_SECRET_KEY",
                        "set SUPABASE_SECRET_KEY to the project's secret (service role) key, from a secret of the "
                        "job's GitHub environment");
        if (!url->starts_with("https://") && !url->starts_with("http://"))
            return fail(ErrorKind::usage, "--supabase-url " + util::quoted(*url) + " is not an http(s) URL",
                        "use the project URL: https://<project-ref>.supabase.co");
        metrics::PostgrestSettings s;
        s.url = *url;
        s.key = *key;
        sink.writer = metrics::postgrest_writer(std::move(s));
        ctx.console.debug("writing metrics through " + sink.writer->describe());
        return sink;
    }
    auto session = open_metrics_session(ctx);
    if (!session) return fail(session.error());
    sink.session = std::move(*session);
    sink.writer = metrics::session_writer(*sink.session);
    return sink;
}

Result<metrics::Rules> configured_rules(Context& ctx) {
    metrics::RuleSettings s;
    auto branch_rules = ctx.options.list("branch-rules");
    if (!branch_rules.empty()) {
        s.branch_patterns.clear();
        for (const auto& line : branch_rules)
            for (const auto& part : util::split(line, '\n'))
                if (auto t = util::trim(part); !t.empty()) s.branch_patterns.emplace_back(t);
    }
    if (auto h = ctx.options.get("hotfix-pattern")) s.hotfix_patterns = {*h};
    auto mapping = configured_mapping(ctx);
    if (!mapping) return fail(mapping.error());
    auto production = policy::branches_of(*mapping, "production");
    auto staging = policy::branches_of(*mapping, "staging");
    if (!production.empty()) s.production_branches = production;
    if (!staging.empty()) s.staging_branches = staging;
    return metrics::Rules::compile(s);
}

Result<std::function<std::string(std::string_view)>> environment_of_branch(Context& ctx) {
    auto mapping = configured_mapping(ctx);
    if (!mapping) return fail(mapping.error());
    return std::function<std::string(std::string_view)>([m = *mapping](std::string_view branch) {
        policy::Facts f;
        f.event = "push";
        f.branch = branch;
        auto r = policy::resolve(f, std::nullopt, m);
        return r && r->action == policy::Action::push ? r->environment : std::string();
    });
}

Result<std::vector<std::string>> find_files(const std::string& workdir, std::string_view option,
                                            const std::vector<std::string>& globs,
                                            std::vector<std::string>& unmatched) {
    std::vector<std::string> found;
    for (const auto& raw : globs) {
        const std::string pattern(util::trim(raw));
        if (pattern.empty() || pattern == "./") continue;
        auto matches = util::match_files(workdir, pattern, util::SkipFolders::tooling);
        if (!matches) {
            Error e = std::move(matches.error());
            e.message = "--" + std::string(option) + " " + util::quoted(pattern) + ": " + e.message;
            return fail(std::move(e));
        }
        if (matches->empty()) unmatched.push_back(raw);
        found.insert(found.end(), matches->begin(), matches->end());
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

std::string describe_counts(const metrics::WriteSummary& s, bool inserted) {
    std::string r;
    auto add = [&](const char* name, const metrics::WriteCount& c) {
        std::size_t n = inserted ? c.inserted : c.offered;
        if (n == 0) return;
        r += (r.empty() ? "" : ", ") + std::string(name) + " " + std::to_string(n);
    };
    add("pr_events", s.prs);
    add("deployment_events", s.deployments);
    add("test_runs", s.tests);
    add("rule_compliance_events", s.rules);
    return r;
}

} // namespace sbdeploy::cli
