// The input/env contract (issue 19): an input left out passes nothing, so the job's own
// SBDEPLOY_* variable reaches sbdeploy unchanged; and the events real workflows bring:
// merge_group (the octokit example), a fork's pull request, a dry run with verification.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { inputSteps } from "./generate.mjs";
import { actionDir, binary, freshDatabase, git, loadSpec, pathWithBinary, project, psql, tempDir, writeFiles } from "./support.mjs";

const spec = loadSpec();
const PATH = pathWithBinary();
const A = { "20240101000000_a.sql": "create table a (id int);\nalter table a enable row level security;\n" };

// GitHub's own webhook payloads (npm @octokit/webhooks-examples).
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples/api.github.com/index.json");
const example = (name, action) => structuredClone(examples.find((e) => e.name === name).examples.find((x) => x.action === action));

// A stand-in sbdeploy that records, per command, the environment it was started with; its
// --version is the real binary's, so the install step takes it as the wanted version.
function recordingBinary() {
  const dir = tempDir("sbdeploy-recording-");
  const script = `#!/bin/sh\nif [ "$1" = --version ]; then exec "${binary()}" --version; fi\nenv >"${dir}/$1.env"\n`;
  writeFiles(dir, { sbdeploy: script });
  chmodSync(join(dir, "sbdeploy"), 0o755);
  const seen = (command) => {
    const vars = {};
    for (const line of readFileSync(join(dir, `${command}.env`), "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return vars;
  };
  return { path: `${dir}:${process.env.PATH}`, seen };
}

// Steps guarded by an `if:` on an input run only when it is given.
const GATES = { "push-migrations": { expect: "table:public.a" } };

for (const [key, action] of Object.entries(spec.actions)) {
  const commandSteps = action.steps.filter((s) => s.command);
  if (commandSteps.length === 0) continue;
  const options = Object.entries(action.inputs).filter(([, i]) => i.kind === "option");

  test(`${key}: every option input left out leaves the job's SBDEPLOY_* variable to sbdeploy`, async () => {
    const gate = GATES[key] ?? {};
    const env = Object.fromEntries(options.filter(([n]) => !(n in gate)).map(([n, i]) => [i.env, `from-the-job:${n}`]));
    const fake = recordingBinary();
    const r = await runAction(actionDir(key), { workspace: project(), path: fake.path, env, with: gate });
    assert.equal(r.ok, true, r.log);
    for (const step of commandSteps) {
      const seen = fake.seen(step.command.split(" ")[0]);
      for (const [name, input] of options) {
        if (name in gate || !inputSteps(action, name).includes(step.id)) continue;
        assert.equal(seen[input.env], `from-the-job:${name}`, `${key}: step ${step.id}: ${input.env} (input ${name})`);
      }
    }
  });

  test(`${key}: an option input left out with no job variable passes nothing`, async () => {
    const fake = recordingBinary();
    const r = await runAction(actionDir(key), { workspace: project(), path: fake.path, with: GATES[key] ?? {} });
    assert.equal(r.ok, true, r.log);
    for (const step of commandSteps) {
      const seen = fake.seen(step.command.split(" ")[0]);
      for (const [name, input] of options)
        if (!(name in (GATES[key] ?? {})) && inputSteps(action, name).includes(step.id))
          assert.equal(seen[input.env] ?? "", "", `${key}: step ${step.id}: ${input.env} (input ${name}) is empty`);
    }
  });
}

const tables = (url) => psql(url, "select coalesce(string_agg(tablename, ',' order by tablename), '') from pg_tables where schemaname = 'public'");
const pushTo = (branch) => ({ eventName: "push", ref: `refs/heads/${branch}`, event: { ref: `refs/heads/${branch}` } });

test("push-migrations: the job's SBDEPLOY_DRY_RUN: true is a dry run, applying nothing", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("push-migrations"), {
    workspace: project(A),
    github: pushTo("staging"),
    path: PATH,
    env: { SBDEPLOY_DRY_RUN: "true" },
    with: { "staging-db-url": url },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.applied_count, "0");
  assert.equal(r.outputs.pending_count, "1");
  assert.equal(tables(url), "", "nothing was applied");
});

// A dry run applied nothing: verify has nothing new to find, and says so instead of failing.
for (const [how, o] of [
  ["the dry-run input", { with: { "dry-run": "true" } }],
  ["the job's SBDEPLOY_DRY_RUN", { env: { SBDEPLOY_DRY_RUN: "true" } }],
]) {
  test(`push-migrations: ${how} with expect and health-url skips verification with a notice`, async () => {
    const url = freshDatabase();
    const r = await runAction(actionDir("push-migrations"), {
      workspace: project(A),
      github: pushTo("staging"),
      path: PATH,
      env: o.env,
      with: { "staging-db-url": url, expect: "table:public.a", "health-url": "http://127.0.0.1:9/health", ...o.with },
    });
    assert.equal(r.ok, true, r.log);
    assert.equal(r.step.verify.outcome, "success", r.log);
    assert.equal(r.outputs.verified, "skipped");
    assert.deepEqual(
      r.annotations.filter((a) => a.command === "notice").map((a) => a.message),
      ["verify: 2 checks skipped: a dry run applied nothing, so there is nothing new to verify"],
    );
    assert.equal(tables(url), "", "nothing was applied");
  });
}

test("sbdeploy push --dry-run --rollback-on-verify-failure --expect exits 0 with a notice", () => {
  const url = freshDatabase();
  const workspace = project(A);
  writeFiles(workspace, { "supabase/migrations/down/20240101000000_a.sql": "drop table a;\n" });
  const r = spawnSync(binary(), ["push", "--dry-run", "--rollback-on-verify-failure", "--expect", "table:public.a", "--db-url", url, "--workdir", workspace], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/tmp", GITHUB_ACTIONS: "true" },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /::notice::push --dry-run: verify skipped: a dry run applied nothing/);
  assert.equal(tables(url), "");
});

test("sbdeploy verify --dry-run checks nothing and exits 0 with a notice", () => {
  const r = spawnSync(binary(), ["verify", "--dry-run", "--expect", "table:public.nowhere", "--db-url", "postgresql://u@127.0.0.1:9/x"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/tmp", GITHUB_ACTIONS: "true" },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /skipped {2}table public\.nowhere/);
  assert.match(r.stdout + r.stderr, /::notice::verify: 1 check skipped: a dry run applied nothing/);
});

// A fork's pull request (octokit's opened example, its head moved to a fork): GitHub passes no
// secrets, so there is no metrics database; record-metrics says so once and passes.
test("record-metrics: a fork pull request without secrets records nothing, with one notice", async () => {
  const event = example("pull_request", "opened");
  event.pull_request.head.repo = { ...event.pull_request.head.repo, full_name: "outsider/Hello-World", fork: true, owner: { login: "outsider" } };
  event.pull_request.head.label = "outsider:changes";
  const r = await runAction(actionDir("record-metrics"), {
    workspace: project(),
    github: { eventName: "pull_request", ref: `refs/pull/${event.number}/merge`, headRef: event.pull_request.head.ref, baseRef: event.pull_request.base.ref, repository: event.repository.full_name, event },
    path: PATH,
  });
  assert.equal(r.ok, true, r.log);
  const notices = r.annotations.filter((a) => a.command === "notice").map((a) => a.message);
  assert.equal(notices.length, 1, notices.join("\n"));
  assert.match(notices[0], /^record-metrics: nothing recorded: GitHub passes no secrets to workflows of fork pull requests/);
  assert.equal(r.annotations.filter((a) => a.command === "error").length, 0, r.log);
});

test("record-metrics: the same pull request from the repository itself still fails without a database", async () => {
  const event = example("pull_request", "opened");
  const r = await runAction(actionDir("record-metrics"), {
    workspace: project(),
    github: { eventName: "pull_request", ref: `refs/pull/${event.number}/merge`, headRef: event.pull_request.head.ref, baseRef: event.pull_request.base.ref, repository: event.repository.full_name, event },
    path: PATH,
  });
  assert.equal(r.ok, false, r.log);
});

// octokit's merge_group example, its SHAs replaced by a real queue commit and its base: the
// filter compares base_sha..head_sha, and validate treats the group as a pull request into main.
function mergeQueue() {
  const root = tempDir("sbdeploy-queue-");
  git(root, "init", "-q", "-b", "main");
  writeFiles(root, { "supabase/migrations/20240101000000_a.sql": "create table a (id int);\n", "README.md": "x\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "base");
  const base = git(root, "rev-parse", "HEAD");
  git(root, "checkout", "-q", "-b", "gh-readonly-queue/main/pr-104-929f8209d40f77f4abc622a499c93a83babdbe64");
  writeFiles(root, { "supabase/migrations/20240102000000_b.sql": "create table b (id int);\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "queue");
  const head = git(root, "rev-parse", "HEAD");
  const event = example("merge_group", "checks_requested");
  event.merge_group.base_sha = base;
  event.merge_group.head_sha = head;
  event.merge_group.head_commit.id = head;
  const github = { eventName: "merge_group", ref: event.merge_group.head_ref, sha: head, repository: event.repository.full_name, event };
  return { root, base, head, github };
}

test("paths-filter-migrations: octokit's merge_group compares the queue's base_sha with its head", async () => {
  const q = mergeQueue();
  const r = await runAction(actionDir("paths-filter-migrations"), { workspace: q.root, github: q.github, path: PATH });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.migrations, "true");
  assert.deepEqual(JSON.parse(r.outputs.files), ["supabase/migrations/20240102000000_b.sql"]);
  assert.equal(r.outputs.base, q.base);
  assert.equal(r.outputs.head, q.head);
});

test("validate-migrations: octokit's merge_group into main validates like a pull request into main", async () => {
  const q = mergeQueue();
  const url = freshDatabase();
  const r = await runAction(actionDir("validate-migrations"), {
    workspace: q.root,
    github: q.github,
    path: PATH,
    with: { "validate-against": "base", "production-db-url": url, "staging-db-url": url, "lint-fail-on": "never" },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "production");
  assert.equal(r.outputs.action, "validate");
  assert.equal(r.outputs.reason, 'merge group into "main" validates against production, where "main" deploys');
});
