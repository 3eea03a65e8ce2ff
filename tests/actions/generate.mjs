#!/usr/bin/env node
// Writes every action.yml, and README.md's actions table, from actions/spec.json (the one
// definition of the actions' inputs and outputs). `--check` writes nothing and exits 1 when a
// file differs; `--root DIR` works on another checkout (the tests use a copy).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname, relative, posix } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function loadSpec(dir = sourceDir) {
  return JSON.parse(readFileSync(join(dir, "actions", "spec.json"), "utf8"));
}

// A YAML scalar as the yaml library writes it (plain when that reads back the same).
function scalar(s) {
  return YAML.stringify(s, { lineWidth: 0 }).trimEnd();
}

// Which steps an input reaches: the install step for kind "action", else the listed
// command steps (default: the first command step).
export function inputSteps(action, name) {
  const input = action.inputs[name];
  if (input.kind === "action") return ["install"];
  return input.steps ?? [action.steps.find((s) => s.command).id];
}

// An input's env value. An empty input leaves the variable the job may have set itself
// (a step's env would otherwise replace it with the empty string). Option inputs therefore
// declare no default: GitHub fills a declared default into an input left out, which would
// shadow the job's SBDEPLOY_* variable. Their defaults live in the binary's option table,
// copied into the spec as binary_default (checked against --help) for the description.
export function envValue(name, input) {
  return `\${{ inputs.${name} || env.${input.env} }}`;
}

// An input's description in action.yml: the spec's, plus what an empty input means.
export function describe(input) {
  if (input.binary_default === undefined) return input.description;
  return `${input.description} Empty: the job's ${input.env}, else ${input.binary_default}.`;
}

// The shared install script, from the action's folder.
export function installScript(action) {
  return `"$GITHUB_ACTION_PATH/${posix.relative(action.path, "actions/lib/install.sh")}"`;
}

export function render(key, action) {
  const out = [];
  const push = (indent, text) => out.push(" ".repeat(indent) + text);
  out.push("# Generated from actions/spec.json by tests/actions/generate.mjs: edit the spec, then run");
  out.push("# `node tests/actions/generate.mjs`. Inputs reach sbdeploy only through env, never inside run.");
  push(0, `name: ${scalar(action.name)}`);
  push(0, `description: ${scalar(action.description)}`);
  push(0, "branding:");
  push(2, `icon: ${scalar(action.branding.icon)}`);
  push(2, `color: ${scalar(action.branding.color)}`);
  const inputs = Object.entries(action.inputs);
  push(0, "inputs:");
  for (const [name, input] of inputs) {
    push(2, `${name}:`);
    push(4, `description: ${scalar(describe(input))}`);
    push(4, `required: ${input.required ? "true" : "false"}`);
    push(4, `default: ${scalar(input.default)}`);
  }
  const outputs = Object.entries(action.outputs);
  if (outputs.length === 0) {
    push(0, "outputs: {}");
  } else {
    push(0, "outputs:");
    for (const [name, output] of outputs) {
      push(2, `${name}:`);
      push(4, `description: ${scalar(output.description)}`);
      push(4, `value: \${{ steps.${output.step ?? "run"}.outputs.${name} }}`);
    }
  }
  push(0, "runs:");
  push(2, "using: composite");
  push(2, "steps:");
  const envFor = (stepId) => inputs.filter(([name]) => inputSteps(action, name).includes(stepId));
  const installEnv = envFor("install");
  const installStep = action.steps.find((s) => s.id === "install");
  push(4, `- name: ${installStep ? installStep.name : "Install sbdeploy"}`);
  push(6, "id: install");
  push(6, "shell: bash");
  push(6, "env:");
  for (const [name, input] of installEnv) push(8, `${input.env}: ${envValue(name, input)}`);
  push(8, `SBDEPLOY_INSTALL_IF_MISSING: ${action.install === "if-missing" ? '"true"' : '"false"'}`);
  push(6, `run: bash ${installScript(action)}`);
  for (const step of action.steps) {
    if (!step.command) continue;
    push(4, `- name: ${scalar(step.name)}`);
    push(6, `id: ${step.id}`);
    if (step.if) push(6, `if: ${scalar(step.if)}`);
    push(6, "shell: bash");
    const env = envFor(step.id);
    if (env.length) {
      push(6, "env:");
      for (const [name, input] of env) push(8, `${input.env}: ${envValue(name, input)}`);
    }
    push(6, `run: sbdeploy ${step.command}`);
  }
  return out.join("\n") + "\n";
}

