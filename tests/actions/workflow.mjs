// Runs one job of a workflow the way the GitHub runner does, on top of runner.mjs: workflow and
// job env:, each step's if: (with the implicit success()), id:, env:, run: steps (bash, with the
// GITHUB_ENV and GITHUB_PATH they write carried to later steps), and uses: steps: this
// repository's actions (`<owner>/sbdeploy/<name>@<ref>`, `./<name>`) run from the checkout
// through runAction with their with: evaluated in the job's contexts; actions/checkout and
// actions/setup-node do nothing (the test prepares the workspace and Node); anything else is an
// error. Also: which events a workflow's on: runs for, and the combinations of a job's matrix.
import { join } from "node:path";
import picomatch from "picomatch";
import YAML from "yaml";
import { ActionError, condition, interpolate, prepareRunner, runAction, runStep, runnerVariables, stepsReport } from "./runner.mjs";
import { sourceDir } from "./support.mjs";

const STAND_INS = /^actions\/(checkout|setup-node)@/;
const OWN = /^[A-Za-z0-9_.-]+\/sbdeploy(?:\/([^@]+))?@.+$/;

// The folder of the action a uses: names, in the checkout `root`; null for a stand-in.
export function resolveUses(uses, root = sourceDir) {
  if (STAND_INS.test(uses)) return null;
  if (uses === "./") return root;
  if (uses.startsWith("./")) return join(root, uses.slice(2));
  const own = OWN.exec(uses);
  if (own) return own[1] ? join(root, own[1]) : root;
  throw new ActionError(`uses: ${uses} is not an action of this repository, nor actions/checkout or actions/setup-node`);
}

const parse = (source) => (typeof source === "string" ? YAML.parse(source) : source);

// on: as { event: filters or null }.
function triggers(workflow) {
  const on = workflow.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, null]));
  return on ?? {};
}

const matches = (patterns, value) => patterns === undefined || picomatch.isMatch(value, patterns.map(String));

// Whether the workflow runs for the event `github` describes (jobFacts' options: eventName,
// ref, baseRef, event): the event, push branches, pull_request branches (the base) and types,
// workflow_run workflows and types.
export function runsFor(source, github) {
  const on = triggers(parse(source));
  const name = github.eventName ?? "push";
  if (!(name in on)) return false;
  const filters = on[name] ?? {};
  const action = github.event?.action;
  switch (name) {
    case "push":
      return matches(filters.branches, (github.ref ?? "").replace(/^refs\/heads\//, ""));
    case "pull_request":
      return matches(filters.branches, github.baseRef ?? "") && (filters.types ?? ["opened", "synchronize", "reopened"]).includes(action);
    case "workflow_run":
      return matches(filters.workflows, github.event?.workflow_run?.name ?? "") && (filters.types ?? ["requested", "completed"]).includes(action);
    default:
      return filters.types === undefined || filters.types.includes(action);
  }
}

// The matrix combinations of a job ([{}] without one); include and exclude are not supported.
export function matrixOf(job) {
  const matrix = job.strategy?.matrix;
  if (!matrix) return [{}];
  if ("include" in matrix || "exclude" in matrix) throw new ActionError("matrix include/exclude is not supported by this runner");
  return Object.entries(matrix).reduce((combos, [key, values]) => combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v }))), [{}]);
}

