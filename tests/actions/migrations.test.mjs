// validate-migrations and push-migrations run end to end by the local runner
// against fresh databases on the test PostgreSQL (the ctest fixture `pg`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { actionDir, freshDatabase, git, loadSpecOutputs, pathWithBinary, pgPassword, project, psql, startServer, tempDir, writeFiles } from "./support.mjs";

const PATH = pathWithBinary();
// Tables in the exposed schema public get row level security, as validate's lint requires.
const A = { "20240101000000_a.sql": "create table a (id int);\nalter table a enable row level security;\n" };
const B = { "20240102000000_b.sql": "create table b (id int);\nalter table b enable row level security;\ninsert into b values (1);\n" };
const BROKEN = { "20240102000000_b.sql": "create table b (id int);\nalter table b enable row level security;\nselect 1/0;\n" };
const NO_RLS = { "20240103000000_c.sql": "create table c (id int);\n" };

const pushTo = (branch) => ({ eventName: "push", ref: `refs/heads/${branch}`, event: { ref: `refs/heads/${branch}` } });
const pullRequestInto = (base, head = "feature/x") => ({
  eventName: "pull_request",
  ref: "refs/pull/3/merge",
  headRef: head,
  baseRef: base,
  event: {
    number: 3,
    pull_request: {
      number: 3, title: "t",
      base: { ref: base, sha: "b".repeat(40), repo: { full_name: "acme/app" } },
      head: { ref: head, sha: "a".repeat(40), repo: { full_name: "acme/app" } },
    },
  },
});

function tables(url) {
  return psql(url, "select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'");
}

function versions(url) {
  return psql(url, "select string_agg(version, ',' order by version) from supabase_migrations.schema_migrations");
}

// The log as GitHub would show it: everything but the ::add-mask:: lines themselves.
function shownLog(r) {
  return r.log.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n");
}

// Outputs the binary wrote, over several runs, must be exactly the action's declared outputs.
const written = { "validate-migrations": new Set(), "push-migrations": new Set() };
const verifyWritten = new Set();
function collect(action, r) {
  for (const name of Object.keys(r.step.run.outputs)) written[action].add(name);
}

test("validate-migrations: a pull request validates against staging with a real dry run", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("validate-migrations"), {
    workspace: project({ ...A, ...B }),
    github: pullRequestInto("staging"),
    path: PATH,
    with: { "staging-db-url": url },
  });
  collect("validate-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "staging");
  assert.equal(r.outputs.valid, "true");
  assert.equal(r.outputs.pending_count, "2");
  assert.equal(r.outputs.failed_count, "0");
  assert.deepEqual(JSON.parse(r.outputs.verdicts).map((v) => [v.version, v.verdict]), [
    ["20240101000000", "ok"],
    ["20240102000000", "ok"],
  ]);
  assert.equal(tables(url), "", "the dry run changed nothing");
  assert.ok(!shownLog(r).includes(pgPassword()), "the password is never shown");
});

// An empty input leaves the job's own variable (as the seeds set SUPABASE_ACCESS_TOKEN for a
// whole workflow); a given input wins over it.
test("validate-migrations: the job's SBDEPLOY_* variables reach sbdeploy when the input is empty", async () => {
  const url = freshDatabase();
  const workspace = project(A);
  const fromJob = await runAction(actionDir("validate-migrations"), {
    workspace,
    github: pullRequestInto("staging"),
    path: PATH,
    env: { SBDEPLOY_STAGING_DB_URL: url },
  });
  assert.equal(fromJob.ok, true, fromJob.log);
  assert.equal(fromJob.outputs.pending_count, "1");
  const inputWins = await runAction(actionDir("validate-migrations"), {
    workspace,
    github: pullRequestInto("staging"),
    path: PATH,
    env: { SBDEPLOY_STAGING_DB_URL: "postgresql://nobody@127.0.0.1:1/none" },
    with: { "staging-db-url": url },
  });
  assert.equal(inputWins.ok, true, inputWins.log);
});

