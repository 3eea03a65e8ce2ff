// The action files, the workflows and README's example workflows pass GitHub's schema,
// actionlint and shellcheck, have no `${{` inside run:, and pin third-party actions by SHA.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  actionFiles,
  actionlintProblems,
  expressionInRunProblems,
  fileEntry,
  pinningProblems,
  readmeWorkflows,
  schemaProblems,
  shellcheckFiles,
  shellcheckRunProblems,
  workflowFiles,
} from "./checks.mjs";
import { sourceDir } from "./support.mjs";

const actions = actionFiles().map(fileEntry);
const workflows = [...workflowFiles().map(fileEntry), ...readmeWorkflows()];

test("there is something to check", () => {
  assert.deepEqual(
    actions.map((a) => a.name),
    [
      "action.yml",
      "paths-filter-migrations/action.yml",
      "push-migrations/action.yml",
      "record-metrics/action.yml",
      "repair-migrations/action.yml",
      "rollback-migrations/action.yml",
      "status-migrations/action.yml",
      "validate-migrations/action.yml",
      "verify-migrations/action.yml",
    ],
  );
  assert.ok(workflows.some((w) => w.name === ".github/workflows/ci.yml"));
  assert.ok(workflows.some((w) => w.name === ".github/workflows/release.yml"));
  assert.ok(workflows.filter((w) => w.name.startsWith("README.md")).length >= 5, "README's example workflows");
});

test("action files: GitHub's action schema", () => {
  for (const a of actions) assert.deepEqual(schemaProblems(a, "action"), [], a.name);
});

test("workflows: GitHub's workflow schema", () => {
  for (const w of workflows) assert.deepEqual(schemaProblems(w, "workflow"), [], w.name);
});

test("workflows: actionlint", async () => {
  for (const w of workflows) assert.deepEqual(await actionlintProblems(w), [], w.name);
});

test("no ${{ inside run:", () => {
  for (const f of [...actions, ...workflows]) assert.deepEqual(expressionInRunProblems(f), [], f.name);
});

test("third-party actions are pinned by commit SHA", () => {
  for (const f of [...actions, ...workflows]) assert.deepEqual(pinningProblems(f), [], f.name);
});

test("shellcheck: run: scripts", () => {
  for (const f of [...actions, ...workflows]) assert.deepEqual(shellcheckRunProblems(f), [], f.name);
});

test("shellcheck: the scripts of the actions and the release", () => {
  const scripts = ["actions/lib/install.sh", "scripts/build-static", "scripts/check-format", "tests/static/check"].map((f) => join(sourceDir, f));
  for (const f of scripts) assert.ok(existsSync(f), f);
  assert.deepEqual(shellcheckFiles(scripts), []);
});

// The checks above are only worth something if they catch the mistakes they are for.
test("the checks catch what they are for", async (t) => {
  const bad = {
    name: "bad.yml",
    content: [
      "on: pull_request",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    steps:",
      "      - uses: actions/checkout@v4",
      '      - run: echo "${{ github.event.pull_request.title }}"',
      "      - run: echo $unquoted_and_unset",
      "",
    ].join("\n"),
  };
  await t.test("expression in run:", () => {
    assert.deepEqual(expressionInRunProblems(bad), ["bad.yml: jobs.a.steps[1]: run: contains ${{ }}; pass the value through env: instead"]);
  });
  await t.test("actionlint sees the untrusted input", async () => {
    const problems = await actionlintProblems(bad);
    assert.ok(problems.some((p) => p.includes('"github.event.pull_request.title" is potentially untrusted')), problems.join("\n"));
  });
  await t.test("unpinned action", () => {
    assert.deepEqual(pinningProblems(bad), ["bad.yml: jobs.a.steps[0]: actions/checkout@v4 is not pinned to a full commit SHA"]);
  });
  await t.test("shellcheck", () => {
    assert.ok(shellcheckRunProblems(bad).some((p) => p.includes("SC2086")));
  });
  await t.test("schema", () => {
    assert.deepEqual(schemaProblems({ name: "a.yml", content: "name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n" }, "action"), [
      "a.yml (Line: 6, Col: 7): Required property is missing: shell",
    ]);
  });
});