// Runs job `o.job` of the workflow `source` (YAML text or parsed; default: its only job), or
// `source` itself when it is a job (has steps: and no jobs:).
//   github:  facts for jobFacts() (eventName, ref, event ...); workspace: GITHUB_WORKSPACE
//   secrets, vars, inputs, matrix: those contexts (secrets.GITHUB_TOKEN defaults to github.token)
//   path: the PATH before GITHUB_PATH additions; checkout: where this repository's actions are
//   (default: this source tree); runnerTemp, toolCache, runner, baseEnv, timeoutMs: as runAction
export async function runJob(source, o = {}) {
  const doc = parse(source);
  const workflow = doc.jobs || !doc.steps ? doc : { jobs: { job: doc } };
  const ids = Object.keys(workflow.jobs ?? {});
  const jobId = o.job ?? (ids.length === 1 ? ids[0] : undefined);
  const job = workflow.jobs?.[jobId];
  if (!job) throw new ActionError(`job ${o.job ?? "(none given)"} not in the workflow's jobs: ${ids.join(", ")}`);
  const facts = { job: jobId, workflow: workflow.name ?? "workflow", ...o.github };
  const setup = prepareRunner({ ...o, github: facts });
  const { temp, workspace, eventPath, runner } = setup;
  const github = { ...setup.facts, workspace, event_path: eventPath };
  const variables = runnerVariables({ ...setup, baseEnv: o.baseEnv });
  const base = {
    github,
    runner,
    secrets: { GITHUB_TOKEN: github.token, ...o.secrets },
    vars: o.vars ?? {},
    inputs: o.inputs ?? {},
    matrix: o.matrix ?? {},
    strategy: {},
  };
  const status = { failed: false };
  const evaluateAll = (env, contexts) => Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, interpolate(v, contexts, status)]));
  const workflowEnv = evaluateAll(workflow.env, base);
  const jobEnv = { ...workflowEnv, ...evaluateAll(job.env, { ...base, env: workflowEnv }) };
  const fileEnv = {};
  const pathAdded = [];
  const steps = {};
  const results = [];
  const masks = [];
  let log = "";
  const done = (skipped) => {
    const contexts = { ...base, env: { ...jobEnv, ...fileEnv }, steps };
    return {
      ok: !status.failed,
      skipped,
      outputs: evaluateAll(job.outputs, contexts),
      ...stepsReport(results),
      masks,
      log,
      env: fileEnv,
      pathAdded,
      workspace,
    };
  };
  if (!condition(job.if, base, status)) return done(true);

  for (const [index, step] of (job.steps ?? []).entries()) {
    const id = step.id ?? `__${index}`;
    const contexts = () => ({ ...base, env: { ...jobEnv, ...fileEnv }, steps, job: { status: status.failed ? "failure" : "success" } });
    const result = { id, name: step.name ?? step.run ?? step.uses, outcome: "skipped", conclusion: "skipped", outputs: {}, commands: [] };
    results.push(result);
    if (!condition(step.if, contexts(), status)) {
      steps[id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      continue;
    }
    const path = [...pathAdded, o.path ?? process.env.PATH].join(":");
    if (step.run !== undefined) {
      const run = await runStep(step, { id, contexts, status, temp, workspace, variables: { ...variables, GITHUB_ACTION: id }, env: contexts().env, path, timeoutMs: o.timeoutMs });
      Object.assign(fileEnv, run.setEnv);
      pathAdded.unshift(...[...run.pathAdded].reverse());
      Object.assign(result, run);
      log += `##[step ${id}] exit ${run.exitCode}\n${run.stdout}${run.stderr}`;
    } else {
      const dir = resolveUses(step.uses, o.checkout);
      if (dir === null) Object.assign(result, { outcome: "success", conclusion: "success" });
      else {
        // The step's env: is the environment of the action's steps and part of its with:'s env.
        const env = { ...contexts().env, ...evaluateAll(step.env, contexts()) };
        const r = await runAction(dir, {
          github: facts,
          runner: o.runner,
          baseEnv: o.baseEnv,
          timeoutMs: o.timeoutMs,
          runnerTemp: temp,
          toolCache: runner.tool_cache,
          workspace,
          env,
          path,
          with: step.with ?? {},
          caller: { ...contexts(), env },
        });
        const outcome = r.ok ? "success" : "failure";
        const conclusion = r.ok || step["continue-on-error"] === true ? "success" : "failure";
        Object.assign(result, { outcome, conclusion, outputs: r.outputs, commands: r.commands, action: r });
        Object.assign(fileEnv, r.env);
        pathAdded.unshift(...r.pathAdded);
        log += `##[step ${id}] ${step.uses}: ${outcome}\n${r.log}`;
      }
    }
    for (const c of result.commands) if (c.command === "add-mask" && c.message) masks.push(c.message);
    steps[id] = { outputs: result.outputs, outcome: result.outcome, conclusion: result.conclusion };
    if (result.conclusion === "failure") status.failed = true;
    if (process.env.SBDEPLOY_ACTIONS_VERBOSE) process.stderr.write(`--- job ${jobId} step ${id}: ${result.outcome}\n`);
  }
  return done(false);
}