export function actionFile(action, dir = sourceDir) {
  return join(dir, action.path, "action.yml");
}

// README.md's actions table sits between these markers; the rest of the README is left alone.
export const TABLE_START = "<!-- actions-table:start: generated from actions/spec.json by node tests/actions/generate.mjs -->";
export const TABLE_END = "<!-- actions-table:end -->";

const code = (s) => `\`${String(s).replaceAll("|", "\\|")}\``;

// The inputs a step's if: tests for being set (push's verify step: expect, expect-file, health-url).
const conditionInputs = (step) => [...(step.if ?? "").matchAll(/inputs\.([a-z-]+) != ''/g)].map((m) => code(m[1]));

function orList(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

// What an action runs: its command steps in order, a conditional one with the inputs it needs.
function runsCell(action) {
  const commands = action.steps.filter((s) => s.command);
  if (commands.length === 0) return "installs sbdeploy";
  return commands
    .map((s, i) => {
      const command = code(`sbdeploy ${s.command}`);
      const when = conditionInputs(s);
      return (i ? "then " : "") + command + (when.length ? ` when ${orList(when)} is set` : "");
    })
    .join(", ");
}

// An input with the default an empty input means: the binary's, else the action's own.
function inputCell(name, input) {
  const fallback = input.binary_default ?? (input.default === "" ? undefined : input.default);
  return fallback === undefined ? code(name) : `${code(name)} (${code(fallback)})`;
}

// The database actions (those with a staging-db-url input) and the inputs all of them share
// with one default: listed once above the table instead of in each row.
export function sharedInputs(spec) {
  const actions = Object.entries(spec.actions).filter(([, a]) => "staging-db-url" in a.inputs);
  const [, first] = actions[0];
  const names = Object.keys(first.inputs).filter((name) =>
    actions.every(([, a]) => a.inputs[name] && inputCell(name, a.inputs[name]) === inputCell(name, first.inputs[name])),
  );
  return { actions: actions.map(([key]) => key), names, cells: names.map((name) => inputCell(name, first.inputs[name])) };
}

export function actionsTable(spec) {
  const shared = sharedInputs(spec);
  const rows = Object.entries(spec.actions).map(([key, action]) => {
    const uses = action.path === "." ? "org/sbdeploy@v1" : `org/sbdeploy/${action.path}@v1`;
    const own = Object.entries(action.inputs).filter(([name]) => !shared.actions.includes(key) || !shared.names.includes(name));
    const inputs = [...(shared.actions.includes(key) ? ["the database inputs"] : []), ...own.map(([name, input]) => inputCell(name, input))];
    const outputs = Object.keys(action.outputs).map(code);
    return `| ${code(uses)} | ${runsCell(action)} | ${inputs.join(", ")} | ${outputs.join(", ") || "none"} |`;
  });
  return [
    TABLE_START,
    `The database inputs, taken by ${orList(shared.actions.map(code)).replace(" or ", " and ")}: ${shared.cells.join(", ")}.`,
    "",
    "| action | runs | inputs (default when empty) | outputs |",
    "| --- | --- | --- | --- |",
    ...rows,
    TABLE_END,
  ].join("\n");
}

// README text with its actions table replaced by the spec's; null when the markers are missing.
export function withActionsTable(readme, spec) {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return null;
  return readme.slice(0, start) + actionsTable(spec) + readme.slice(end + TABLE_END.length);
}

function main() {
  const check = process.argv.includes("--check");
  const rootAt = process.argv.indexOf("--root");
  const root = rootAt > 0 ? process.argv[rootAt + 1] : sourceDir;
  const spec = loadSpec(root);
  let stale = 0;
  const update = (file, want) => {
    const have = existsSync(file) ? readFileSync(file, "utf8") : null;
    if (have === want) return;
    const shown = relative(root, file);
    if (check) {
      console.error(`generate: ${shown} differs from actions/spec.json; hint: run node tests/actions/generate.mjs`);
      stale++;
    } else {
      writeFileSync(file, want);
      console.log(`generate: wrote ${shown}`);
    }
  };
  for (const [key, action] of Object.entries(spec.actions)) update(actionFile(action, root), render(key, action));
  const readmeFile = join(root, "README.md");
  const readme = withActionsTable(readFileSync(readmeFile, "utf8"), spec);
  if (readme === null) {
    console.error(`generate: README.md has no actions table; hint: put the lines ${TABLE_START} and ${TABLE_END} where it goes`);
    stale++;
  } else update(readmeFile, readme);
  process.exit(stale ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
