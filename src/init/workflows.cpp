#include "init/workflows.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace sbdeploy::init {

namespace {

// The templates. %ACTIONS%, %REF%, %PRODUCTION%, %STAGING% and %EXPECT% are replaced; a line
// `%ENV a b%` becomes the job's env: block with the targets of environments a and b (their
// database URL secrets, or the Management API token when config.toml names their project) and
// SBDEPLOY_WORKDIR when the project is in a subfolder, or nothing when there is none.
// Third-party actions are pinned by commit SHA; values reach run: scripts through env: only.
constexpr std::string_view kCheckout = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2";

constexpr std::string_view kValidate =
    R"yaml(# Written by sbdeploy init. Pull requests and merge queues: every migration is dry-run against
# the database its base branch deploys to (a pull request into %STAGING% against staging, into
# %PRODUCTION% against production), and a pull request into %PRODUCTION% must come from %STAGING% or
# hotfix/*. Make the job "validate-migrations" a required status check of both branches.
name: migrations-validate
on:
  pull_request:
    branches: [%STAGING%, %PRODUCTION%]
  merge_group:
permissions:
  contents: read
jobs:
  validate-migrations:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    %ENV staging production%
    steps:
      - uses: %CHECKOUT%
      - id: changes
        uses: %ACTIONS%/paths-filter-migrations@%REF%
      - if: steps.changes.outputs.migrations != 'true' && github.base_ref != '%PRODUCTION%' && github.event.merge_group.base_ref != 'refs/heads/%PRODUCTION%'
        env:
          BASE: ${{ steps.changes.outputs.base }}
        run: |
          echo "validate-migrations skipped: no migration changed since $BASE" >>"$GITHUB_STEP_SUMMARY"
      - if: steps.changes.outputs.migrations == 'true' || github.base_ref == '%PRODUCTION%' || github.event.merge_group.base_ref == 'refs/heads/%PRODUCTION%'
        uses: %ACTIONS%/validate-migrations@%REF%
        with:
          validate-against: base
)yaml";

constexpr std::string_view kStaging =
    R"yaml(# Written by sbdeploy init. A merge into %STAGING%: the pending migrations are applied to
# staging, the objects of %EXPECT% verified, and nothing may be left pending.
name: migrations-staging
on:
  push:
    branches: [%STAGING%]
concurrency:
  group: migrations-staging
  cancel-in-progress: false
permissions:
  contents: read
jobs:
  push-migrations:
    runs-on: ubuntu-latest
    environment: staging
    timeout-minutes: 15
    %ENV staging%
    steps:
      - uses: %CHECKOUT%
        with:
          fetch-depth: 0
      - id: push
        uses: %ACTIONS%/push-migrations@%REF%
      - id: verify
        uses: %ACTIONS%/verify-migrations@%REF%
        with:
          expect-file: %EXPECT%
      - id: pending
        uses: %ACTIONS%/status-migrations@%REF%
        with:
          fail-on-pending: true
)yaml";

constexpr std::string_view kProduction =
    R"yaml(# Written by sbdeploy init. A merge into %PRODUCTION% (from %STAGING%, or a hotfix/* pull
# request): the promotion gate lets through only what staging ran first (a hotfix's with a
# warning: merge it back into %STAGING%); then the objects of %EXPECT% are verified,
# nothing may be left pending, and the deployment is recorded in the delivery metrics whatever
# its outcome. The GitHub environment "production" can require a reviewer before the job starts.
name: migrations-production
on:
  push:
    branches: [%PRODUCTION%]
concurrency:
  group: migrations-production
  cancel-in-progress: false
permissions:
  contents: read
  pull-requests: read
jobs:
  push-migrations:
    runs-on: ubuntu-latest
    environment: production
    timeout-minutes: 15
    %ENV production staging%
    steps:
      - uses: %CHECKOUT%
        with:
          fetch-depth: 0
      - id: push
        uses: %ACTIONS%/push-migrations@%REF%
      - id: verify
        uses: %ACTIONS%/verify-migrations@%REF%
        with:
          expect-file: %EXPECT%
      - id: pending
        uses: %ACTIONS%/status-migrations@%REF%
        with:
          fail-on-pending: true
      - if: always() && steps.push.outputs.action == 'push'
        uses: %ACTIONS%/record-metrics@%REF%
        with:
          deployment-status: ${{ job.status }}
          applied-count: ${{ steps.push.outputs.applied_count }}
          environment: production
)yaml";

constexpr std::string_view kMetrics =
    R"yaml(# Written by sbdeploy init. Pull requests and staging deployments recorded in the delivery
# metrics of the production database (production's deployments record themselves).
name: migrations-metrics
on:
  pull_request:
    types: [opened, reopened, ready_for_review, closed]
  workflow_run:
    workflows: [migrations-staging]
    types: [completed]
