// README.md's actions table is generated from actions/spec.json (tests/actions/generate.mjs):
// every action, its inputs with the default an empty one means, and its outputs. The README
// here holds the spec's table, and `generate.mjs --check` fails on a copy whose table drifted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { TABLE_END, TABLE_START, actionFile, actionsTable, withActionsTable } from "./generate.mjs";
import { loadSpec, sourceDir, tempDir } from "./support.mjs";

const spec = loadSpec();
const readme = readFileSync(join(sourceDir, "README.md"), "utf8");
const generate = join(sourceDir, "tests", "actions", "generate.mjs");

// A copy of what generate.mjs reads: the spec, every action.yml and `readmeText` as README.md.
function checkout(readmeText) {
  const root = tempDir("sbdeploy-table-");
  mkdirSync(join(root, "actions"));
  cpSync(join(sourceDir, "actions", "spec.json"), join(root, "actions", "spec.json"));
  for (const action of Object.values(spec.actions)) {
    mkdirSync(dirname(actionFile(action, root)), { recursive: true });
    cpSync(actionFile(action), actionFile(action, root));
  }
  writeFileSync(join(root, "README.md"), readmeText);
  return root;
}

const check = (root) => spawnSync(process.execPath, [generate, "--check", "--root", root], { encoding: "utf8" });

test("README.md's actions table is the one actions/spec.json generates", () => {
  assert.equal(withActionsTable(readme, spec), readme, "run node tests/actions/generate.mjs");
});

test("the table lists every action with each input and output of the spec", () => {
  const table = actionsTable(spec);
  const shared = table.split("\n").find((line) => line.startsWith("The database inputs, taken by "));
  assert.ok(shared);
  for (const action of Object.values(spec.actions)) {
    const uses = action.path === "." ? "org/sbdeploy@v1" : `org/sbdeploy/${action.path}@v1`;
    const row = table.split("\n").find((line) => line.startsWith(`| \`${uses}\` |`));
    assert.ok(row, uses);
    const [, , cell, outputs] = row.split(" | ");
    // A database action's row says "the database inputs" and lists only its own.
    const inputs = cell.startsWith("the database inputs") ? `${shared} ${cell}` : cell;
    for (const name of Object.keys(action.inputs)) assert.ok(inputs.includes(`\`${name}\``), `${uses}: input ${name}`);
    for (const name of Object.keys(action.outputs)) assert.ok(outputs.includes(`\`${name}\``), `${uses}: output ${name}`);
  }
  // What the hand-written table missed: record-metrics' six outputs; and defaults from the binary.
  assert.match(table, /\| `org\/sbdeploy\/record-metrics@v1` \| `sbdeploy record-metrics` \| .* \| `recorded`, `skipped`, `pr_events`, `deployment_events`, `test_runs`, `rule_compliance_events` \|/);
  assert.match(table, /`lock-wait` \(`60s`\)/);
  assert.match(shared, /^The database inputs, taken by `validate-migrations`, `push-migrations`, .* and `rollback-migrations`: `version`, `workdir`, /);
  assert.match(table, /\| `org\/sbdeploy\/repair-migrations@v1` \| `sbdeploy repair` \| the database inputs, `status`, `versions`, `lock-wait` \(`60s`\) \|/);
  assert.match(table, /`sbdeploy push`, then `sbdeploy verify` when `expect`, `expect-file` or `health-url` is set/);
});

test("generate.mjs --check passes on this tree and fails on a README whose table drifted", () => {
  const ok = check(checkout(readme));
  assert.equal(ok.status, 0, ok.stderr);

  const drifted = check(checkout(readme.replace("`rule_compliance_events` |", "|")));
  assert.equal(drifted.status, 1);
  assert.equal(drifted.stderr, "generate: README.md differs from actions/spec.json; hint: run node tests/actions/generate.mjs\n");

  const unmarked = check(checkout(readme.replace(TABLE_START, "").replace(TABLE_END, "")));
  assert.equal(unmarked.status, 1);
  assert.match(unmarked.stderr, /^generate: README.md has no actions table; hint: put the lines <!-- actions-table:start/);
});

test("generate.mjs without --check writes the table back", () => {
  const root = checkout(readme.replace("`cache-hit` |", "|"));
  const r = spawnSync(process.execPath, [generate, "--root", root], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "generate: wrote README.md\n");
  assert.equal(readFileSync(join(root, "README.md"), "utf8"), readme);
});
