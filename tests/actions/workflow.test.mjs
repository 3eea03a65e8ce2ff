// The job runner itself (workflow.mjs): a job's steps must run the way GitHub runs them, or the
// workflow tests prove nothing. Stand-in actions in a temporary checkout; no database.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { matrixOf, resolveUses, runJob, runsFor } from "./workflow.mjs";
import { sourceDir, tempDir, writeFiles } from "./support.mjs";

// A checkout of "sbdeploy" whose root action and `echo/` action echo an input and the
// environment, and write to GITHUB_ENV and GITHUB_PATH.
function checkout() {
  const root = tempDir("sbdeploy-checkout-");
  const echo = (name) => `name: ${name}
description: t
inputs:
  say:
    description: s
    default: nothing
outputs:
  said:
    description: s
    value: \${{ steps.run.outputs.said }}
runs:
  using: composite
  steps:
    - id: run
      shell: bash
      env:
        SAY: \${{ inputs.say }}
      run: |
        echo "said=${name}:$SAY:\${FROM_JOB:-}:\${FROM_STEP:-}" >>"$GITHUB_OUTPUT"
        echo "FROM_${name.toUpperCase()}=yes" >>"$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/${name}-bin" && printf '#!/bin/sh\\necho ${name}-tool\\n' >"$RUNNER_TEMP/${name}-bin/${name}-tool"
        chmod +x "$RUNNER_TEMP/${name}-bin/${name}-tool" && echo "$RUNNER_TEMP/${name}-bin" >>"$GITHUB_PATH"
`;
  writeFiles(root, { "action.yml": echo("root"), "echo/action.yml": echo("echo") });
  return root;
}

test("uses: this repository's actions by any owner and ref, ./ paths, and the stand-ins", () => {
  assert.equal(resolveUses("org/sbdeploy/push-migrations@v1"), join(sourceDir, "push-migrations"));
  assert.equal(resolveUses("someone/sbdeploy/record-metrics@0123456789012345678901234567890123456789"), join(sourceDir, "record-metrics"));
  assert.equal(resolveUses("org/sbdeploy@v1"), sourceDir);
  assert.equal(resolveUses("./validate-migrations"), join(sourceDir, "validate-migrations"));
  assert.equal(resolveUses("./"), sourceDir);
  assert.equal(resolveUses("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"), null);
  assert.equal(resolveUses("actions/setup-node@v4"), null);
  assert.throws(() => resolveUses("dorny/paths-filter@v3"), /uses: dorny\/paths-filter@v3 is not an action of this repository/);
  assert.throws(() => resolveUses("org/other/push-migrations@v1"), /uses: org\/other\/push-migrations@v1 is not/);
});

// Only the top-level folders are actions: the old path is gone, not a second copy.
test("uses: org/sbdeploy/actions/push-migrations@v1 no longer exists", async () => {
  const job = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: org/sbdeploy/actions/push-migrations@v1\n";
  await assert.rejects(runJob(job), /no action\.yml in ".*\/actions\/push-migrations"/);
});