permissions:
  contents: read
jobs:
  record-metrics:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    %ENV production%
    steps:
      - uses: %ACTIONS%/record-metrics@%REF%
)yaml";

struct Template {
    std::string_view path;
    std::string_view text;
};

constexpr Template kWorkflows[] = {
    {".github/workflows/migrations-validate.yml", kValidate},
    {".github/workflows/migrations-staging.yml", kStaging},
    {".github/workflows/migrations-production.yml", kProduction},
    {".github/workflows/migrations-metrics.yml", kMetrics},
};

// Which environments' targets each workflow's job reads (its %ENV% line), for the secrets list.
struct Scope {
    std::string_view scope;
    std::string_view used_by;
    std::vector<std::string_view> environments;
};

const std::vector<Scope>& scopes() {
    static const std::vector<Scope> s = {
        {"environment staging", "migrations-staging", {"staging"}},
        {"environment production", "migrations-production", {"production", "staging"}},
        {"repository", "migrations-validate, migrations-metrics", {"staging", "production"}},
    };
    return s;
}

std::string upper(std::string_view env) { return util::replace_all(util::to_upper(env), "-", "_"); }

// (variable, secret) pairs of a job reading the targets of `environments`.
std::vector<std::pair<std::string, std::string>> target_variables(const WorkflowSettings& s,
                                                                  const std::vector<std::string_view>& environments) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto env : environments) {
        std::pair<std::string, std::string> v =
            s.api_environments.contains(env)
                ? std::pair<std::string, std::string>{"SUPABASE_ACCESS_TOKEN", "SUPABASE_ACCESS_TOKEN"}
                : std::pair<std::string, std::string>{"SBDEPLOY_" + upper(env) + "_DB_URL", upper(env) + "_DB_URL"};
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    }
    return out;
}

std::string env_block(const WorkflowSettings& s, std::string_view indent, std::string_view spec) {
    auto words = util::split(spec, ' ');
    std::vector<std::string_view> environments(words.begin(), words.end());
    std::string out;
    for (const auto& [variable, secret] : target_variables(s, environments))
        out += std::string(indent) + "  " + variable + ": ${{ secrets." + secret + " }}\n";
    if (!s.project_dir.empty()) out += std::string(indent) + "  SBDEPLOY_WORKDIR: " + s.project_dir + "\n";
    return out.empty() ? out : std::string(indent) + "env:\n" + out;
}

std::string render(const WorkflowSettings& s, std::string_view text) {
    std::string out;
    for (const auto& line : util::split(text, '\n')) {
        auto t = util::trim(line);
        if (t.starts_with("%ENV ") && t.ends_with('%')) {
            out += env_block(s, std::string_view(line).substr(0, line.find('%')), t.substr(5, t.size() - 6));
            continue;
        }
        out += line;
        out += '\n';
    }
    if (out.ends_with("\n\n")) out.pop_back();  // split leaves one empty line after the last newline
    for (const auto& [key, value] : {std::pair<std::string_view, std::string>{"%ACTIONS%", s.actions},
                                     {"%REF%", s.ref},
                                     {"%PRODUCTION%", s.production_branch},
                                     {"%STAGING%", s.staging_branch},
                                     {"%EXPECT%", std::string(kExpectFile)},
                                     {"%CHECKOUT%", std::string(kCheckout)}})
        out = util::replace_all(out, key, value);
    return out;
}

} // namespace

std::vector<GeneratedFile> release_workflows(const WorkflowSettings& s) {
    std::vector<GeneratedFile> files;
    for (const auto& t : kWorkflows) files.push_back({std::string(t.path), render(s, t.text)});
    return files;
}

GeneratedFile expect_file(const WorkflowSettings& s) {
    std::string path = s.project_dir.empty() ? std::string(kExpectFile)
                                             : s.project_dir + "/" + std::string(kExpectFile);
    return {path, "# Written by sbdeploy init: what must exist after every push to staging and production\n"
                  "# ('sbdeploy verify --help'). One object a line; add your own, for example:\n"
                  "#   table:public.profiles   rls:public.profiles   column:public.profiles.email\n"
                  "#   function:public.handle_new_user   policy:public.profiles:Users read their own profile\n"
                  "schema:supabase_migrations\n"};
}

std::vector<SecretScope> required_secrets(const WorkflowSettings& s) {
    std::vector<SecretScope> out;
    for (const auto& sc : scopes()) {
        SecretScope scope{std::string(sc.scope), std::string(sc.used_by), {}};
        for (const auto& [variable, secret] : target_variables(s, sc.environments)) scope.names.push_back(secret);
        out.push_back(std::move(scope));
    }
    return out;
}

std::vector<std::string> protected_branches(const WorkflowSettings& s) {
    return {s.staging_branch, s.production_branch};
}

} // namespace sbdeploy::init