test("validate-migrations: a failing migration fails the check with an annotation on its line", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("validate-migrations"), {
    workspace: project({ ...A, ...BROKEN }),
    github: pullRequestInto("staging"),
    path: PATH,
    with: { "db-url": url },
  });
  collect("validate-migrations", r);
  assert.equal(r.ok, false);
  assert.equal(r.step.run.exitCode, 1);
  assert.equal(r.outputs.valid, "false");
  assert.equal(r.outputs.failed_count, "1");
  const error = r.annotations.find((a) => a.command === "error");
  assert.deepEqual(error.properties, { file: "supabase/migrations/20240102000000_b.sql", line: "3" });
  assert.match(error.message, /^division by zero \(SQLSTATE 22012\)/);
  assert.ok(!shownLog(r).includes(pgPassword()));
});

test("validate-migrations: lint findings fail the check unless lint-fail-on says otherwise", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A, ...NO_RLS });
  const failing = await runAction(actionDir("validate-migrations"), {
    workspace,
    github: pullRequestInto("staging"),
    path: PATH,
    with: { "staging-db-url": url },
  });
  collect("validate-migrations", failing);
  assert.equal(failing.ok, false);
  assert.equal(failing.outputs.valid, "false");
  assert.equal(failing.outputs.failed_count, "0", "the dry run itself passed");
  assert.equal(failing.outputs.lint_errors, "1");
  const findings = JSON.parse(failing.outputs.lint_findings);
  assert.deepEqual(findings.map((f) => [f.rule, f.file, f.line]), [["rls-missing", "supabase/migrations/20240103000000_c.sql", 1]]);
  const error = failing.annotations.find((a) => a.command === "error");
  assert.equal(error.properties.file, "supabase/migrations/20240103000000_c.sql");

  for (const w of [{ "lint-fail-on": "never" }, { "lint-disable": "rls-missing" }]) {
    const passing = await runAction(actionDir("validate-migrations"), {
      workspace,
      github: pullRequestInto("staging"),
      path: PATH,
      with: { "staging-db-url": url, ...w },
    });
    collect("validate-migrations", passing);
    assert.equal(passing.ok, true, passing.log);
    assert.equal(passing.outputs.valid, "true");
    assert.equal(passing.annotations.filter((a) => a.command === "error").length, 0, "a passing check has no ::error");
  }
  assert.equal(tables(url), "", "the dry runs changed nothing");
});

test("validate-migrations: a push to a feature branch does nothing", async () => {
  const r = await runAction(actionDir("validate-migrations"), {
    workspace: project(A),
    github: pushTo("feature/x"),
    path: PATH,
  });
  collect("validate-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "", "a run that maps to none names no environment");
  assert.equal(r.outputs.action, "none");
  assert.equal(r.outputs.reason, 'push to "feature/x" maps to no environment');
});

test("push-migrations: a push to staging applies pending migrations, then nothing", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A, ...B });
  const run = () =>
    runAction(actionDir("push-migrations"), { workspace, github: pushTo("staging"), path: PATH, with: { "staging-db-url": url } });
  const first = await run();
  collect("push-migrations", first);
  assert.equal(first.ok, true, first.log);
  assert.equal(first.outputs.environment, "staging");
  assert.equal(first.outputs.applied, '["20240101000000","20240102000000"]');
  assert.equal(first.outputs.applied_count, "2");
  assert.equal(first.outputs.pending_count, "0");
  assert.equal(first.step.verify.outcome, "skipped", "verify runs only with expect or health-url");
  assert.equal(tables(url), "a,b");
  assert.equal(versions(url), "20240101000000,20240102000000");
  assert.ok(!shownLog(first).includes(pgPassword()));

  const again = await run();
  assert.equal(again.ok, true, again.log);
  assert.equal(again.outputs.applied, "[]");
  assert.equal(again.outputs.applied_count, "0");
});

test("push-migrations: a migration that fails stops the push and fails the step", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("push-migrations"), {
    workspace: project({ ...A, ...BROKEN }),
    github: pushTo("staging"),
    path: PATH,
    with: { "staging-db-url": url },
  });
  collect("push-migrations", r);
  assert.equal(r.ok, false);
  assert.equal(r.outputs.applied, '["20240101000000"]');
  assert.equal(r.outputs.pending_count, "1");
  assert.equal(versions(url), "20240101000000");
  assert.equal(r.annotations.find((a) => a.command === "error").properties.line, "3");
});

