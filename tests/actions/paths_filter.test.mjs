// paths-filter-migrations run end to end by the local runner on real git repositories.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runAction } from "./runner.mjs";
import { actionDir, git, pathWithBinary, tempDir, writeFiles } from "./support.mjs";

const PATH = pathWithBinary();

// main with one migration; `feature` adds one, edits a README; returns the shas.
function repository() {
  const root = tempDir("sbdeploy-repo-");
  git(root, "init", "-q", "-b", "main");
  writeFiles(root, { "supabase/migrations/20240101000000_init.sql": "create table a (id int);\n", "README.md": "x\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "init");
  const base = git(root, "rev-parse", "HEAD");
  git(root, "checkout", "-q", "-b", "feature");
  writeFiles(root, { "supabase/migrations/20240102000000_add b.sql": "create table b (id int);\n", "README.md": "y\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "feature");
  const head = git(root, "rev-parse", "HEAD");
  return { root, base, head };
}

function pullRequest({ base, head }, { title = "add b", headRef = "feature" } = {}) {
  return {
    eventName: "pull_request",
    ref: "refs/pull/7/merge",
    headRef,
    baseRef: "main",
    sha: head,
    event: {
      action: "opened",
      number: 7,
      pull_request: {
        number: 7,
        title,
        base: { ref: "main", sha: base, repo: { full_name: "acme/app" } },
        head: { ref: headRef, sha: head, repo: { full_name: "acme/app" } },
      },
      repository: { full_name: "acme/app", default_branch: "main" },
    },
  };
}

test("paths-filter-migrations: a pull request adding a migration", async () => {
  const repo = repository();
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: pullRequest(repo),
    path: PATH,
    with: { "list-files": "json" },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.changed, "true");
  assert.equal(r.outputs.migrations, "true");
  assert.equal(r.outputs.count, "1");
  assert.equal(r.outputs.migrations_count, "1");
  assert.equal(r.outputs.files, '["supabase/migrations/20240102000000_add b.sql"]');
  assert.equal(r.outputs.added, '["supabase/migrations/20240102000000_add b.sql"]');
  assert.equal(r.outputs.modified, "[]");
  assert.equal(r.outputs.deleted, "[]");
  assert.equal(r.outputs.renamed, "[]");
  assert.equal(r.outputs.migrations_files, '["supabase/migrations/20240102000000_add b.sql"]');
  assert.equal(r.outputs.changes, '["migrations"]');
  assert.equal(r.outputs.edited_existing, "[]");
  assert.equal(r.outputs.base, repo.base);
  assert.equal(r.outputs.head, repo.head);
  assert.notEqual(r.outputs.base_reason, "");
  assert.match(r.step.install.stdout, /^sbdeploy: using .*\/sbdeploy \(already on PATH\)$/m);
});

test("paths-filter-migrations: no migration changed, list-files none", async () => {
  const repo = repository();
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: pullRequest(repo),
    path: PATH,
    with: { filters: "supabase/migrations/*.sql\n!supabase/migrations/*add b.sql" },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.changed, "false");
  assert.equal(r.outputs.migrations, "false");
  assert.equal(r.outputs.count, "0");
  assert.equal(r.outputs.files, "[]");
  assert.equal(r.outputs.changes, "[]");
  assert.equal(r.outputs.migrations_files, "");
});

// The outputs the binary wrote (the run step's GITHUB_OUTPUT) are exactly the declared ones.
test("paths-filter-migrations: declared outputs are the ones sbdeploy writes", async () => {
  const repo = repository();
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: pullRequest(repo),
    path: PATH,
    with: { "list-files": "csv" },
  });
  assert.equal(r.ok, true, r.log);
  assert.deepEqual(Object.keys(r.step.run.outputs).sort(), Object.keys(r.outputs).sort());
});

