// record-metrics run end to end by the local runner against a fresh database of the
// test PostgreSQL (the ctest fixture `pg`) with the metrics schema applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { actionDir, commandHelp, loadSpecOutputs, metricsDatabase, pathWithBinary, psql, tempDir, writeFiles } from "./support.mjs";

const built = commandHelp("record-metrics").built;
const skip = built ? false : "sbdeploy record-metrics is not built yet";
const PATH = built ? pathWithBinary() : "";

const written = new Set();
function collect(r) {
  for (const name of Object.keys(r.step.run.outputs)) written.add(name);
}

function mergedPullRequest({ title, head }) {
  return {
    eventName: "pull_request",
    ref: "refs/pull/42/merge",
    headRef: head,
    baseRef: "staging",
    repository: "acme/app",
    event: {
      action: "closed",
      number: 42,
      pull_request: {
        number: 42,
        title,
        state: "closed",
        merged: true,
        draft: false,
        created_at: "2025-01-01T10:00:00Z",
        merged_at: "2025-01-01T12:30:00Z",
        closed_at: "2025-01-01T12:30:00Z",
        updated_at: "2025-01-01T12:30:00Z",
        user: { login: "octocat" },
        head: { ref: head, sha: "a".repeat(40) },
        base: { ref: "staging", sha: "b".repeat(40) },
      },
      repository: { full_name: "acme/app", default_branch: "main" },
      sender: { login: "octocat" },
    },
  };
}

// A title and a branch name an attacker controls are stored as they are: data, never code
// (not in the shell, not in SQL).
test("record-metrics: a merged pull request with a hostile title, recorded once", { skip }, async () => {
  const url = metricsDatabase();
  const canary = join(tempDir("sbdeploy-canary-"), "pwned");
  const stubs = tempDir("sbdeploy-stubs-");
  for (const tool of ["rm", "touch"]) writeFiles(stubs, { [tool]: `#!/bin/sh\necho ran >${canary}\n` });
  execFileSync("chmod", ["+x", join(stubs, "rm"), join(stubs, "touch")]);
  const title = `fix: $(touch ${canary}) "; rm -rf / # $(id) '); drop table metrics.pr_events; -- \`touch ${canary}\``;
  const head = `feature/$(touch${"${IFS}"}${canary})";rm${"${IFS}"}-rf${"${IFS}"}/;#$(id)`;
  const run = () =>
    runAction(actionDir("record-metrics"), {
      workspace: tempDir(),
      github: mergedPullRequest({ title, head }),
      path: `${stubs}:${PATH}`,
      with: { "production-db-url": url },
    });
  const first = await run();
  collect(first);
  assert.equal(first.ok, true, first.log);
  assert.ok(Number(first.outputs.pr_events) >= 1, first.outputs.pr_events);
  assert.equal(first.outputs.recorded, String(Number(first.outputs.pr_events) + Number(first.outputs.rule_compliance_events) + Number(first.outputs.deployment_events) + Number(first.outputs.test_runs)));
  const rows = psql(url, "select pr_title || '|' || branch_name || '|' || coalesce(cycle_time_seconds::text, '') from metrics.pr_events where event_type = 'merged'");
  assert.equal(rows, `${title}|${head}|9000`);
  assert.equal(existsSync(canary), false);
  assert.doesNotMatch(first.log, /uid=\d+/);

  const again = await run();
  collect(again);
  assert.equal(again.ok, true, again.log);
  assert.equal(again.outputs.recorded, "0");
  assert.equal(again.outputs.skipped, String(Number(first.outputs.recorded)));
  assert.equal(psql(url, "select count(*) from metrics.pr_events where event_type = 'merged'"), "1");
});

test("record-metrics: this run's deployment, on a branch mapped to staging, goes to production's metrics", { skip }, async () => {
  const url = metricsDatabase();
  const r = await runAction(actionDir("record-metrics"), {
    workspace: tempDir(),
    github: { eventName: "push", ref: "refs/heads/staging", repository: "acme/app", sha: "c".repeat(40), event: { ref: "refs/heads/staging", after: "c".repeat(40), commits: [] } },
    path: PATH,
    with: { "production-db-url": url, "deployment-status": "success", "applied-count": "2", environment: "staging" },
  });
  collect(r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.deployment_events, "1");
  assert.equal(psql(url, "select environment || '|' || status || '|' || migrations_applied from metrics.deployment_events"), "staging|success|2");
});

test("record-metrics: declared outputs are exactly the ones sbdeploy writes", { skip }, () => {
  assert.deepEqual([...written].sort(), loadSpecOutputs("record-metrics").sort());
});