test("push-migrations: dry-run lists what would be applied and changes nothing", async () => {
  const url = freshDatabase();
  const r = await runAction(actionDir("push-migrations"), {
    workspace: project({ ...A, ...B }),
    github: pushTo("main"),
    path: PATH,
    with: { "production-db-url": url, "dry-run": "true", "promote-from": "none" },
  });
  collect("push-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "production");
  assert.equal(r.outputs.promotion, "off");
  assert.equal(r.outputs.pending, '["20240101000000","20240102000000"]');
  assert.equal(r.outputs.applied_count, "0");
  assert.equal(tables(url), "");
});

test("push-migrations: include-seed runs the seed file after the migrations, then only seed data", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A });
  writeFiles(workspace, { "supabase/seed.sql": "insert into a values (1);\n" });
  const run = () =>
    runAction(actionDir("push-migrations"), {
      workspace,
      github: pushTo("staging"),
      path: PATH,
      with: { "staging-db-url": url, "include-seed": "true" },
    });
  const first = await run();
  collect("push-migrations", first);
  assert.equal(first.ok, true, first.log);
  assert.equal(first.outputs.applied_count, "1");
  assert.equal(first.outputs.seeded, '["supabase/seed.sql"]');
  assert.equal(first.outputs.seeded_count, "1");
  assert.equal(psql(url, "select count(*) from a"), "1");

  // The seed file changed, no migration is pending: said so, no "Pushed 0 migrations".
  writeFiles(workspace, { "supabase/seed.sql": "delete from a;\ninsert into a values (2);\n" });
  const second = await run();
  assert.equal(second.ok, true, second.log);
  assert.equal(second.outputs.applied_count, "0");
  assert.equal(second.outputs.seeded_count, "1");
  assert.match(second.log, /No migrations to push to .*; seed data applied: 1 file/);
  assert.ok(!second.log.includes("Pushed 0"));
  assert.equal(psql(url, "select string_agg(id::text, ',') from a"), "2");
});