// A branch name and a title an attacker controls reach sbdeploy as data: the inputs come from
// the event through expressions, and nothing of them runs in the shell.
test("paths-filter-migrations: a hostile branch name and title are data, not code", async (t) => {
  const canary = join(tempDir("sbdeploy-canary-"), "pwned");
  const hostile = {
    "branch name": `x$(touch${"${IFS}"}${canary})";rm${"${IFS}"}-rf${"${IFS}"}/;#$(id)`,
    "title": `$(touch ${canary}) \`touch ${canary}\` "; rm -rf / # $(id) '; touch ${canary}; '`,
  };

  // Were the text ever run, rm and touch are stand-ins that only leave the canary.
  const stubs = tempDir("sbdeploy-stubs-");
  for (const tool of ["rm", "touch"]) writeFiles(stubs, { [tool]: `#!/bin/sh\necho ran >${canary}\n` });
  execFileSync("chmod", ["+x", join(stubs, "rm"), join(stubs, "touch")]);
  // Control: the same input spliced into a run: script (what the actions never do) runs.
  await t.test("control: an action with ${{ }} inside run: is caught", async () => {
    const dir = tempDir("sbdeploy-vulnerable-");
    writeFiles(dir, {
      "action.yml": 'name: v\ndescription: v\ninputs:\n  base:\n    description: b\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: sbdeploy paths-filter --base "${{ inputs.base }}"\n',
    });
    const repo = repository();
    await runAction(dir, {
      workspace: repo.root,
      github: pullRequest(repo, { headRef: hostile["branch name"] }),
      path: `${stubs}:${PATH}`,
      with: { base: "${{ github.head_ref }}" },
    });
    assert.equal(existsSync(canary), true);
    rmSync(canary);
  });
  for (const [what, text] of Object.entries(hostile)) {
    await t.test(what, async () => {
      const repo = repository();
      const r = await runAction(actionDir("paths-filter-migrations"), {
        workspace: repo.root,
        github: pullRequest(repo, { headRef: text, title: text }),
        path: `${stubs}:${PATH}`,
        with: what === "title" ? { "fetch-limit": "${{ github.event.pull_request.title }}" } : { base: "${{ github.head_ref }}" },
      });
      assert.equal(r.ok, false);
      assert.equal(r.step.run.env[what === "title" ? "SBDEPLOY_FETCH_LIMIT" : "SBDEPLOY_BASE"], text);
      const error = r.annotations.find((a) => a.command === "error");
      assert.ok(error, r.log);
      assert.ok(error.message.includes(`"${text}"`), error.message);
      assert.equal(existsSync(canary), false);
      assert.doesNotMatch(r.log, /uid=\d+/);
    });
  }
});

test("paths-filter-migrations: a push to main compares with the payload's before", async () => {
  const repo = repository();
  git(repo.root, "checkout", "-q", "main");
  git(repo.root, "merge", "-q", "--ff-only", "feature");
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: { eventName: "push", ref: "refs/heads/main", sha: repo.head, event: { ref: "refs/heads/main", before: repo.base, after: repo.head } },
    path: PATH,
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.changed, "true");
  assert.equal(r.outputs.base, repo.base);
});

test("paths-filter-migrations: dorny/paths-filter's filters and input names", async () => {
  const repo = repository();
  const filters = [
    "shared: &shared",
    "  - 'README.md'",
    "migrations:",
    "  - added|modified: 'supabase/migrations/**'",
    "docs:",
    "  - *shared",
    "typo:",
    "  - 'supabase/migration/**'",
  ].join("\n");
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: pullRequest(repo),
    path: PATH,
    with: { filters, "list-files": "shell", "predicate-quantifier": "some", token: "", "initial-fetch-depth": "10" },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.migrations, "true");
  assert.equal(r.outputs.migrations_count, "1");
  assert.equal(r.outputs.migrations_files, "'supabase/migrations/20240102000000_add b.sql'");
  assert.equal(r.outputs.changes, '["shared","migrations","docs"]');
  const others = JSON.parse(r.outputs.filter_outputs);
  assert.equal(others.docs, "true");
  assert.equal(others.docs_files, "README.md");
  assert.equal(others.typo, "false");
  assert.equal(others.typo_count, "0");
  // sbdeploy's own outputs: the files any filter selected.
  assert.equal(r.outputs.files, '["README.md","supabase/migrations/20240102000000_add b.sql"]');
  // An input left empty passes nothing; the others reach the binary.
  assert.equal(r.step.run.env.SBDEPLOY_GITHUB_TOKEN, "");
  assert.equal(r.step.run.env.SBDEPLOY_INITIAL_FETCH_DEPTH, "10");
  const warning = r.annotations.find((a) => a.command === "warning");
  assert.ok(warning, r.log);
  assert.match(warning.message, /filter "typo" matches no file of the repository/);
});

test("paths-filter-migrations: filters from a file under working-directory", async () => {
  const repo = repository();
  writeFiles(repo.root, { ".github/filters.yml": "docs:\n  - 'README.md'\nmigrations: 'supabase/migrations/*.sql'\n" });
  const r = await runAction(actionDir("paths-filter-migrations"), {
    workspace: repo.root,
    github: pullRequest(repo),
    path: PATH,
    with: { filters: ".github/filters.yml", "working-directory": "." },
  });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.changes, '["docs","migrations"]');
  assert.equal(r.outputs.migrations, "true");
  assert.equal(JSON.parse(r.outputs.filter_outputs).docs_count, "1");
});
