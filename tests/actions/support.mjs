// Shared helpers of the action tests: where the source tree and the built binary are, a PATH
// with only that sbdeploy on it, fresh databases on the ctest PostgreSQL fixture, git repos.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const actionDir = (name) => (name === "install" ? sourceDir : join(sourceDir, name));

// A temp dir, removed when the process exits (kept with SBDEPLOY_ACTIONS_KEEP=1).
const made = [];
process.on("exit", () => {
  if (!process.env.SBDEPLOY_ACTIONS_KEEP) for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
export function tempDir(prefix = "sbdeploy-actions-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

// The sbdeploy under test (SBDEPLOY_BINARY, set by ctest).
export function binary() {
  const path = process.env.SBDEPLOY_BINARY;
  if (!path || !existsSync(path)) throw new Error("SBDEPLOY_BINARY is not set to the built sbdeploy: run these tests through ctest");
  return path;
}

// A PATH whose first entry holds only the sbdeploy under test.
export function pathWithBinary() {
  const dir = tempDir("sbdeploy-bin-");
  symlinkSync(binary(), join(dir, "sbdeploy"));
  return `${dir}:${process.env.PATH}`;
}

// What `sbdeploy <command> --help` says: the command's options and their defaults, and
// whether the command exists in this build.
export function commandHelp(command) {
  const text = execFileSync(binary(), [command, "--help"], { encoding: "utf8" });
  const options = new Map();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}--([a-z0-9-]+)/.exec(lines[i]);
    if (!m || m[1] === "help") continue;
    const help = lines[i + 1] ?? "";
    const def = /\(default: (.*)\)$/.exec(help.trim());
    const env = /env: (\S+)/.exec(lines[i + 2] ?? "");
    options.set(m[1], { default: def ? def[1] : null, env: env ? env[1] : null });
  }
  return { built: !text.includes("not built yet"), options, text };
}

function pgState() {
  const path = process.env.SBDEPLOY_TEST_PG_STATE;
  if (!path || !existsSync(path)) throw new Error("SBDEPLOY_TEST_PG_STATE is not set: run these tests through ctest, which starts PostgreSQL");
  const values = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

export function pgUrl(database = "postgres") {
  const s = pgState();
  return `postgresql://${s.PGUSER}:${encodeURIComponent(s.PGPASSWORD)}@${s.PGHOST}:${s.PGPORT}/${database}`;
}

export function pgPassword() {
  return pgState().PGPASSWORD;
}

export function psql(url, sql) {
  return execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], { encoding: "utf8" }).trim();
}

// A new empty database on the fixture server; its URL.
export function freshDatabase(prefix = "actions") {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  psql(pgUrl(), `CREATE DATABASE ${name}`);
  return pgUrl(name);
}

// A new database with the metrics schema applied; its URL.
export function metricsDatabase() {
  const url = freshDatabase("metrics");
  execFileSync(binary(), ["metrics", "schema", "--apply", "--db-url", url], { stdio: "pipe" });
  return url;
}

// git without the machine's identity or configuration.
export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

export function git(cwd, ...args) {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: gitEnv }).trim();
}

// A project folder with supabase/migrations holding `files` ({name: sql}).
export function project(files = {}) {
  const root = tempDir("sbdeploy-project-");
  const dir = join(root, "supabase", "migrations");
  mkdirSync(dir, { recursive: true });
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return root;
}

export function writeFiles(root, files) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
}

export function loadSpec() {
  return JSON.parse(readFileSync(join(sourceDir, "actions", "spec.json"), "utf8"));
}

// The outputs an action declares for one of its steps (default: "run").
export function loadSpecOutputs(action, step = "run") {
  return Object.entries(loadSpec().actions[action].outputs)
    .filter(([, o]) => (o.step ?? "run") === step)
    .map(([name]) => name);
}

// Starts a stand-in server of tests/servers/ (`node <script> ...args`); its base URL once it
// listens. It then keeps this process alive no longer, and stops when it exits (stdin closes).
export function startServer(script, ...args) {
  const child = spawn(process.execPath, [join(sourceDir, "tests", "servers", script), ...args], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((ready, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^listening on (\S+)$/m.exec(out);
      if (!m) return;
      for (const handle of [child, child.stdin, child.stdout]) handle.unref();
      ready(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`${script} exited (${code}) before listening`)));
  });
}