test("a job: workflow, job and step env, if:, ids, outputs, GITHUB_ENV and GITHUB_PATH across steps and actions", async () => {
  const workflow = `name: t
on: push
env:
  LEVEL: workflow
  FROM_WORKFLOW: w
jobs:
  only:
    runs-on: ubuntu-latest
    env:
      LEVEL: job
      FROM_JOB: \${{ secrets.TOKEN }}
    outputs:
      said: \${{ steps.remote.outputs.said }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - id: first
        env:
          LEVEL: step
        run: |
          echo "level=$LEVEL $FROM_WORKFLOW" >>"$GITHUB_OUTPUT"
          echo "FROM_FIRST=\${LEVEL}-env" >>"$GITHUB_ENV"
          [[ $- == *e* ]] && ! shopt -qo pipefail && echo "bash -e, as a step without shell:"
      - id: remote
        uses: acme/sbdeploy/echo@v2
        env:
          FROM_STEP: s
        with:
          say: \${{ steps.first.outputs.level }} \${{ vars.WHO }} \${{ env.FROM_FIRST }} \${{ github.ref_name }}
      - id: root
        uses: ./
      - id: after
        shell: bash
        run: echo "seen=$FROM_ECHO $FROM_ROOT $(echo-tool) $(root-tool) \${FROM_STEP:-unset}" >>"$GITHUB_OUTPUT"
      - id: skipped
        if: steps.remote.outputs.said == 'no'
        run: echo never
      - id: fails
        run: exit 3
      - id: unreachable
        run: echo never
      - id: always
        if: always() && steps.fails.outcome == 'failure'
        run: echo "cleanup"
`;
  const r = await runJob(workflow, { checkout: checkout(), github: { ref: "refs/heads/dev" }, secrets: { TOKEN: "t0k" }, vars: { WHO: "mona" } });
  assert.equal(r.ok, false, "fails failed the job");
  assert.equal(r.step.first.outputs.level, "step w");
  assert.equal(r.step.first.stdout, "bash -e, as a step without shell:\n");
  assert.equal(r.step.remote.outputs.said, "echo:step w mona step-env dev:t0k:s");
  assert.equal(r.step.root.outputs.said, "root:nothing:t0k:");
  assert.equal(r.step.after.outputs.seen, "yes yes echo-tool root-tool unset");
  assert.deepEqual(
    r.steps.map((s) => [s.id, s.outcome]),
    [
      ["__0", "success"],
      ["first", "success"],
      ["remote", "success"],
      ["root", "success"],
      ["after", "success"],
      ["skipped", "skipped"],
      ["fails", "failure"],
      ["unreachable", "skipped"],
      ["always", "success"],
    ],
  );
  assert.equal(r.step.fails.exitCode, 3);
  assert.deepEqual(r.outputs, { said: "echo:step w mona step-env dev:t0k:s" });
  assert.deepEqual(r.env, { FROM_FIRST: "step-env", FROM_ECHO: "yes", FROM_ROOT: "yes" });
  await assert.rejects(runJob(workflow.replace("uses: ./", "uses: dorny/paths-filter@v3"), { checkout: checkout() }), /dorny\/paths-filter@v3/);
});

test("a job's if:, a matrix, a job given alone", async () => {
  const job = { jobs: { a: { if: "github.ref_name == 'main'", steps: [{ run: "echo ran" }] } } };
  assert.equal((await runJob(job, { github: { ref: "refs/heads/dev" } })).skipped, true);
  assert.equal((await runJob(job, { github: { ref: "refs/heads/main" } })).step.__0.stdout, "ran\n");
  assert.deepEqual(matrixOf({ strategy: { matrix: { a: [1, 2], b: ["x"] } } }), [
    { a: 1, b: "x" },
    { a: 2, b: "x" },
  ]);
  assert.deepEqual(matrixOf({}), [{}]);
  const matrix = { steps: [{ id: "s", env: { URL: "${{ secrets[format('{0}_URL', matrix.t)] }}" }, run: 'echo "url=$URL" >>"$GITHUB_OUTPUT"' }] };
  const r = await runJob(matrix, { matrix: { t: "ACME" }, secrets: { ACME_URL: "u" } });
  assert.equal(r.step.s.outputs.url, "u");
});

test("on: which events a workflow runs for", () => {
  const on = `on:
  push:
    branches: [staging, "release/*"]
  pull_request:
    types: [opened, closed]
    branches: [main]
  workflow_run:
    workflows: [Deploy]
    types: [completed]
  deployment_status:
jobs: {}
`;
  assert.equal(runsFor(on, { eventName: "push", ref: "refs/heads/staging" }), true);
  assert.equal(runsFor(on, { eventName: "push", ref: "refs/heads/release/1" }), true);
  assert.equal(runsFor(on, { eventName: "push", ref: "refs/heads/main" }), false);
  assert.equal(runsFor(on, { eventName: "pull_request", baseRef: "main", event: { action: "closed" } }), true);
  assert.equal(runsFor(on, { eventName: "pull_request", baseRef: "main", event: { action: "synchronize" } }), false);
  assert.equal(runsFor(on, { eventName: "workflow_run", event: { action: "completed", workflow_run: { name: "Deploy" } } }), true);
  assert.equal(runsFor(on, { eventName: "deployment_status", event: {} }), true);
  assert.equal(runsFor("on: pull_request\njobs: {}\n", { eventName: "pull_request", baseRef: "x", event: { action: "opened" } }), true);
  assert.equal(runsFor("on: [push]\njobs: {}\n", { eventName: "workflow_dispatch" }), false);
});
