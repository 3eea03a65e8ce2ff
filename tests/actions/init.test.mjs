// `sbdeploy init` on a sample repository: every file it writes passes the action checks (GitHub's
// schema, actionlint, shellcheck, no ${{ in run:, pinned third-party actions) and runs end to end
// in the job runner against the test PostgreSQL (release_process.mjs); README's "The release
// process" shows exactly those files; --apply sets branch protection through the GitHub API
// stand-in (tests/servers/github-api.mjs), which answers as GitHub does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  actionlintProblems,
  expressionInRunProblems,
  pinningProblems,
  schemaProblems,
  shellcheckRunProblems,
} from "./checks.mjs";
import { history, init, pullRequest, push, run, sampleRepository, scenarios, writtenWorkflows } from "./release_process.mjs";
import { freshDatabase, git, sourceDir, startServer, tempDir } from "./support.mjs";

const sample = sampleRepository();
const workflows = writtenWorkflows(sample.root);

test("init writes one workflow per step of the process", () => {
  assert.deepEqual(Object.values(workflows).map((w) => w.file), [
    "migrations-metrics.yml",
    "migrations-production.yml",
    "migrations-staging.yml",
    "migrations-validate.yml",
  ]);
  assert.deepEqual(Object.keys(workflows).sort(), Object.keys(scenarios).sort());
  assert.match(sample.init.stdout, /^wrote supabase\/verify\.txt$/m);
});

test("every file init writes passes the action checks", async () => {
  for (const w of Object.values(workflows)) {
    assert.deepEqual(schemaProblems(w, "workflow"), [], w.name);
    assert.deepEqual(await actionlintProblems(w), [], w.name);
    assert.deepEqual(expressionInRunProblems(w), [], w.name);
    assert.deepEqual(pinningProblems(w), [], w.name);
    assert.deepEqual(shellcheckRunProblems(w), [], w.name);
  }
});

test("the files of other repository shapes pass the checks too", async () => {
  // master/develop, a project in a subfolder, staging's project named in config.toml.
  const root = tempDir("sbdeploy-init-");
  git(root, "init", "-q", "-b", "master");
  git(root, "commit", "-q", "--allow-empty", "-m", "init");
  git(root, "branch", "develop");
  const { writeFileSync, mkdirSync } = await import("node:fs");
  mkdirSync(join(root, "backend", "supabase"), { recursive: true });
  writeFileSync(join(root, "backend", "supabase", "config.toml"), '[remotes.staging]\nproject_id = "abcdefghijklmnopqrst"\n');
  const r = init(join(root, "backend"), ["--actions", "acme/sbdeploy@v2"]);
  assert.equal(r.status, 0, r.stderr);
  for (const w of Object.values(writtenWorkflows(root))) {
    assert.match(w.content, /acme\/sbdeploy\/[a-z-]+@v2/, w.name);
    assert.deepEqual(schemaProblems(w, "workflow"), [], w.name);
    assert.deepEqual(await actionlintProblems(w), [], w.name);
  }
  assert.match(r.stdout, /environment staging \(migrations-staging\): SUPABASE_ACCESS_TOKEN$/m);
});

for (const [name, scenario] of Object.entries(scenarios)) test(`init's ${name} runs end to end`, () => scenario(workflows[name]));

test("a project in a subfolder: the jobs work there (SBDEPLOY_WORKDIR)", async () => {
  const repo = sampleRepository([], "backend");
  const written = writtenWorkflows(repo.root);
  assert.match(written["migrations-staging"].content, /^ {6}SBDEPLOY_WORKDIR: backend$/m);
  const staging = freshDatabase();
  const validated = await run(written["migrations-validate"], pullRequest("staging", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: freshDatabase() } });
  assert.equal(validated.ok, true, validated.log);
  assert.equal(validated.steps.at(-1).outputs.pending_count, "2");
  const pushed = await run(written["migrations-staging"], push("staging", repo), { workspace: repo.root, secrets: { STAGING_DB_URL: staging } });
  assert.equal(pushed.ok, true, pushed.log);
  assert.equal(pushed.step.verify.outputs.verified, "true");
  assert.equal(history(staging), "moods,sbdeploy_metrics_schema");
});