// A branch name an attacker controls (the ref of the push) reaches sbdeploy as data.
test("push-migrations: a hostile branch name is data, not code", async () => {
  const canary = join(tempDir("sbdeploy-canary-"), "pwned");
  const stubs = tempDir("sbdeploy-stubs-");
  for (const tool of ["rm", "touch"]) writeFiles(stubs, { [tool]: `#!/bin/sh\necho ran >${canary}\n` });
  execFileSync("chmod", ["+x", join(stubs, "rm"), join(stubs, "touch")]);
  const branch = `feat/$(touch${"${IFS}"}${canary})";rm${"${IFS}"}-rf${"${IFS}"}/;#$(id)`;
  const r = await runAction(actionDir("push-migrations"), {
    workspace: project(A),
    github: pushTo(branch),
    path: `${stubs}:${PATH}`,
    with: { environment: "${{ github.ref_name == 'main' && 'production' || '' }}" },
  });
  collect("push-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.environment, "", "a run that maps to none names no environment");
  assert.equal(r.outputs.action, "none");
  assert.equal(r.outputs.reason, `push to "${branch}" maps to no environment`);
  assert.equal(existsSync(canary), false);
  assert.doesNotMatch(r.log, /uid=\d+/);
});

test("validate-migrations: a fork pull request without secrets checks offline", async () => {
  const github = pullRequestInto("staging");
  github.event.pull_request.head.repo = { full_name: "someone/app" };
  github.event.pull_request.base.repo = { full_name: "acme/app" };
  const r = await runAction(actionDir("validate-migrations"), { workspace: project({ ...A, ...B }), github, path: PATH });
  collect("validate-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.offline, "true");
  assert.equal(r.outputs.valid, "true");
  assert.equal(r.outputs.pending_count, "2");
  assert.notEqual(r.outputs.skipped, "");
});

test("push-migrations: production gets only what staging ran (the promotion gate)", async () => {
  const staging = freshDatabase();
  const production = freshDatabase();
  const workspace = project({ ...A, ...B });
  const push = (branch) =>
    runAction(actionDir("push-migrations"), {
      workspace,
      github: pushTo(branch),
      path: PATH,
      with: { "staging-db-url": staging, "production-db-url": production },
    });
  const early = await push("main");
  collect("push-migrations", early);
  assert.equal(early.ok, false);
  assert.equal(early.outputs.environment, "production");
  assert.equal(early.outputs.promotion, "refused");
  assert.equal(tables(production), "");

  const toStaging = await push("staging");
  assert.equal(toStaging.ok, true, toStaging.log);
  const promoted = await push("main");
  collect("push-migrations", promoted);
  assert.equal(promoted.ok, true, promoted.log);
  assert.equal(promoted.outputs.promotion, "passed");
  assert.equal(promoted.outputs.applied_count, "2");
  assert.equal(tables(production), "a,b");
});

// Seed 003's hotfix: a hotfix/* pull request into main, validated with the gate's forecast,
// merged, deployed at once; GitHub (tests/servers/github-api.mjs) names the pull request of the
// pushed commit and its files.
test("validate-migrations and push-migrations: a hotfix pull request passes the gate, saying to merge back", async () => {
  const staging = freshDatabase();
  const production = freshDatabase();
  const workspace = project(A);
  const api = await startServer("github-api.mjs");
  const merge = "c".repeat(40);
  const state = { token: "ghs_t", repos: { "acme/app": { id: 9, pulls: { 3: {
    head: "hotfix/a", base: "main", merged_at: "2025-01-02T10:00:00Z", merge_commit_sha: merge,
    files: [{ filename: "supabase/migrations/20240101000000_a.sql", status: "added" }] } } } } };
  await fetch(`${api}/_control/state`, { method: "POST", body: JSON.stringify(state) });
  const secrets = { "staging-db-url": staging, "production-db-url": production };

  const validate = await runAction(actionDir("validate-migrations"), {
    workspace, path: PATH, with: secrets,
    github: {
      ...pullRequestInto("main", "hotfix/a"), apiUrl: api, token: "ghs_t",
      event: { number: 3, pull_request: { number: 3, title: "t",
        base: { ref: "main", sha: "b".repeat(40), repo: { full_name: "acme/app" } },
        head: { ref: "hotfix/a", sha: "a".repeat(40), repo: { full_name: "acme/app" } } } },
    },
  });
  collect("validate-migrations", validate);
  assert.equal(validate.ok, true, validate.log);
  assert.equal(validate.outputs.promotion, "hotfix");
  assert.equal(validate.outputs.merge_back, "hotfix/a");
  assert.equal(tables(production), "");

  const push = await runAction(actionDir("push-migrations"), {
    workspace, path: PATH, with: secrets,
    github: { eventName: "push", ref: "refs/heads/main", sha: merge, apiUrl: api, token: "ghs_t", event: { ref: "refs/heads/main", after: merge } },
  });
  collect("push-migrations", push);
  assert.equal(push.ok, true, push.log);
  assert.equal(push.outputs.promotion, "hotfix");
  assert.equal(push.outputs.merge_back, "hotfix/a");
  assert.match(push.annotations.find((a) => a.command === "warning").message, /^promotion gate: hotfix route: pull request #3 from "hotfix\/a"/);
  assert.equal(tables(production), "a");
  assert.equal(tables(staging), "");
});

test("push-migrations: expect runs sbdeploy verify after the push", async (t) => {
  for (const [expect, ok, missing] of [
    ["table:public.a\ntable:public.b", true, "[]"],
    ["table:public.a\ntable:public.nope", false, '["table public.nope is missing"]'],
  ]) {
    await t.test(expect.replace("\n", ", "), async () => {
      const url = freshDatabase();
      const r = await runAction(actionDir("push-migrations"), {
        workspace: project({ ...A, ...B }),
        github: pushTo("staging"),
        path: PATH,
        with: { "staging-db-url": url, expect },
      });
      collect("push-migrations", r);
      for (const name of Object.keys(r.step.verify.outputs)) verifyWritten.add(name);
      assert.equal(r.step.run.outcome, "success", r.log);
      assert.equal(r.step.verify.outcome, ok ? "success" : "failure", r.log);
      assert.equal(r.ok, ok);
      assert.equal(r.outputs.verified, String(ok));
      assert.equal(r.outputs.missing, missing);
    });
  }
});

test("push-migrations: expect-file alone runs sbdeploy verify too", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A });
  writeFiles(workspace, { "expect.txt": "# after the push\ntable:public.a\n" });
  const r = await runAction(actionDir("push-migrations"), {
    workspace,
    github: pushTo("staging"),
    path: PATH,
    with: { "staging-db-url": url, "expect-file": "expect.txt" },
  });
  collect("push-migrations", r);
  assert.equal(r.step.verify.outcome, "success", r.log);
  assert.equal(r.outputs.verified, "true");
});

