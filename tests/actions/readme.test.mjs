// Every example workflow of README.md runs as written: its text untouched, the job run by the job
// runner with `org/sbdeploy/<name>@v1` resolved against this checkout, on an event its on:
// takes, against fresh databases of the test PostgreSQL (the ctest fixture `pg`). The test
// supplies only what GitHub would: the event, secrets, vars and the checked-out project.
import { test } from "node:test";
import assert from "node:assert/strict";
import YAML from "yaml";
import { readmeWorkflows } from "./checks.mjs";
import { matrixOf } from "./workflow.mjs";
import { freshDatabase, git, metricsDatabase, psql, startServer, tempDir, writeFiles } from "./support.mjs";
// "The release process": the workflows sbdeploy init writes, run by their own scenarios.
import { history, mergeGroup, METRICS, MOODS, pullRequest, push, run, scenarios as releaseProcess } from "./release_process.mjs";

// The project: the metrics schema as a migration (it goes staging first, like any schema
// change) on main (METRICS), and a branch adding the table the README's expect checks (MOODS).
function repository() {
  const root = tempDir("sbdeploy-repo-");
  git(root, "init", "-q", "-b", "main");
  writeFiles(root, METRICS);
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "chore: metrics schema");
  const base = git(root, "rev-parse", "HEAD");
  git(root, "checkout", "-q", "-b", "feature/moods");
  writeFiles(root, MOODS);
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "feat: moods");
  return { root, base, head: git(root, "rev-parse", "HEAD") };
}

const workflows = Object.fromEntries(readmeWorkflows().map((w) => [/^name: (.*)$/m.exec(w.content)[1], w]));

// Staging as the first workflow's push to staging leaves it; the repository and its URL.
async function deployedStaging() {
  const repo = repository();
  const staging = freshDatabase();
  const secrets = { STAGING_DB_URL: staging, PRODUCTION_DB_URL: metricsDatabase() };
  const r = await run(workflows.Migrations, push("staging", repo), { job: "push-migrations", workspace: repo.root, secrets });
  assert.equal(r.ok, true, r.log);
  return { repo, staging, r };
}

