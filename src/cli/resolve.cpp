#include "cli/resolve.hpp"

#include <algorithm>
#include "cli/project.hpp"

#include "github/outputs.hpp"
#include "migrations/config_toml.hpp"
#include "util/strings.hpp"

namespace sbdeploy::cli {

namespace {

using util::quoted;

bool is_pull_request(const github::RunFacts& f) {
    return f.event == "pull_request" || f.event == "pull_request_target";
}

// Where a target's connection may come from; supabase/config.toml's [remotes.<environment>]
// project_id comes last in each.
enum class Sources {
    run,          // the run's target: flags, the environment's variables, then the generic ones
    environment,  // another environment's target: only its own variables
    metrics,      // the metrics database: flags, the generic variables, then production's
};

struct Candidate {
    std::string value;
    std::string source;
};

std::optional<Candidate> from_option(const Context& ctx, std::string_view option, Source wanted) {
    if (ctx.options.source(option) != wanted) return std::nullopt;
    auto v = ctx.options.get(option);
    if (!v) return std::nullopt;
    return Candidate{*v, wanted == Source::flag ? "--" + std::string(option) : env_var_for(option)};
}

std::optional<Candidate> from_variable(const Context& ctx, const std::string& name) {
    auto v = ctx.env.get(name);
    if (!v) return std::nullopt;
    return Candidate{*v, name};
}

// What a target lookup looks for: the kinds --transport allows (postgres only URLs, api only
// project refs, auto both) and the environment's own variables.
struct Lookup {
    std::string transport;
    bool urls;
    bool refs;
    std::string url_var;   // SBDEPLOY_<ENV>_DB_URL
    std::string ref_var;   // SBDEPLOY_<ENV>_PROJECT_REF
    // Another environment's target is only read (the promotion gate reads its history): a
    // read-only role's URL, when given, comes first, so a job need not hold its write credential.
    std::string read_var;  // SBDEPLOY_<ENV>_READ_URL
};

Lookup lookup_for(const Context& ctx, const Target& t) {
    std::string transport = ctx.options.get_or("transport", "auto");
    const std::string part = t.environment.empty() ? std::string() : policy::environment_variable_part(t.environment);
    const bool urls = transport != "api";
    const bool refs = transport != "postgres";
    return {std::move(transport),
            urls,
            refs,
            "SBDEPLOY_" + part + "_DB_URL",
            "SBDEPLOY_" + part + "_PROJECT_REF",
            "SBDEPLOY_" + part + "_READ_URL"};
}

// No target was found: the target of the kind --transport excludes, or the variable to set.
Error no_target(const Lookup& look, const Target& t, Sources sources, std::string_view context,
                const std::optional<std::pair<bool, Candidate>>& other_kind) {
    const auto& [transport, urls, refs, url_var, ref_var, read_var] = look;
    // The target was given, but of the kind --transport excludes: say that, not "set it".
    if (other_kind)
        return make_error(ErrorKind::config,
                          std::string(context) + ": --transport " + transport + " needs " +
                              (other_kind->first ? "a Supabase project ref" : "a database URL") +
                              ", but the target (from " + other_kind->second.source + ") is " +
                              (other_kind->first ? std::string("a database URL")
                                                 : "the project " + quoted(other_kind->second.value)),
                          other_kind->first
                              ? "leave out --transport api to push over the URL, or give --project-ref with "
                                "SUPABASE_ACCESS_TOKEN"
                              : "leave out --transport postgres to use the Management API, or give --db-url");
    if (t.environment.empty())
        return make_error(ErrorKind::config, std::string(context) + ": no target database",
                          "set --db-url (or SBDEPLOY_DB_URL), or --environment with SBDEPLOY_<ENVIRONMENT>_DB_URL");
    const std::string& wanted = urls ? url_var : ref_var;
    std::string hint = urls ? "set " + url_var +
                                  " to the database URL (a secret of the job's GitHub environment, mapped into env:)" +
                                  (refs ? ", or " + ref_var + " with SUPABASE_ACCESS_TOKEN for the Management API" : "")
                            : "set " + ref_var + " and SUPABASE_ACCESS_TOKEN";
    if (sources == Sources::environment && urls)
        hint = "set " + read_var +
               " to the URL of a role that may only read supabase_migrations.schema_migrations (a "
               "secret of the job's GitHub environment, mapped into env:), or " +
               url_var + (refs ? ", or " + ref_var + " with SUPABASE_ACCESS_TOKEN for the Management API" : "");
    if (sources == Sources::run)
        hint += std::string("; ") + (urls ? "--db-url" : "--project-ref") + " gives one target for any environment";
    return make_error(ErrorKind::config,
                      std::string(context) + ": environment " + quoted(t.environment) + " has no target: " + wanted +
                          " is not set",
                      std::move(hint));
}

// Fills the connection of `t` (environment already decided). --transport postgres only
// looks for URLs, api only for project refs, auto for both in precedence order.
Result<void> locate(Context& ctx, Target& t, Sources sources, std::string_view context) {
    const Lookup look = lookup_for(ctx, t);
    const auto& [transport, urls, refs, url_var, ref_var, read_var] = look;

    // Precedence: flags, then the environment's own variables, then the generic variables
    // (for metrics the generic ones first: they name the metrics database), then config.toml.
    std::vector<std::pair<bool, std::optional<Candidate>>> order;  // (is url, candidate)
    auto generic = [&](Source source) {
        order.emplace_back(true, from_option(ctx, "db-url", source));
        order.emplace_back(false, from_option(ctx, "project-ref", source));
    };
    if (sources != Sources::environment) generic(Source::flag);
    if (sources == Sources::metrics) generic(Source::env);
    if (!t.environment.empty()) {
        if (sources == Sources::environment) order.emplace_back(true, from_variable(ctx, read_var));
        order.emplace_back(true, from_variable(ctx, url_var));
        order.emplace_back(false, from_variable(ctx, ref_var));
    }
    if (sources == Sources::run) generic(Source::env);
    if (!t.environment.empty() && refs &&
        std::none_of(order.begin(), order.end(), [&](const auto& c) { return c.second && (c.first ? urls : refs); })) {
        // Only read when nothing else gives the target, so a config.toml never gets in the way.
        auto config =
            migrations::load_supabase_config(ctx.options.get_or("workdir", ctx.env.get_or("GITHUB_WORKSPACE", ".")));
        if (!config) return fail(std::move(config.error()));
        if (auto it = config->remote_project_ids.find(t.environment); it != config->remote_project_ids.end())
            order.emplace_back(false, Candidate{it->second, std::string(migrations::kConfigTomlPath) + " [remotes." +
                                                                t.environment + "] project_id"});
    }
    std::optional<std::pair<bool, Candidate>> other_kind;  // a target --transport rules out
    for (auto& [is_url, candidate] : order) {
        if (candidate && (is_url ? !urls : !refs) && !other_kind) other_kind.emplace(is_url, *candidate);
        if (!candidate || (is_url ? !urls : !refs)) continue;
        if (is_url) {
            t.url = candidate->value;
            t.url_source = candidate->source;
            return {};
        }
        t.project_ref = candidate->value;
        t.project_ref_source = candidate->source;
        if (!ctx.env.get("SUPABASE_ACCESS_TOKEN"))
            return fail(ErrorKind::config,
                        std::string(context) + ": " +
                            (t.environment.empty() ? std::string("the target")
                                                   : "environment " + quoted(t.environment)) +
                            " is the Supabase project " + quoted(t.project_ref) + " (from " + t.project_ref_source +
                            "), but SUPABASE_ACCESS_TOKEN is not set",
                        "set SUPABASE_ACCESS_TOKEN (a personal access token, from a secret of the job's GitHub "
                        "environment) for the Management "
                        "API" +
                            (t.environment.empty() ? std::string() : ", or give " + url_var + " instead"));
        return {};
    }

    return fail(no_target(look, t, sources, context, other_kind));
}

} // namespace

policy::Facts mapping_facts(const github::RunFacts& f) {
    policy::Facts p;
    p.event = f.event;
    p.action = f.action;
    p.branch = f.branch;
    p.tag = f.tag;
    p.base_ref = f.base_ref;
    p.pr_number = f.pr_number;
    p.merged = f.merged;
    p.deleted = f.deleted;
    p.inputs = f.inputs;
    return p;
}

Result<policy::Mapping> configured_mapping(const Context& ctx) {
    return policy::configure_mapping(ctx.options.get_or("environments", policy::kDefaultEnvironments),
                                     ctx.options.get_or("validate-against", policy::kDefaultValidateAgainst));
}

Result<ResolvedRun> resolve_run(Context& ctx) {
    auto mapping = configured_mapping(ctx);
    if (!mapping) return fail(std::move(mapping.error()));
    ResolvedRun run;
    run.runner = github::RunnerContext::from(ctx.env);
    std::string event_path = ctx.options.get_or("event-path", run.runner.event_path);
    if (!event_path.empty()) ctx.console.debug("event payload: " + event_path);
    auto event = github::load_event(run.runner, event_path);
    if (!event) return fail(std::move(event.error()));
    run.event = std::move(*event);
    run.facts = github::run_facts(run.runner, run.event);
    auto resolution = policy::resolve(mapping_facts(run.facts), ctx.options.get("environment"), *mapping);
    if (!resolution) return fail(std::move(resolution.error()));
    run.resolution = std::move(*resolution);
    ctx.console.debug("resolved: environment " + quoted(run.resolution.environment) + ", action " +
                      std::string(policy::action_name(run.resolution.action)));
    return run;
}

std::string describe_run(const github::RunFacts& f) {
    if (f.event.empty()) return "no event";
    std::string ref = !f.tag.empty() ? "tag " + quoted(f.tag) : "branch " + quoted(f.branch);
    if (f.event == "push") {
        if (f.deleted) return "deletion of " + ref;
        if (!f.tag.empty()) return "push of " + ref;
        return "push to " + quoted(f.branch);
    }
    if (f.event == "create" || f.event == "delete") return f.event + " of " + ref;
    if (f.pr_number) {
        std::string s = f.event + " #" + std::to_string(*f.pr_number);
        if (!f.branch.empty()) s += " from " + quoted(f.branch);
        if (!f.base_ref.empty()) s += " into " + quoted(f.base_ref);
        return s;
    }
    if (f.event == "merge_group" && !f.base_ref.empty()) return f.event + " into " + quoted(f.base_ref);
    if (!f.branch.empty()) return f.event + " on " + quoted(f.branch);
    if (!f.tag.empty()) return f.event + " on " + ref;
    return f.event;
}

std::string decision_line(std::string_view command, const std::string& what, const policy::Resolution& r) {
    using github::escape_markdown;
    std::string target;
    if (r.action == policy::Action::none)
        target = "none";
    else if (r.environment.empty())
        target = std::string(policy::action_name(r.action));
    else
        target = "**" + escape_markdown(r.environment) + "**: " + std::string(policy::action_name(r.action));
    return "**sbdeploy " + std::string(command) + "**: " + escape_markdown(what) + " -> " + target + " (" +
           escape_markdown(r.reason) + ")\n";
}

Result<Target> resolve_environment(Context& ctx) {
    Target t;
    auto runner = github::RunnerContext::from(ctx.env);
    std::optional<std::string> override_env = ctx.options.get("environment");
    // Under Actions (or with an event given) the branch mapping decides; in a terminal
    // the target is whatever --environment / --db-url say.
    bool has_event = !runner.event_name.empty() || ctx.options.get("event-path").has_value();
    if (has_event) {
        auto run = resolve_run(ctx);
        if (!run) return fail(std::move(run.error()));
        t.facts = std::move(run->facts);
        t.environment = run->resolution.environment;
        t.reason = run->resolution.reason;
        t.action = run->resolution.action;
        if (t.action == policy::Action::none) {
            t.nothing_to_do = true;
            return t;
        }
        if (ctx.command == "push" && t.action != policy::Action::push && !override_env)
            return fail(ErrorKind::config,
                        "push: this run only validates (" + t.reason + "); nothing is pushed from it",
                        "run 'sbdeploy validate' on pull requests, and push on the push event of the merged branch");
        return t;
    }
    // The mapping options are still checked, so a bad one fails the same way everywhere.
    if (auto mapping = configured_mapping(ctx); !mapping) return fail(std::move(mapping.error()));
    t.action = ctx.command == "validate" ? policy::Action::validate
               : ctx.command == "push"   ? policy::Action::push
                                         : policy::Action::none;
    if (override_env) {
        if (!policy::is_environment_name(*override_env))
            return fail(ErrorKind::usage,
                        "option --environment: " + quoted(*override_env) + " is not an environment name",
                        "environment names are letters, digits, \"-\" and \"_\", such as staging or production");
        t.environment = *override_env;
        t.reason = "--environment selects " + *override_env;
    } else {
        t.reason = "no GitHub event and no --environment given";
    }
    return t;
}

Result<Target> resolve_target(Context& ctx, MissingOnFork on_fork) {
    auto t = resolve_environment(ctx);
    if (!t || t->nothing_to_do) return t;
    bool terminal_default = t->facts.event.empty() && t->environment.empty();
    auto located = locate(ctx, *t, Sources::run, ctx.command);
    if (!located) {
        if (on_fork == MissingOnFork::offline && is_pull_request(t->facts) && t->facts.fork &&
            located.error().kind == ErrorKind::config) {
            t->offline = true;
            std::string_view message = located.error().message;
            std::string prefix = std::string(ctx.command) + ": ";
            if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
            t->offline_reason = std::string(message);
            return t;
        }
        return fail(std::move(located.error()));
    }
    if (terminal_default)
        t->reason = "no GitHub event: the target is " + (t->url.empty() ? t->project_ref_source : t->url_source);
    return t;
}

namespace {

// Another environment's target (no mapping decision), from the given sources.
Result<Target> target_from(Context& ctx, const std::string& environment, const std::string& why, Sources sources) {
    Target t;
    t.environment = environment;
    t.reason = why;
    t.action = policy::Action::none;
    auto located = locate(ctx, t, sources, why);
    if (!located) return fail(std::move(located.error()));
    return t;
}

} // namespace

Result<Target> environment_target(Context& ctx, const std::string& environment, const std::string& why) {
    return target_from(ctx, environment, why, Sources::environment);
}

Result<Target> metrics_target(Context& ctx, const std::string& environment, const std::string& why) {
    return target_from(ctx, environment, why, Sources::metrics);
}

void record_decision(Context& ctx, Report& report, const Target& target) {
    policy::Resolution r{target.environment, target.action, target.reason};
    report.set("environment", target.nothing_to_do ? std::string() : target.environment);
    report.set("action", std::string(policy::action_name(r.action)));
    report.set("reason", r.reason);
    report.decision = decision_line(ctx.command, describe_run(target.facts), r);
}

} // namespace sbdeploy::cli

namespace sbdeploy::policy {

Result<Resolution> resolve(const github::RunFacts& facts, const std::optional<std::string>& environment_override,
                           const Mapping& mapping) {
    return resolve(cli::mapping_facts(facts), environment_override, mapping);
}

} // namespace sbdeploy::policy
