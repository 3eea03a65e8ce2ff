// The workflows `sbdeploy init` writes, run end to end: a sample repository (main and staging
// branches, supabase/config.toml, the metrics schema as a migration on main and a feature branch
// adding a table), `sbdeploy init` run in it, and one scenario per workflow on the events its
// on: takes, against fresh databases of the test PostgreSQL. Used by init.test.mjs on the files
// init writes and by readme.test.mjs on README's "The release process" blocks (the same files).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { appendFileSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runJob, runsFor } from "./workflow.mjs";
import { binary, freshDatabase, git, metricsDatabase, pathWithBinary, psql, tempDir, writeFiles } from "./support.mjs";

const PATH = pathWithBinary();

const [metricsLine, ...metricsSql] = execFileSync(binary(), ["metrics", "schema"], { encoding: "utf8" }).split("\n");
export const METRICS = { [/^-- save as (\S+)$/.exec(metricsLine)[1]]: metricsSql.join("\n") };
export const MOODS = { "supabase/migrations/20240101000000_moods.sql": "create table public.moods (id int primary key);\nalter table public.moods enable row level security;\n" };

// Runs `sbdeploy init ARGS` in `root`.
export function init(root, args = [], env = {}) {
  return spawnSync(binary(), ["init", ...args], { cwd: root, env: { PATH, HOME: root, ...env }, encoding: "utf8" });
}

const under = (dir, files) => Object.fromEntries(Object.entries(files).map(([name, text]) => [dir ? `${dir}/${name}` : name, text]));

// The sample repository, checked out on the feature branch, with what init wrote (`initArgs`);
// the Supabase project in the subfolder `dir` when given (init run there).
export function sampleRepository(initArgs = [], dir = "") {
  const root = tempDir("sbdeploy-init-");
  git(root, "init", "-q", "-b", "main");
  writeFiles(root, under(dir, { "supabase/config.toml": 'project_id = "moods"\n', ...METRICS }));
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "chore: metrics schema");
  git(root, "branch", "staging");
  const base = git(root, "rev-parse", "HEAD");
  git(root, "checkout", "-q", "-b", "feature/moods");
  writeFiles(root, under(dir, MOODS));
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "feat: moods");
  const r = init(join(root, dir), initArgs);
  assert.equal(r.status, 0, r.stderr);
  // As a team would: the new table among what verify checks after each push.
  appendFileSync(join(root, dir, "supabase", "verify.txt"), "table:public.moods\nrls:public.moods\n");
  return { root, base, head: git(root, "rev-parse", "HEAD"), init: r };
}

// The workflows init wrote in `root`, as { name: { name, file, content } } by their name:.
export function writtenWorkflows(root) {
  const dir = join(root, ".github", "workflows");
  return Object.fromEntries(
    readdirSync(dir).sort().map((f) => {
      const content = readFileSync(join(dir, f), "utf8");
      return [/^name: (.*)$/m.exec(content)[1], { name: `.github/workflows/${f}`, file: f, content }];
    }),
  );
}

export const push = (branch, repo) => ({
  eventName: "push",
  ref: `refs/heads/${branch}`,
  sha: repo.head,
  event: { ref: `refs/heads/${branch}`, before: repo.base, after: repo.head, commits: [{ id: repo.head, message: "feat: moods" }] },
});

export const pullRequest = (base, repo, { action = "opened", merged = false } = {}) => ({
  eventName: "pull_request",
  ref: "refs/pull/5/merge",
  headRef: "feature/moods",
  baseRef: base,
  sha: repo.head,
  event: {
    action,
    number: 5,
    pull_request: {
      number: 5,
      title: "feat: moods",
      state: merged ? "closed" : "open",
      merged,
      draft: false,
      created_at: "2025-01-01T10:00:00Z",
      merged_at: merged ? "2025-01-01T11:00:00Z" : null,
      closed_at: merged ? "2025-01-01T11:00:00Z" : null,
      user: { login: "octocat" },
      base: { ref: base, sha: repo.base, repo: { full_name: "acme/app" } },
      head: { ref: "feature/moods", sha: repo.head, repo: { full_name: "acme/app" } },
    },
    repository: { full_name: "acme/app", default_branch: "main" },
  },
});

// octokit's merge_group example (a queue into main), on the sample repository's commits.
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples/api.github.com/index.json");
export function mergeGroup(repo) {
  const event = structuredClone(examples.find((e) => e.name === "merge_group").examples.find((x) => x.action === "checks_requested"));
  Object.assign(event.merge_group, { base_sha: repo.base, head_sha: repo.head });
  event.merge_group.head_commit.id = repo.head;
  return { eventName: "merge_group", ref: event.merge_group.head_ref, sha: repo.head, repository: event.repository.full_name, event };
}

export const history = (url) => psql(url, "select coalesce(string_agg(name, ',' order by version), '') from supabase_migrations.schema_migrations");

export async function run(workflow, github, options) {
  assert.ok(runsFor(workflow.content, github), `${workflow.name} does not run for ${github.eventName} ${github.ref ?? ""}`);
  return runJob(workflow.content, { github, path: PATH, ...options });
}

// Staging after "migrations-staging" ran on the sample repository.
async function deployedStaging(workflows) {
  const repo = sampleRepository();
  const staging = freshDatabase();
  const r = await run(workflows ?? writtenWorkflows(repo.root)["migrations-staging"], push("staging", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: staging } });
  assert.equal(r.ok, true, r.log);
  return { repo, staging, r };
}