test("README's release process shows the files init writes", () => {
  const readme = readFileSync(join(sourceDir, "README.md"), "utf8");
  const start = readme.indexOf("\n## The release process\n");
  assert.ok(start >= 0, "README.md has a section \"The release process\"");
  const section = readme.slice(start + 1, readme.indexOf("\n## ", start + 1));
  const blocks = [...section.matchAll(/```yaml\n# \.github\/workflows\/(\S+)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(
    blocks.map(([file]) => file).sort(),
    Object.values(workflows).map((w) => w.file),
  );
  for (const [file, content] of blocks) assert.equal(content, Object.values(workflows).find((w) => w.file === file).content, file);
});

// ---- --apply: branch protection through the GitHub API ------------------------------------

const TOKEN = "ghp_test_admin_token";

async function github(state) {
  const url = await startServer("github-api.mjs");
  await fetch(`${url}/_control/state`, { method: "POST", body: JSON.stringify({ token: TOKEN, ...state }) });
  return url;
}

const protectionOf = async (url, branch) => (await (await fetch(`${url}/_control/state`)).json()).repos["acme/app"].branches[branch].protection;

test("--apply requires validate-migrations on both branches, keeping what they required", async () => {
  const url = await github({
    repos: {
      "acme/app": {
        id: 1,
        branches: {
          main: {},
          staging: {
            protection: {
              required_status_checks: { strict: false, checks: [{ context: "build", app_id: 15368 }] },
              enforce_admins: true,
              required_pull_request_reviews: { required_approving_review_count: 2, dismiss_stale_reviews: true },
              restrictions: { users: ["octocat"], teams: [], apps: [] },
              required_linear_history: true,
            },
          },
        },
      },
    },
  });
  const repo = sampleRepository();
  const r = init(repo.root, ["--apply", "--repo", "acme/app", "--force"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: url });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^protected acme\/app staging: requires validate-migrations \(its other settings kept\)$/m);
  assert.match(r.stdout, /^protected acme\/app main: requires validate-migrations$/m);
  assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
  assert.deepEqual(await protectionOf(url, "main"), {
    required_status_checks: { strict: true, checks: [{ context: "validate-migrations" }] },
    enforce_admins: false,
    required_pull_request_reviews: { required_approving_review_count: 1 },
    restrictions: null,
  });
  assert.deepEqual(await protectionOf(url, "staging"), {
    required_status_checks: { strict: false, checks: [{ context: "build", app_id: 15368 }, { context: "validate-migrations" }] },
    enforce_admins: true,
    required_pull_request_reviews: { required_approving_review_count: 2, dismiss_stale_reviews: true, require_code_owner_reviews: false, require_last_push_approval: false },
    restrictions: { users: ["octocat"], teams: [], apps: [] },
    required_linear_history: true,
    allow_force_pushes: false,
    allow_deletions: false,
    block_creations: false,
    required_conversation_resolution: false,
    lock_branch: false,
    allow_fork_syncing: false,
  });
  // Again: nothing doubles.
  const again = init(repo.root, ["--apply", "--repo", "acme/app", "--token", TOKEN], { GITHUB_API_URL: url });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual((await protectionOf(url, "main")).required_status_checks.checks, [{ context: "validate-migrations" }]);
});

test("--apply: GitHub's refusals are one clear line, exit 1", async () => {
  const state = (extra = {}) => ({ repos: { "acme/app": { id: 1, branches: { main: {} }, ...extra } } });
  const cases = [
    [state(), [], /github api: GET \/repos\/acme\/app\/branches\/staging\/protection: HTTP 404 \(Branch not found\)\nhint: push the branch first: git push origin staging\n$/],
    [state(), ["--token", "wrong"], /HTTP 401 \(Bad credentials\)\nhint: the token is not accepted/],
    [{ repos: { "acme/app": { id: 1, admin: false, branches: { main: {}, staging: {} } } } }, [], /PUT \/repos\/acme\/app\/branches\/staging\/protection: HTTP 403 \(Resource not accessible by integration\)\nhint: the token needs administration write/],
  ];
  for (const [s, args, message] of cases) {
    const url = await github(s);
    const r = init(sampleRepository().root, ["--apply", "--repo", "acme/app", "--force", ...args], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: url });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  // --dry-run reads the protection and shows the request without sending it.
  const url = await github({ repos: { "acme/app": { id: 1, branches: { main: {}, staging: {} } } } });
  const dry = init(sampleRepository().root, ["--apply", "--dry-run", "--repo", "acme/app"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: url });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^would PUT \/repos\/acme\/app\/branches\/main\/protection \{"required_status_checks":\{"strict":true,"checks":\[\{"context":"validate-migrations"\}\]\}/m);
  assert.equal(await protectionOf(url, "main"), undefined);
});

test("the stand-in validates a protection body as GitHub does", async () => {
  const url = await github({ repos: { "acme/app": { id: 1, branches: { main: {} } } } });
  const put = (body) =>
    fetch(`${url}/repos/acme/app/branches/main/protection`, { method: "PUT", headers: { authorization: `Bearer ${TOKEN}` }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const missing = await put({ required_status_checks: null });
  assert.equal(missing.status, 422);
  assert.equal((await missing.json()).message, 'Invalid request.\n\n"enforce_admins", "required_pull_request_reviews", "restrictions" weren\'t supplied.');
  assert.equal((await put("{")).status, 400);
  assert.equal((await put({ required_status_checks: { checks: [] }, enforce_admins: null, required_pull_request_reviews: null, restrictions: null })).status, 422);
  const ok = await put({ required_status_checks: { strict: true, contexts: ["ci"] }, enforce_admins: null, required_pull_request_reviews: null, restrictions: null });
  assert.equal(ok.status, 200);
  assert.deepEqual((await ok.json()).required_status_checks.checks, [{ context: "ci", app_id: null }]);
  const anonymous = await fetch(`${url}/repos/acme/app/branches/main/protection`, { method: "PUT", body: "{}" });
  assert.equal(anonymous.status, 401);
});
