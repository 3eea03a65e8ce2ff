#!/usr/bin/env node
// Writes every action.yml from actions/spec.json (the one definition of the actions'
// inputs and outputs). `--check` writes nothing and exits 1 when a file differs.
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

function main() {
  const check = process.argv.includes("--check");
  const spec = loadSpec();
  let stale = 0;
  for (const [key, action] of Object.entries(spec.actions)) {
    const file = actionFile(action);
    const want = render(key, action);
    const have = existsSync(file) ? readFileSync(file, "utf8") : null;
    if (have === want) continue;
    const shown = relative(sourceDir, file);
    if (check) {
      console.error(`generate: ${shown} differs from actions/spec.json; hint: run node tests/actions/generate.mjs`);
      stale++;
    } else {
      writeFileSync(file, want);
      console.log(`generate: wrote ${shown}`);
    }
  }
  process.exit(stale ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