// The README's first workflow: every job on the events of the seeds' process, in its order.
async function wholeProcess(workflow) {
  const repo = repository();
  const staging = freshDatabase();
  const production = metricsDatabase();
  const secrets = { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production };
  let runs = 2000; // each workflow run its own GITHUB_RUN_ID, as on GitHub
  const job = (name, github) => run(workflow, { ...github, runId: String(runs++) }, { job: name, workspace: repo.root, secrets });
  const deployments = () => psql(production, "select coalesce(string_agg(environment || '|' || status || '|' || migrations_applied, ',' order by id), '') from metrics.deployment_events");

  // A pull request into staging: dry-run against staging (nothing stays), recorded, no push.
  const opened = pullRequest("staging", repo);
  const validated = await job("validate-migrations", opened);
  assert.equal(validated.ok, true, validated.log);
  assert.equal(validated.steps.at(-1).outputs.environment, "staging");
  assert.equal(validated.steps.at(-1).outputs.valid, "true");
  assert.equal(validated.steps.at(-1).outputs.pending_count, "2");
  const tables = (url) => psql(url, "select count(*) from pg_tables where schemaname in ('public', 'supabase_migrations')");
  assert.equal(tables(staging), "0", "a dry run");
  assert.equal((await job("push-migrations", opened)).skipped, true);
  const recorded = await job("record-metrics", opened);
  assert.equal(recorded.ok, true, recorded.log);
  assert.equal(recorded.steps.at(-1).outputs.pr_events, "1");

  // From a feature branch into main: the required check fails (only staging merges to main).
  const intoMain = await job("validate-migrations", pullRequest("main", repo));
  assert.equal(intoMain.ok, false);
  assert.match(intoMain.annotations.find((a) => a.command === "error").message, /^pull request #5 from "feature\/moods" into "main": only the staging branch/);

  // A merge queue into main: the same check, against production; nothing else runs on it.
  const queued = await job("validate-migrations", mergeGroup(repo));
  assert.equal(queued.ok, true, queued.log);
  assert.equal(queued.steps.at(-1).outputs.environment, "production");
  assert.equal(queued.steps.at(-1).outputs.pending_count, "2");
  assert.equal((await job("record-metrics", mergeGroup(repo))).skipped, true);
  assert.equal((await job("push-migrations", mergeGroup(repo))).skipped, true);

  // A push to main before staging ran the migrations: the gate refuses, the failure is recorded.
  const early = await job("push-migrations", push("main", repo));
  assert.equal(early.ok, false);
  assert.equal(early.step.push.outputs.promotion, "refused");
  assert.equal(early.steps.at(-1).outcome, "success", early.log);
  // Nothing applied or recorded; the push set up its empty history table while it read the
  // history (one round trip), as supabase db push does before it applies.
  assert.equal(psql(production, "select count(*) from pg_tables where schemaname = 'public'"), "0");
  assert.equal(psql(production, "select count(*) from supabase_migrations.schema_migrations"), "0");

  // The merge into staging pushes to staging; then main's push passes the gate.
  const closed = await job("record-metrics", pullRequest("staging", repo, { action: "closed", merged: true }));
  assert.equal(closed.ok, true, closed.log);
  assert.equal(await job("validate-migrations", pullRequest("staging", repo, { action: "closed", merged: true })).then((r) => r.skipped), true);
  const toStaging = await job("push-migrations", push("staging", repo));
  assert.equal(toStaging.ok, true, toStaging.log);
  assert.equal(toStaging.step.push.outputs.environment, "staging");
  assert.equal(history(staging), "moods,sbdeploy_metrics_schema");
  const toProduction = await job("push-migrations", push("main", repo));
  assert.equal(toProduction.ok, true, toProduction.log);
  assert.equal(toProduction.step.push.outputs.promotion, "passed");
  assert.equal(history(production), "moods,sbdeploy_metrics_schema");
  assert.equal(deployments(), "production|failure|0,staging|success|2,production|success|2");
  assert.equal(psql(production, "select string_agg(event_type, ',' order by id) from metrics.pr_events"), "opened,merged");
}

const scenarios = {
  ...releaseProcess,
  Migrations: wholeProcess,
  // check pending -> apply -> verify -> health check -> roll back on failure, in one job.
  Release: async (workflow) => {
    const health = await startServer("health.mjs");
    const dispatch = { eventName: "workflow_dispatch", ref: "refs/heads/main", event: { ref: "refs/heads/main", inputs: {} } };
    const options = (repo, staging, production, healthUrl) => ({
      workspace: repo.root,
      secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production },
      vars: { PRODUCTION_HEALTH_URL: healthUrl },
    });
    const steps = (r) => r.steps.map((s) => `${s.id ?? s.uses ?? s.name}:${s.outcome ?? "skipped"}`);

    // Healthy: the pending versions are applied and verified, nothing rolled back, nothing left pending.
    {
      const { repo, staging } = await deployedStaging();
      const production = freshDatabase();
      const r = await run(workflow, dispatch, options(repo, staging, production, `${health}/ok`));
      assert.equal(r.ok, true, r.log);
      assert.equal(r.step.pending.outputs.pending_count, "2");
      assert.equal(r.step.push.outputs.environment, "production");
      assert.equal(r.step.push.outputs.applied_count, "2");
      assert.equal(r.step.verify.outputs.verified, "true");
      assert.equal(r.step.health.outputs.verified, "true");
      assert.equal(r.steps.at(-2).outcome, "skipped", `no rollback: ${steps(r)}`);
      assert.equal(r.steps.at(-1).outputs.pending_count, "0");
      assert.equal(history(production), "moods,sbdeploy_metrics_schema");
      // Run again: nothing pending, the push is skipped, the checks still pass.
      const again = await run(workflow, dispatch, options(repo, staging, production, `${health}/ok`));
      assert.equal(again.ok, true, again.log);
      assert.equal(again.step.pending.outputs.pending_count, "0");
      assert.equal(again.step.push.outcome ?? "skipped", "skipped");
    }

    // The health check fails: what this run applied is rolled back with its down SQL.
    {
      const { repo, staging } = await deployedStaging();
      const downs = {};
      for (const file of git(repo.root, "ls-files", "supabase/migrations").split("\n"))
        downs[file.replace("supabase/migrations/", "supabase/migrations/down/")] = file.endsWith("_moods.sql")
          ? "drop table public.moods;\n"
          : "drop schema metrics cascade;\n";
      writeFiles(repo.root, downs);
      const production = freshDatabase();
      const r = await run(workflow, dispatch, options(repo, staging, production, `${health}/status/503`));
      assert.equal(r.ok, false, r.log);
      assert.equal(r.step.push.outputs.applied_count, "2");
      assert.equal(r.step.verify.outputs.verified, "true");
      assert.equal(r.step.health.outcome, "failure");
      const rollback = r.steps.at(-2);
      assert.equal(rollback.outcome, "success", `${steps(r)}\n${r.log}`);
      assert.equal(rollback.outputs.rolled_back_count, "2");
      assert.equal(history(production), "");
      assert.equal(psql(production, "select count(*) from pg_tables where schemaname in ('public', 'metrics')"), "0");
    }
  },

  "Tenant deployment": async (workflow) => {
    const { repo, staging } = await deployedStaging();
    const combinations = matrixOf(YAML.parse(workflow.content).jobs["push-migrations"]);
    assert.deepEqual(combinations, [{ tenant: "ACME" }, { tenant: "GLOBEX" }, { tenant: "INITECH" }]);
    const tenants = Object.fromEntries(combinations.map(({ tenant }) => [`${tenant}_DB_URL`, freshDatabase()]));
    for (const matrix of combinations) {
      const r = await run(workflow, push("main", repo), { workspace: repo.root, matrix, secrets: { STAGING_DB_URL: staging, ...tenants } });
      assert.equal(r.ok, true, r.log);
      assert.equal(r.steps.at(-1).outputs.promotion, "passed", matrix.tenant);
    }
    for (const url of Object.values(tenants)) assert.equal(history(url), "moods,sbdeploy_metrics_schema");
  },
};

test("every example workflow of README.md has a run here", () => {
  assert.deepEqual(Object.keys(workflows).sort(), Object.keys(scenarios).sort());
});

for (const [name, scenario] of Object.entries(scenarios)) test(`README.md: ${name}`, () => scenario(workflows[name]));
