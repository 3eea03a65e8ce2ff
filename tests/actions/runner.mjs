// Runs a composite action the way the GitHub runner does: inputs with their defaults,
// `${{ }}` evaluated with GitHub's own expression library, `if:` conditions (with the implicit
// success()), each run step as `bash --noprofile --norc -eo pipefail {0}` with fresh
// GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files, and the composite's
// outputs. Workflow commands (::error::, ::add-mask:: ...) on stdout and stderr are collected.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Lexer, Parser, Evaluator, data } from "@actions/expressions";
import { truthy } from "@actions/expressions/result";
import YAML from "yaml";

const CONTEXTS = ["github", "inputs", "env", "runner", "steps", "job", "matrix", "strategy", "secrets", "vars"];
const STATUS_FUNCTIONS = /\b(success|failure|always|cancelled)\s*\(/i;

export class ActionError extends Error {}

// RUNNER_TEMP of a run, removed when the process exits (kept with SBDEPLOY_ACTIONS_KEEP=1).
const scratchDirs = [];
process.on("exit", () => {
  if (!process.env.SBDEPLOY_ACTIONS_KEEP) for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), "sbdeploy-runner-"));
  scratchDirs.push(dir);
  return dir;
}

function toData(value) {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver);
}

// Evaluates one expression (the text between `${{` and `}}`) against plain JS contexts.
export function evaluate(expression, contexts, status = { failed: false }) {
  const lexed = new Lexer(expression).lex();
  const functions = [
    { name: "success", minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(!status.failed) },
    { name: "failure", minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(status.failed) },
    { name: "always", minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(true) },
    { name: "cancelled", minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(false) },
  ];
  const parsed = new Parser(lexed.tokens, CONTEXTS, functions).parse();
  const dict = new data.Dictionary(
    ...CONTEXTS.map((key) => ({ key, value: toData(contexts[key] ?? {}) })),
  );
  return new Evaluator(parsed, dict, new Map(functions.map((f) => [f.name, f]))).evaluate();
}

// Splits a template into literal text and `${{ expression }}` parts; `}}` inside a quoted
// string does not end an expression.
export function templateParts(text) {
  const parts = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${{", i);
    if (start < 0) {
      parts.push({ text: text.slice(i) });
      break;
    }
    if (start > i) parts.push({ text: text.slice(i, start) });
    let j = start + 3;
    let quoted = false;
    for (; j < text.length; j++) {
      if (text[j] === "'") {
        if (quoted && text[j + 1] === "'") j++;
        else quoted = !quoted;
      } else if (!quoted && text.startsWith("}}", j)) break;
    }
    if (j >= text.length) throw new ActionError(`unterminated expression in ${JSON.stringify(text)}`);
    parts.push({ expression: text.slice(start + 3, j).trim() });
    i = j + 2;
  }
  return parts;
}

// A template string -> string, as the runner evaluates `env:`, `with:` and `run:` values.
export function interpolate(value, contexts, status) {
  if (typeof value !== "string") return value === undefined || value === null ? "" : String(value);
  return templateParts(value)
    .map((p) => {
      if (p.text !== undefined) return p.text;
      const result = evaluate(p.expression, contexts, status);
      return result.kind === data.Kind.Dictionary || result.kind === data.Kind.Array
        ? JSON.stringify(result, data.replacer, 2)
        : result.coerceString();
    })
    .join("");
}

// An `if:` condition: a bare expression or one `${{ }}`; success() && (...) unless it calls a
// status function itself.
export function condition(value, contexts, status) {
  if (value === undefined || value === null || value === "") return !status.failed;
  let text = String(value).trim();
  const parts = templateParts(text);
  if (parts.length === 1 && parts[0].expression !== undefined) text = parts[0].expression;
  else if (parts.some((p) => p.expression !== undefined)) return truthy(toData(interpolate(text, contexts, status)));
  if (!STATUS_FUNCTIONS.test(text)) text = `success() && (${text})`;
  return truthy(evaluate(text, contexts, status));
}

// GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks.
export function parseFileCommands(text, file) {
  const result = {};
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line === "") continue;
    const heredoc = line.indexOf("<<");
    const eq = line.indexOf("=");
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i].replace(/\r$/, "") === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]);
      }
      if (!closed) throw new ActionError(`${file}: matching delimiter not found "${delimiter}"`);
      result[name] = value.join("\n");
    } else if (eq > 0) {
      result[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new ActionError(`${file}: invalid line ${JSON.stringify(line)}`);
    }
  }
  return result;
}

