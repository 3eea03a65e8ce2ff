// The actions a release needs beside push: status-migrations (the pending check),
// verify-migrations, repair-migrations, rollback-migrations (and its dry run), and
// push-migrations' rollback-on-verify-failure; run end to end by the local runner against
// fresh databases on the test PostgreSQL (the ctest fixture `pg`). Also the per-environment
// project refs (staging-project-ref) through the Management API stand-in.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { actionDir, freshDatabase, loadSpecOutputs, metricsDatabase, pathWithBinary, project, psql, sourceDir, writeFiles } from "./support.mjs";

const PATH = pathWithBinary();
const A = { "20240101000000_a.sql": "create table a (id int);\n" };
const B = { "20240102000000_b.sql": "create table b (id int);\n" };
const DOWN = { "supabase/migrations/down/20240102000000_b.sql": "drop table b;\n" };
const pushTo = (branch) => ({ eventName: "push", ref: `refs/heads/${branch}`, event: { ref: `refs/heads/${branch}` } });

const tables = (url) => psql(url, "select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'");
const versions = (url) => psql(url, "select string_agg(version, ',' order by version) from supabase_migrations.schema_migrations");

const written = { "status-migrations": new Set(), "verify-migrations": new Set(), "repair-migrations": new Set(), "rollback-migrations": new Set() };
function collect(action, r) {
  for (const name of Object.keys(r.step.run.outputs)) written[action].add(name);
}

async function pushed(files, branch = "staging") {
  const url = freshDatabase();
  const workspace = project(files);
  const r = await runAction(actionDir("push-migrations"), { workspace, github: pushTo(branch), path: PATH, with: { "staging-db-url": url } });
  assert.equal(r.ok, true, r.log);
  return { url, workspace };
}

test("status-migrations: fail-on-pending fails while migrations are pending, passes once they are applied", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A, ...B });
  const run = (extra = {}) =>
    runAction(actionDir("status-migrations"), { workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url, ...extra } });

  const pending = await run({ "fail-on-pending": "true" });
  collect("status-migrations", pending);
  assert.equal(pending.ok, false, pending.log);
  assert.equal(pending.outputs.environment, "staging");
  assert.equal(pending.outputs.pending_count, "2");
  assert.deepEqual(JSON.parse(pending.outputs.pending), ["20240101000000", "20240102000000"]);

  const listed = await run();
  assert.equal(listed.ok, true, "without fail-on-pending it only lists\n" + listed.log);

  const p = await runAction(actionDir("push-migrations"), { workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url } });
  assert.equal(p.ok, true, p.log);
  const clean = await run({ "fail-on-pending": "true" });
  collect("status-migrations", clean);
  assert.equal(clean.ok, true, clean.log);
  assert.equal(clean.outputs.pending_count, "0");
  assert.equal(clean.outputs.applied_count, "2");
});

test("status-migrations: the job's SBDEPLOY_FAIL_ON_PENDING reaches sbdeploy when the input is left out", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("status-migrations"), {
    workspace: project(A),
    github: pushTo("staging"),
    path: PATH,
    env: { SBDEPLOY_FAIL_ON_PENDING: "true", SBDEPLOY_STAGING_DB_URL: url },
  });
  assert.equal(r.ok, false, r.log);
  assert.equal(r.outputs.pending_count, "1");
});

test("verify-migrations: expectations met pass, a missing object fails naming it", async () => {
  const { url, workspace } = await pushed({ ...A });
  const ok = await runAction(actionDir("verify-migrations"), {
    workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url, expect: "table:public.a" },
  });
  collect("verify-migrations", ok);
  assert.equal(ok.ok, true, ok.log);
  assert.equal(ok.outputs.verified, "true");
  assert.equal(ok.outputs.missing, "[]");
  const missing = await runAction(actionDir("verify-migrations"), {
    workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url, expect: "table:public.a\ntable:public.nope" },
  });
  collect("verify-migrations", missing);
  assert.equal(missing.ok, false, missing.log);
  assert.equal(missing.outputs.verified, "false");
  assert.equal(missing.outputs.missing, '["table public.nope is missing"]');
});

test("repair-migrations: marks versions reverted, then applied again, running no SQL", async () => {
  const { url, workspace } = await pushed({ ...A, ...B });
  const run = (status) =>
    runAction(actionDir("repair-migrations"), {
      workspace, github: pushTo("staging"), path: PATH,
      with: { "staging-db-url": url, status, versions: "20240101000000, 20240102000000" },
    });
  const reverted = await run("reverted");
  collect("repair-migrations", reverted);
  assert.equal(reverted.ok, true, reverted.log);
  assert.equal(reverted.outputs.status, "reverted");
  assert.deepEqual(JSON.parse(reverted.outputs.repaired), ["20240101000000", "20240102000000"]);
  assert.equal(versions(url), "");
  assert.equal(tables(url), "a,b", "repair runs no migration SQL");
  const applied = await run("applied");
  assert.equal(applied.ok, true, applied.log);
  assert.equal(versions(url), "20240101000000,20240102000000");
});

