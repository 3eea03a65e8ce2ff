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
import { history, METRICS, MOODS, pullRequest, push, run, scenarios as releaseProcess } from "./release_process.mjs";

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

// Staging as the Staging deployment example leaves it; the repository and its URL.
async function deployedStaging() {
  const repo = repository();
  const staging = freshDatabase();
  const r = await run(workflows["Staging deployment"], push("staging", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: staging } });
  assert.equal(r.ok, true, r.log);
  return { repo, staging, r };
}

const scenarios = {
  ...releaseProcess,
  "Validate migrations": async (workflow) => {
    const repo = repository();
    const staging = freshDatabase();
    const production = freshDatabase();
    const secrets = { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production };
    const intoStaging = await run(workflow, pullRequest("staging", repo), { workspace: repo.root, secrets });
    assert.equal(intoStaging.ok, true, intoStaging.log);
    assert.equal(intoStaging.step.changes.outputs.migrations, "true");
    const validate = intoStaging.steps.at(-1);
    assert.equal(validate.outputs.environment, "staging");
    assert.equal(validate.outputs.valid, "true");
    assert.equal(validate.outputs.pending_count, "2");
    assert.equal(psql(staging, "select count(*) from pg_tables where schemaname in ('public', 'metrics')"), "0", "a dry run");

    // Into main from a feature branch: the pull request guard fails the check.
    const intoMain = await run(workflow, pullRequest("main", repo), { workspace: repo.root, secrets });
    assert.equal(intoMain.ok, false);
    assert.equal(intoMain.steps.at(-1).outcome, "failure");
    assert.equal(intoMain.steps.at(-1).outputs.valid, "false");
    assert.match(intoMain.annotations.find((a) => a.command === "error").message, /^pull request #5 from "feature\/moods" into "main": only the staging branch/);
  },

  "Staging deployment": async () => {
    const { staging, r } = await deployedStaging();
    const pushed = r.steps.at(-1);
    assert.equal(pushed.outputs.environment, "staging");
    assert.equal(pushed.outputs.applied_count, "2");
    assert.equal(pushed.outputs.verified, "true");
    assert.equal(history(staging), "moods,sbdeploy_metrics_schema");
  },

  "Production deployment": async (workflow) => {
    const health = await startServer("health.mjs");
    const options = (repo, staging, production) => ({
      workspace: repo.root,
      secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production },
      vars: { PRODUCTION_HEALTH_URL: `${health}/ok` },
    });
    // Before staging ran them, the gate refuses the migrations; the failure is recorded (into
    // a production database that has the metrics schema already).
    const early = repository();
    const unpromoted = metricsDatabase();
    const refused = await run(workflow, push("main", early), options(early, freshDatabase(), unpromoted));
    assert.equal(refused.ok, false);
    assert.equal(refused.step.push.outputs.promotion, "refused");
    assert.equal(refused.steps.at(-1).outcome, "success", refused.log);
    assert.equal(psql(unpromoted, "select count(*) from pg_tables where schemaname = 'public'"), "0");
    assert.equal(psql(unpromoted, "select environment || '|' || status from metrics.deployment_events"), "production|failure");

    const { repo, staging } = await deployedStaging();
    const production = freshDatabase();
    const r = await run(workflow, push("main", repo), options(repo, staging, production));
    assert.equal(r.ok, true, r.log);
    assert.equal(r.step.push.outputs.promotion, "passed");
    assert.equal(r.step.push.outputs.applied_count, "2");
    assert.equal(r.step.push.outputs.verified, "true");
    assert.equal(history(production), "moods,sbdeploy_metrics_schema");
    assert.equal(psql(production, "select environment || '|' || status from metrics.deployment_events"), "production|success");
  },

  "Record metrics": async (workflow) => {
    const production = metricsDatabase();
    const github = pullRequest("staging", repository(), { action: "closed", merged: true });
    const record = () => run(workflow, github, { workspace: tempDir(), secrets: { PRODUCTION_DB_URL: production } });
    const first = await record();
    assert.equal(first.ok, true, first.log);
    assert.equal(first.steps.at(-1).outputs.pr_events, "1");
    assert.equal(psql(production, "select pr_title || '|' || branch_name || '|' || cycle_time_seconds from metrics.pr_events"), "feat: moods|feature/moods|3600");
    const again = await record();
    assert.equal(again.ok, true, again.log);
    assert.equal(again.steps.at(-1).outputs.recorded, "0", "recording twice adds nothing");

    // The other events it takes: a finished Staging deployment run, a deployment status.
    const finished = {
      eventName: "workflow_run",
      ref: "refs/heads/main",
      event: {
        action: "completed",
        workflow_run: { id: 77, run_attempt: 1, name: "Staging deployment", head_branch: "staging", head_sha: "c".repeat(40), conclusion: "success", run_started_at: "2025-01-02T10:00:00Z", updated_at: "2025-01-02T10:02:00Z" },
        repository: { full_name: "acme/app" },
      },
    };
    const status = {
      eventName: "deployment_status",
      ref: "refs/heads/main",
      event: {
        deployment_status: { id: 88, state: "failure", environment: "production", created_at: "2025-01-03T10:00:00Z" },
        deployment: { sha: "d".repeat(40), ref: "main", environment: "production", created_at: "2025-01-03T09:59:00Z" },
        repository: { full_name: "acme/app" },
      },
    };
    for (const github of [finished, status]) {
      const r = await run(workflow, github, { workspace: tempDir(), secrets: { PRODUCTION_DB_URL: production } });
      assert.equal(r.ok, true, r.log);
      assert.equal(r.steps.at(-1).outputs.deployment_events, "1", github.eventName);
    }
    assert.equal(
      psql(production, "select string_agg(source || '|' || environment || '|' || status || '|' || duration_seconds, ',' order by deployed_at) from metrics.deployment_events"),
      "workflow_run|staging|success|120,deployment_status|production|failure|60",
    );
  },

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