function unescapeData(s) {
  return s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

function unescapeProperty(s) {
  return unescapeData(s).replace(/%3A/g, ":").replace(/%2C/g, ",");
}

// Workflow commands in a step's output.
export function parseWorkflowCommands(stdout) {
  const commands = [];
  for (const line of stdout.split("\n")) {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.replace(/\r$/, ""));
    if (!m) continue;
    const properties = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command: m[1], properties, message: unescapeData(m[3]) });
  }
  return commands;
}

function runBash(script, { args, cwd, env, timeoutMs }) {
  return new Promise((done) => {
    const child = spawn("bash", [...args, script], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (d) => stdout.push(d));
    child.stderr.on("data", (d) => stderr.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({
        code: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

// The variables the runner gives every step: CI, GITHUB_* of the job, RUNNER_*.
export function runnerVariables({ facts, eventPath, workspace, runner, baseEnv }) {
  return {
    HOME: process.env.HOME ?? runner.temp,
    LANG: "C.UTF-8",
    ...(baseEnv ?? {}),
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: facts.event_name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: facts.ref,
    GITHUB_REF_NAME: facts.ref_name,
    GITHUB_REF_TYPE: facts.ref_type,
    GITHUB_HEAD_REF: facts.head_ref,
    GITHUB_BASE_REF: facts.base_ref,
    GITHUB_SHA: facts.sha,
    GITHUB_REPOSITORY: facts.repository,
    GITHUB_REPOSITORY_OWNER: facts.repository_owner,
    GITHUB_RUN_ID: facts.run_id,
    GITHUB_RUN_NUMBER: facts.run_number,
    GITHUB_RUN_ATTEMPT: facts.run_attempt,
    GITHUB_ACTOR: facts.actor,
    GITHUB_JOB: facts.job,
    GITHUB_WORKFLOW: facts.workflow,
    GITHUB_SERVER_URL: facts.server_url,
    GITHUB_API_URL: facts.api_url,
    GITHUB_GRAPHQL_URL: facts.graphql_url,
    RUNNER_OS: runner.os,
    RUNNER_ARCH: runner.arch,
    RUNNER_NAME: runner.name,
    RUNNER_TEMP: runner.temp,
    RUNNER_TOOL_CACHE: runner.tool_cache,
    ...(runner.debug ? { RUNNER_DEBUG: "1" } : {}),
  };
}

// How bash runs a script: `shell: bash`, and a workflow's run: step without shell: (on Linux).
const BASH_ARGS = { bash: ["--noprofile", "--norc", "-eo", "pipefail"], default: ["-e"] };

// Runs one run: step: its env: and script evaluated in contexts(), bash with fresh GITHUB_OUTPUT,
// GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files. `variables` are the runner's, `env` the
// job's (GITHUB_ENV included), under the step's own env:; `path` the PATH so far.
export async function runStep(step, { id, contexts, status, temp, workspace, variables, env: jobEnv, path, timeoutMs }) {
  const args = BASH_ARGS[step.shell ?? "default"];
  if (!args) throw new ActionError(`step ${id}: shell "${step.shell}" is not supported (bash only)`);
  const stepEnvValues = {};
  for (const [k, v] of Object.entries(step.env ?? {})) stepEnvValues[k] = interpolate(v, contexts(), status);
  const script = interpolate(step.run, contexts(), status);
  const dir = join(temp, "_runner_file_commands", randomUUID());
  mkdirSync(dir, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(dir, "set_output"),
    GITHUB_ENV: join(dir, "set_env"),
    GITHUB_PATH: join(dir, "add_path"),
    GITHUB_STEP_SUMMARY: join(dir, "step_summary"),
    GITHUB_STATE: join(dir, "save_state"),
  };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const scriptFile = join(temp, `${randomUUID()}.sh`);
  writeFileSync(scriptFile, script);
  const env = { ...variables, ...jobEnv, ...stepEnvValues, ...files, PATH: path };
  const cwd = step["working-directory"] ? resolve(workspace, interpolate(step["working-directory"], contexts(), status)) : workspace;
  const run = await runBash(scriptFile, { args, cwd, env, timeoutMs: timeoutMs ?? 120_000 });
  const ok = run.code === 0;
  return {
    outcome: ok ? "success" : "failure",
    conclusion: ok || step["continue-on-error"] === true ? "success" : "failure",
    outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, "utf8"), "GITHUB_OUTPUT"),
    exitCode: run.code,
    stdout: run.stdout,
    stderr: run.stderr,
    // The runner reads workflow commands from both streams.
    commands: parseWorkflowCommands(`${run.stdout}\n${run.stderr}`),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
    env: stepEnvValues,
    setEnv: parseFileCommands(readFileSync(files.GITHUB_ENV, "utf8"), "GITHUB_ENV"),
    pathAdded: readFileSync(files.GITHUB_PATH, "utf8").split("\n").filter((l) => l.trim() !== ""),
  };
}

export function loadAction(actionDir) {
  for (const name of ["action.yml", "action.yaml"]) {
    const file = join(actionDir, name);
    if (existsSync(file)) return YAML.parse(readFileSync(file, "utf8"));
  }
  throw new ActionError(`no action.yml in "${actionDir}"`);
}

// The github context and GITHUB_* variables of a job, from a few facts.
export function jobFacts(o) {
  const eventName = o.eventName ?? "push";
  const ref = o.ref ?? "refs/heads/main";
  const refName = ref.replace(/^refs\/(heads|tags)\//, "").replace(/^refs\/pull\/(\d+)\/merge$/, "$1/merge");
  return {
    event_name: eventName,
    event: o.event ?? {},
    ref,
    ref_name: refName,
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    head_ref: o.headRef ?? "",
    base_ref: o.baseRef ?? "",
    sha: o.sha ?? "0000000000000000000000000000000000000000",
    repository: o.repository ?? "acme/app",
    repository_owner: (o.repository ?? "acme/app").split("/")[0],
    run_id: o.runId ?? "1000",
    run_number: "1",
    run_attempt: "1",
    actor: o.actor ?? "octocat",
    job: o.job ?? "test",
    workflow: o.workflow ?? "test",
    server_url: o.serverUrl ?? "https://github.com",
    api_url: o.apiUrl ?? "https://api.github.com",
    graphql_url: "https://api.github.com/graphql",
    token: o.token ?? "",
  };
}

// A job's runner: RUNNER_TEMP (runnerTemp), the workspace, the tool cache, the github facts and
// their event file, the runner context.
export function prepareRunner(o) {
  const temp = o.runnerTemp ?? scratch();
  mkdirSync(temp, { recursive: true });
  const workspace = o.workspace ?? mkdtempSync(join(temp, "workspace-"));
  const toolCache = o.toolCache ?? join(temp, "tool-cache");
  mkdirSync(toolCache, { recursive: true });
  const facts = jobFacts(o.github ?? {});
  const eventPath = join(temp, "event.json");
  writeFileSync(eventPath, JSON.stringify(facts.event));
  const runner = {
    os: o.runner?.os ?? "Linux",
    arch: o.runner?.arch ?? (process.arch === "arm64" ? "ARM64" : "X64"),
    name: "local",
    temp,
    tool_cache: toolCache,
    debug: o.runner?.debug ? "1" : "",
  };
  return { temp, workspace, facts, eventPath, runner };
}

// What a run's step results say, for its report: the steps in order and by id, the workflow
// commands of the steps that ran, and the annotations among them.
export function stepsReport(results) {
  const commands = results.filter((r) => r.outcome !== "skipped").flatMap((r) => r.commands);
  return {
    steps: results,
    step: Object.fromEntries(results.map((r) => [r.id, r])),
    commands,
    annotations: commands.filter((c) => ["error", "warning", "notice"].includes(c.command)),
  };
}

// Runs the composite action in `actionDir`.
//   with:       the step's `with:` (templates evaluated in `caller`, the workflow's contexts)
//   caller:     contexts for `with:` ({ github, env, steps, secrets, vars, matrix, inputs })
//   github:     facts for jobFacts(); workspace: GITHUB_WORKSPACE; env: the job's environment
//   runner:     { os, arch, debug }; path: the PATH before GITHUB_PATH additions
export async function runAction(actionDir, o = {}) {
  const action = loadAction(actionDir);
  if (action.runs?.using !== "composite") throw new ActionError(`${actionDir}: not a composite action`);
  const { temp, workspace, facts, eventPath, runner } = prepareRunner(o);
  const actionPath = realpathSync(resolve(actionDir));
  const github = { ...facts, workspace, event_path: eventPath, action_path: actionPath, action_ref: "", action_repository: "" };
  const variables = runnerVariables({ facts, eventPath, workspace, runner, baseEnv: o.baseEnv });

  // Inputs: `with:` evaluated in the caller's contexts, else the default in the action's.
  const declared = action.inputs ?? {};
  const given = o.with ?? {};
  for (const name of Object.keys(given))
    if (!(name in declared)) throw new ActionError(`unexpected input "${name}"; valid inputs: ${Object.keys(declared).join(", ")}`);
  const callerContexts = { github, env: o.env ?? {}, runner, steps: {}, secrets: {}, vars: {}, inputs: {}, matrix: {}, ...o.caller };
  const inputs = {};
  for (const [name, def] of Object.entries(declared)) {
    if (name in given) inputs[name] = interpolate(given[name], callerContexts);
    else if (def?.required && def.default === undefined) throw new ActionError(`input required and not supplied: ${name}`);
    else inputs[name] = interpolate(def?.default ?? "", { github, runner, env: o.env ?? {} });
  }

  const jobEnv = { ...(o.env ?? {}) };
  const fileEnv = {};
  const pathAdded = [];
  const steps = {};
  const results = [];
  const masks = [];
  const status = { failed: false };
  let log = "";

  for (const [index, step] of action.runs.steps.entries()) {
    const id = step.id ?? `__${index}`;
    const contexts = () => ({ github: { ...github, action: id }, inputs, env: { ...jobEnv, ...fileEnv }, runner, steps, job: { status: status.failed ? "failure" : "success" } });
    const result = { id, name: step.name ?? step.run ?? step.uses, outcome: "skipped", conclusion: "skipped", outputs: {} };
    results.push(result);
    if (!condition(step.if, contexts(), status)) {
      steps[id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      continue;
    }
    if (step.uses) throw new ActionError(`step ${id}: uses: is not supported by this runner`);
    if (step.shell !== "bash") throw new ActionError(`step ${id}: shell "${step.shell}" is not supported (bash only)`);
    const run = await runStep(step, {
      id,
      contexts,
      status,
      temp,
      workspace,
      variables: { ...variables, GITHUB_ACTION: id, GITHUB_ACTION_PATH: actionPath, GITHUB_ACTION_REPOSITORY: "", GITHUB_ACTION_REF: "" },
      env: { ...jobEnv, ...fileEnv },
      path: [...pathAdded, o.path ?? process.env.PATH].join(":"),
      timeoutMs: o.timeoutMs,
    });
    for (const c of run.commands) if (c.command === "add-mask" && c.message) masks.push(c.message);
    Object.assign(fileEnv, run.setEnv);
    pathAdded.unshift(...[...run.pathAdded].reverse());
    const { outcome, conclusion, outputs } = run;
    Object.assign(result, run);
    steps[id] = { outputs, outcome, conclusion };
    if (conclusion === "failure") status.failed = true;
    log += `##[step ${id}] exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
    if (process.env.SBDEPLOY_ACTIONS_VERBOSE) process.stderr.write(`--- ${actionDir} step ${id}: exit ${run.exitCode}\n${run.stdout}${run.stderr}`);
  }

  const finalContexts = { github, inputs, env: { ...jobEnv, ...fileEnv }, runner, steps };
  const outputs = {};
  for (const [name, def] of Object.entries(action.outputs ?? {})) outputs[name] = interpolate(def?.value ?? "", finalContexts, status);
  return {
    ok: !status.failed,
    outputs,
    inputs,
    ...stepsReport(results),
    masks,
    log,
    env: fileEnv,
    pathAdded,
    workspace,
    temp,
    toolCache: runner.tool_cache,
  };
}