test("rollback-migrations: dry-run shows what would be undone and changes nothing; then it is undone", async () => {
  const { url, workspace } = await pushed({ ...A, ...B });
  writeFiles(workspace, DOWN);
  const dry = await runAction(actionDir("rollback-migrations"), {
    workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url, last: "1", "dry-run": "true" },
  });
  collect("rollback-migrations", dry);
  assert.equal(dry.ok, true, dry.log);
  assert.deepEqual(JSON.parse(dry.outputs.would_roll_back), ["20240102000000"]);
  assert.equal(tables(url), "a,b");
  assert.equal(versions(url), "20240101000000,20240102000000");

  const real = await runAction(actionDir("rollback-migrations"), {
    workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url, to: "20240101000000" },
  });
  collect("rollback-migrations", real);
  assert.equal(real.ok, true, real.log);
  assert.deepEqual(JSON.parse(real.outputs.rolled_back), ["20240102000000"]);
  assert.equal(real.outputs.rolled_back_count, "1");
  assert.equal(tables(url), "a");
  assert.equal(versions(url), "20240101000000");
});

// The Management API stand-in, with `projects` ({ref: db_url}); its base URL.
function managementApi(projects) {
  const args = [join(sourceDir, "tests", "servers", "management-api.mjs"), "--token", TOKEN];
  for (const [ref, url] of Object.entries(projects)) args.push("--project", `${ref}=${url}`);
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  after(() => child.kill());  // it would outlive the test otherwise
  return new Promise((ready, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^(https?:\/\/\S+)\n/.exec(out);
      if (!m) return;
      for (const handle of [child, child.stdin, child.stdout]) handle.unref();
      ready(m[1]);
    });
    child.on("exit", (code) => fail(new Error(`management-api.mjs exited (${code}) before listening`)));
  });
}
const TOKEN = "sbp_0123456789abcdef0123456789abcdef01234567";

test("push-migrations: staging-project-ref pushes to staging through the Management API", async () => {
  const staging = freshDatabase();
  const api = await managementApi({ stagingprojectrefaaa: staging });
  const r = await runAction(actionDir("push-migrations"), {
    workspace: project(A), github: pushTo("staging"), path: PATH,
    with: { "staging-project-ref": "stagingprojectrefaaa", "access-token": TOKEN, "api-url": api },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.applied_count, "1");
  assert.equal(versions(staging), "20240101000000");
});

test("validate-migrations: production-project-ref is the target of a pull request into main", async () => {
  const production = freshDatabase();
  const api = await managementApi({ productionprojectref: production });
  const r = await runAction(actionDir("validate-migrations"), {
    workspace: project({ "20240101000000_a.sql": "create table a (id int);\nalter table a enable row level security;\n" }),
    github: {
      eventName: "pull_request", ref: "refs/pull/3/merge", headRef: "staging", baseRef: "main", repository: "acme/app",
      event: {
        number: 3,
        repository: { full_name: "acme/app" },
        pull_request: {
          number: 3, title: "t",
          base: { ref: "main", sha: "b".repeat(40), repo: { full_name: "acme/app" } },
          head: { ref: "staging", sha: "a".repeat(40), repo: { full_name: "acme/app" } },
        },
      },
    },
    path: PATH,
    with: { "validate-against": "base", "production-project-ref": "productionprojectref", "access-token": TOKEN, "api-url": api },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "production");
  assert.equal(r.outputs.valid, "true");
  assert.equal(r.outputs.pending_count, "1");
});

test("record-metrics: the project-ref input records a row through the Management API", async () => {
  const metrics = metricsDatabase();
  const api = await managementApi({ metricsprojectrefaaa: metrics });
  const r = await runAction(actionDir("record-metrics"), {
    workspace: project(),
    github: {
      eventName: "pull_request", ref: "refs/pull/42/merge", headRef: "feature/x", baseRef: "staging", repository: "acme/app",
      event: {
        action: "closed", number: 42,
        pull_request: {
          number: 42, title: "feat: x", state: "closed", merged: true, draft: false,
          created_at: "2025-01-01T10:00:00Z", merged_at: "2025-01-01T12:30:00Z", closed_at: "2025-01-01T12:30:00Z",
          user: { login: "octocat" },
          head: { ref: "feature/x", sha: "a".repeat(40), repo: { full_name: "acme/app" } },
          base: { ref: "staging", sha: "b".repeat(40), repo: { full_name: "acme/app" } },
        },
        repository: { full_name: "acme/app", default_branch: "main" },
      },
    },
    path: PATH,
    with: { "project-ref": "metricsprojectrefaaa", "access-token": TOKEN, "api-url": api },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.pr_events, "1", "rows written over the API are counted\n" + r.log);
  assert.equal(psql(metrics, "select pr_number || '|' || event_type from metrics.pr_events"), "42|merged", r.log);
});

test("declared outputs are exactly the ones sbdeploy writes", () => {
  for (const action of Object.keys(written)) assert.deepEqual([...written[action]].sort(), loadSpecOutputs(action, "run").sort(), action);
});