test("push-migrations: rollback-on-verify-failure undoes this run's migrations when verification fails", async () => {
  const url = freshDatabase();
  const workspace = project({ ...A, ...B });
  writeFiles(workspace, { "supabase/migrations/down/20240101000000_a.sql": "drop table a;\n", "supabase/migrations/down/20240102000000_b.sql": "drop table b;\n" });
  const r = await runAction(actionDir("push-migrations"), {
    workspace, github: pushTo("staging"), path: PATH,
    with: { "staging-db-url": url, expect: "table:public.nope", "rollback-on-verify-failure": "true" },
  });
  // Verify ran inside the push step: its outputs there are not the step's own.
  const verifyOutputs = loadSpecOutputs("push-migrations", "verify");
  for (const name of Object.keys(r.step.run.outputs)) if (!verifyOutputs.includes(name)) written["push-migrations"].add(name);
  assert.equal(r.ok, false, r.log);
  assert.equal(r.step.run.outcome, "failure", r.log);
  assert.equal(r.step.verify.outcome, "skipped", "the push verified itself");
  assert.deepEqual(JSON.parse(r.outputs.rolled_back).sort(), ["20240101000000", "20240102000000"]);
  assert.equal(tables(url), "");
  assert.equal(versions(url) ?? "", "");
});

// seed 003's "git revert and push": the push rolls back what the reverted commit applied.
test("push-migrations: a pushed revert rolls back the migrations it deletes; no-rollback-on-revert keeps the error", async () => {
  const url = freshDatabase();
  const workspace = project(A);
  git(workspace, "init", "-q", "-b", "staging");
  git(workspace, "add", "-A");
  git(workspace, "commit", "-q", "-m", "a");
  const first = git(workspace, "rev-parse", "HEAD");
  writeFiles(workspace, { "supabase/migrations/20240102000000_b.sql": B["20240102000000_b.sql"], "supabase/migrations/down/20240102000000_b.sql": "drop table b;\n" });
  git(workspace, "add", "-A");
  git(workspace, "commit", "-q", "-m", "b");
  const release = git(workspace, "rev-parse", "HEAD");
  const pushed = (before, after) => ({ ...pushTo("staging"), sha: after, event: { ref: "refs/heads/staging", before, after, forced: false } });
  const applied = await runAction(actionDir("push-migrations"), { workspace, github: pushed(first, release), path: PATH, with: { "staging-db-url": url } });
  assert.equal(applied.ok, true, applied.log);
  git(workspace, "revert", "--no-edit", release);
  const revert = git(workspace, "rev-parse", "HEAD");

  const kept = await runAction(actionDir("push-migrations"), {
    workspace, github: pushed(release, revert), path: PATH, with: { "staging-db-url": url, "no-rollback-on-revert": "true" },
  });
  assert.equal(kept.ok, false, kept.log);
  assert.match(kept.log, /remote migration versions not found in "supabase\/migrations": 20240102000000/);
  assert.equal(tables(url), "a,b");

  const r = await runAction(actionDir("push-migrations"), { workspace, github: pushed(release, revert), path: PATH, with: { "staging-db-url": url } });
  collect("push-migrations", r);
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.reverted, '["20240102000000"]');
  assert.equal(r.outputs.reverted_count, "1");
  assert.match(r.log, /::notice file=supabase\/migrations\/20240102000000_b.sql::rolled back 20240102000000 with its down SQL/);
  assert.equal(tables(url), "a");
  assert.equal(versions(url), "20240101000000");
});

test("declared outputs are exactly the ones sbdeploy writes", () => {
  for (const action of Object.keys(written)) {
    assert.deepEqual([...written[action]].sort(), loadSpecOutputs(action, "run").sort(), action);
  }
  // verify also writes environment, action and reason, which the action takes from the push.
  const declared = loadSpecOutputs("push-migrations", "verify");
  const shared = loadSpecOutputs("push-migrations", "run");
  assert.deepEqual([...verifyWritten].filter((n) => !shared.includes(n)).sort(), declared.sort());
});
