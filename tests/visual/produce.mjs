// The visual test's producer: runs the real sbdeploy binary as workflow steps run it (GITHUB_*
// variables, event payload file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files) against fresh
// databases on the test run's PostgreSQL, and keeps each case's step summary file.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const sourceDir = join(here, "..", "..");
const require = createRequire(join(here, "..", "package.json"));

// KEY=VALUE lines of tests/pg/start's state file.
export function readPgState(path) {
  const values = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

// One of GitHub's own webhook payloads (@octokit/webhooks-examples), as a fresh copy.
export function webhookExample(event, action) {
  const index = require("@octokit/webhooks-examples/api.github.com/index.json");
  const found = index.find((e) => e.name === event).examples.find((e) => e.action === action);
  return structuredClone(found);
}

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com", GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };

// What a case's `produce` gets: temp projects, fresh databases, and `run` for sbdeploy steps that
// all write to the case's one summary file (as steps of one job write to GITHUB_STEP_SUMMARY).
export class CaseRun {
  constructor({ name, summary, binary, pg }) {
    this.name = name;
    this.summaryPath = summary;
    this.binary = binary;
    this.pg = pg;
    this.root = mkdtempSync(join(tmpdir(), `sbdeploy-visual-${name}-`));
    this.steps = [];
    writeFileSync(summary, "");
  }

  dispose() {
    rmSync(this.root, { recursive: true, force: true });
    for (const db of this.databases ?? []) this.sql(this.url("postgres"), `drop database if exists ${db} with (force)`);
  }

  url(database) {
    const s = this.pg;
    return `postgresql://${s.PGUSER}:${encodeURIComponent(s.PGPASSWORD)}@${s.PGHOST}:${s.PGPORT}/${database}`;
  }

  // A new empty database; its URL.
  db() {
    const name = `visual_${randomBytes(5).toString("hex")}`;
    this.sql(this.url("postgres"), `create database ${name}`);
    (this.databases ??= []).push(name);
    return this.url(name);
  }

  sql(url, sql) {
    return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url], { input: sql, encoding: "utf8" }).trim();
  }

  // A project folder holding `files` ({relative path: text}; bare names go to supabase/migrations).
  project(files = {}, name = "project") {
    const dir = join(this.root, name);
    mkdirSync(join(dir, "supabase", "migrations"), { recursive: true });
    this.write(dir, files);
    return dir;
  }

  write(dir, files) {
    for (const [file, text] of Object.entries(files)) {
      const path = file.includes("/") ? join(dir, file) : join(dir, "supabase", "migrations", file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }

  git(cwd, ...args) {
    return execFileSync("git", args, { cwd, encoding: "utf8", env: gitEnv }).trim();
  }

  // sbdeploy ARGS as a workflow step: `event` and `payload` (default: a push to `branch`),
  // `env` added; `summary: false` writes the summary to a scratch file (setup steps).
  run(args, { workspace, event = "push", branch = "staging", payload, env = {}, summary = true } = {}) {
    const n = this.steps.length + 1;
    const runner = join(this.root, `runner${n}`);
    mkdirSync(runner, { recursive: true });
    const pull = event.startsWith("pull_request");
    const body = payload ?? (pull ? pullRequest(branch) : { ref: `refs/heads/${branch}` });
    writeFileSync(join(runner, "event.json"), JSON.stringify(body));
    writeFileSync(join(runner, "output"), "");
    const stepSummary = summary ? this.summaryPath : join(runner, "summary");
    const full = {
      PATH: process.env.PATH, HOME: this.root, LANG: "C.UTF-8",
      GITHUB_ACTIONS: "true", CI: "true", GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: join(runner, "event.json"),
      GITHUB_REF: pull ? "refs/pull/3/merge" : `refs/heads/${branch}`, GITHUB_REF_NAME: pull ? "3/merge" : branch,
      GITHUB_HEAD_REF: pull ? body.pull_request?.head?.ref ?? "" : "", GITHUB_BASE_REF: pull ? body.pull_request?.base?.ref ?? "" : "",
      GITHUB_SHA: "a".repeat(40), GITHUB_REPOSITORY: "acme/app", GITHUB_RUN_ID: "7001", GITHUB_RUN_ATTEMPT: "1",
      GITHUB_API_URL: "http://127.0.0.1:9", GITHUB_WORKSPACE: workspace ?? this.root,
      GITHUB_OUTPUT: join(runner, "output"), GITHUB_STEP_SUMMARY: stepSummary, ...env,
    };
    const r = spawnSync(this.binary, args, { env: full, cwd: workspace ?? this.root, encoding: "utf8", timeout: 60_000 });
    const code = r.status ?? (r.error ? `not run (${r.error.code})` : `killed by ${r.signal}`);
    const step = { args, code, stdout: r.stdout ?? "", stderr: r.stderr ?? "", summary };
    this.steps.push(step);
    return step;
  }

  // The `hint:` lines the console printed in this case's summary-writing steps (annotations'
  // messages decoded: ::error::...%0Ahint: ...).
  consoleHints() {
    const decode = (l) => l.replace(/^::\w+[^:]*::/, "").replace(/%0A/g, "\n").replace(/%0D/g, "\r").replace(/%25/g, "%");
    return this.steps.filter((s) => s.summary).flatMap((s) => `${s.stdout}\n${s.stderr}`.split("\n"))
      .flatMap((l) => decode(l).split("\n"))
      .map((l) => /^\s*hint: (.+)$/.exec(l)?.[1]?.trim()).filter(Boolean);
  }
}

// A pull_request payload into `base` from feature/x, as GitHub sends the fields sbdeploy reads.
export function pullRequest(base, head = "feature/x") {
  return {
    action: "synchronize", number: 3,
    pull_request: { number: 3, title: "feat: moods", base: { ref: base, sha: "b".repeat(40), repo: { full_name: "acme/app" } },
      head: { ref: head, sha: "a".repeat(40), repo: { full_name: "acme/app" } } },
    repository: { full_name: "acme/app" },
  };
}

export function binaryFrom(env) {
  const path = env.SBDEPLOY_BINARY ?? join(sourceDir, "build", "sbdeploy");
  if (!existsSync(path)) throw new Error(`no sbdeploy binary at "${path}"; hint: build it, or set SBDEPLOY_BINARY`);
  return path;
}