const outcomes = (r) => r.steps.map((s) => `${s.id}:${s.outcome ?? "skipped"}`).join(" ");

// One scenario per workflow, by its name:; `workflow` is { name, content }.
export const scenarios = {
  "migrations-validate": async (workflow) => {
    const repo = sampleRepository();
    const secrets = { STAGING_DB_URL: freshDatabase(), PRODUCTION_DB_URL: freshDatabase() };
    const intoStaging = await run(workflow, pullRequest("staging", repo), { workspace: repo.root, secrets });
    assert.equal(intoStaging.ok, true, intoStaging.log);
    assert.equal(intoStaging.step.changes.outputs.migrations, "true");
    assert.equal(intoStaging.steps.at(-1).outputs.environment, "staging");
    assert.equal(intoStaging.steps.at(-1).outputs.valid, "true");
    assert.equal(intoStaging.steps.at(-1).outputs.pending_count, "2");
    assert.equal(psql(secrets.STAGING_DB_URL, "select count(*) from pg_tables where schemaname in ('public', 'metrics')"), "0", "a dry run");
    // Into main from a feature branch: the required check fails.
    const intoMain = await run(workflow, pullRequest("main", repo), { workspace: repo.root, secrets });
    assert.equal(intoMain.ok, false);
    assert.equal(intoMain.steps.at(-1).outputs.valid, "false");
    assert.match(intoMain.annotations.find((a) => a.command === "error").message, /^pull request #5 from "feature\/moods" into "main": only the staging branch/);
    // A merge queue into main: the required check runs (and validates against production).
    const queued = await run(workflow, mergeGroup(repo), { workspace: repo.root, secrets });
    assert.equal(queued.ok, true, queued.log);
    assert.equal(queued.steps.at(-1).outcome, "success");
    assert.equal(queued.steps.at(-1).outputs.environment, "production");
    assert.equal(queued.steps.at(-1).outputs.pending_count, "2");
  },

  "migrations-staging": async (workflow) => {
    const { staging, r } = await deployedStaging(workflow);
    assert.equal(outcomes(r), "__0:success push:success verify:success pending:success");
    assert.equal(r.step.push.outputs.environment, "staging");
    assert.equal(r.step.push.outputs.applied_count, "2");
    assert.equal(r.step.verify.outputs.verified, "true");
    assert.equal(r.step.pending.outputs.pending_count, "0");
    assert.equal(history(staging), "moods,sbdeploy_metrics_schema");
    // What verify checks is the team's file: a missing object fails the deployment.
    const repo = sampleRepository();
    appendFileSync(join(repo.root, "supabase", "verify.txt"), "table:public.profiles\n");
    const missing = await run(workflow, push("staging", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: freshDatabase() } });
    assert.equal(missing.ok, false);
    assert.equal(missing.step.verify.outcome, "failure", missing.log);
    assert.match(missing.step.verify.outputs.missing, /public\.profiles/);
  },

  "migrations-production": async (workflow) => {
    // Before staging ran them, the gate refuses the migrations; the failed deployment is
    // recorded (in a production database that has the metrics schema already).
    const early = sampleRepository();
    const unpromoted = metricsDatabase();
    const refused = await run(workflow, push("main", early), { workspace: early.root, secrets: { STAGING_DB_URL: freshDatabase(), PRODUCTION_DB_URL: unpromoted } });
    assert.equal(refused.ok, false);
    assert.equal(refused.step.push.outputs.promotion, "refused");
    assert.equal(refused.steps.at(-1).outcome, "success", refused.log);
    assert.equal(psql(unpromoted, "select environment || '|' || status from metrics.deployment_events"), "production|failure");

    const { repo, staging } = await deployedStaging();
    const production = freshDatabase();
    const r = await run(workflow, push("main", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production } });
    assert.equal(r.ok, true, r.log);
    assert.equal(outcomes(r), "__0:success push:success verify:success pending:success __4:success");
    assert.equal(r.step.push.outputs.promotion, "passed");
    assert.equal(r.step.push.outputs.applied_count, "2");
    assert.equal(r.step.verify.outputs.verified, "true");
    assert.equal(r.step.pending.outputs.pending_count, "0");
    assert.equal(history(production), "moods,sbdeploy_metrics_schema");
    assert.equal(psql(production, "select environment || '|' || status || '|' || migrations_applied from metrics.deployment_events"), "production|success|2");
  },

  "migrations-metrics": async (workflow) => {
    const production = metricsDatabase();
    const repo = sampleRepository();
    const merged = await run(workflow, pullRequest("staging", repo, { action: "closed", merged: true }), { workspace: repo.root, secrets: { PRODUCTION_DB_URL: production } });
    assert.equal(merged.ok, true, merged.log);
    assert.equal(merged.steps.at(-1).outputs.pr_events, "1");
    const finished = {
      eventName: "workflow_run",
      ref: "refs/heads/main",
      event: {
        action: "completed",
        workflow_run: { id: 77, run_attempt: 1, name: "migrations-staging", head_branch: "staging", head_sha: "c".repeat(40), conclusion: "success", run_started_at: "2025-01-02T10:00:00Z", updated_at: "2025-01-02T10:02:00Z" },
        repository: { full_name: "acme/app" },
      },
    };
    const staged = await run(workflow, finished, { workspace: repo.root, secrets: { PRODUCTION_DB_URL: production } });
    assert.equal(staged.ok, true, staged.log);
    assert.equal(psql(production, "select environment || '|' || status from metrics.deployment_events"), "staging|success");
  },
};
