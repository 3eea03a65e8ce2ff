// The four sub-actions as a workflow uses them, `uses: org/sbdeploy/<name>@v1` resolved against
// this checkout by the job runner, end to end on a git repository and fresh databases of the
// test PostgreSQL (the ctest fixture `pg`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runJob } from "./workflow.mjs";
import { freshDatabase, git, metricsDatabase, pathWithBinary, pgPassword, psql, tempDir, writeFiles } from "./support.mjs";

const PATH = pathWithBinary();

// main holds migration a; the pushed commit adds b. Returns the shas.
function repository() {
  const root = tempDir("sbdeploy-repo-");
  git(root, "init", "-q", "-b", "staging");
  writeFiles(root, { "supabase/migrations/20240101000000_a.sql": "create table a (id int);\nalter table a enable row level security;\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "feat: a");
  const before = git(root, "rev-parse", "HEAD");
  writeFiles(root, { "supabase/migrations/20240102000000_b.sql": "create table b (id int);\nalter table b enable row level security;\n" });
  git(root, "add", "-A");
  git(root, "commit", "-q", "-m", "feat: b");
  return { root, before, after: git(root, "rev-parse", "HEAD") };
}

const WORKFLOW = `name: Deploy
on:
  push:
    branches: [staging]
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      SBDEPLOY_STAGING_DB_URL: \${{ secrets.STAGING_DB_URL }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - id: changes
        uses: org/sbdeploy/paths-filter-migrations@v1
        with:
          list-files: json
      - id: validate
        if: steps.changes.outputs.migrations == 'true'
        uses: someone/sbdeploy/validate-migrations@main
        with:
          environment: staging
      - id: push
        uses: org/sbdeploy/push-migrations@v1
        with:
          expect: table:public.b
      - id: metrics
        if: always() && steps.push.outputs.action == 'push'
        uses: org/sbdeploy/record-metrics@v1
        with:
          production-db-url: \${{ secrets.PRODUCTION_DB_URL }}
          deployment-status: \${{ steps.push.outcome }}
          applied-count: \${{ steps.push.outputs.applied_count }}
          environment: \${{ steps.push.outputs.environment }}
      - id: summary
        env:
          APPLIED: \${{ steps.push.outputs.applied }}
          RECORDED: \${{ steps.metrics.outputs.deployment_events }}
        run: echo "seen=$APPLIED $RECORDED" >>"$GITHUB_OUTPUT"
`;

test("uses: org/sbdeploy/<name>@v1: filter, validate, push and record a push to staging", async () => {
  const repo = repository();
  const staging = freshDatabase();
  const production = metricsDatabase();
  const github = {
    eventName: "push",
    ref: "refs/heads/staging",
    sha: repo.after,
    event: { ref: "refs/heads/staging", before: repo.before, after: repo.after, commits: [{ id: repo.after, message: "feat: b" }] },
  };
  const r = await runJob(WORKFLOW, { workspace: repo.root, github, path: PATH, secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production } });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.step.changes.outputs.migrations, "true");
  assert.equal(r.step.changes.outputs.files, '["supabase/migrations/20240102000000_b.sql"]');
  assert.equal(r.step.validate.outputs.valid, "true");
  assert.equal(r.step.validate.outputs.pending_count, "2");
  assert.equal(r.step.push.outputs.applied, '["20240101000000","20240102000000"]');
  assert.equal(r.step.push.outputs.verified, "true");
  assert.equal(psql(staging, "select string_agg(version || ':' || name, ',' order by version) from supabase_migrations.schema_migrations"), "20240101000000:a,20240102000000:b");
  assert.equal(r.step.metrics.outputs.deployment_events, "1");
  assert.equal(psql(production, "select environment || '|' || status || '|' || migrations_applied from metrics.deployment_events"), "staging|success|2");
  assert.equal(r.step.summary.outputs.seen, '["20240101000000","20240102000000"] 1');
  assert.ok(!r.log.split("\n").filter((l) => !l.startsWith("::add-mask::")).join("\n").includes(pgPassword()), "the password is never shown");
});

// Validate's real dry run stops a broken migration before the push; nothing is recorded.
test("uses: a migration that fails validation is neither pushed nor recorded", async () => {
  const repo = repository();
  writeFiles(repo.root, { "supabase/migrations/20240103000000_c.sql": "select 1/0;\n" });
  const staging = freshDatabase();
  const production = metricsDatabase();
  const github = { eventName: "push", ref: "refs/heads/staging", sha: repo.after, event: { ref: "refs/heads/staging", before: repo.before, after: repo.after, commits: [] } };
  const r = await runJob(WORKFLOW, { workspace: repo.root, github, path: PATH, secrets: { STAGING_DB_URL: staging, PRODUCTION_DB_URL: production } });
  assert.equal(r.ok, false);
  assert.deepEqual(
    r.steps.map((s) => [s.id, s.outcome]),
    [
      ["__0", "success"],
      ["changes", "success"],
      ["validate", "failure"],
      ["push", "skipped"],
      ["metrics", "skipped"],
      ["summary", "skipped"],
    ],
  );
  assert.equal(r.step.validate.outputs.failed_count, "1");
  assert.equal(r.annotations.find((a) => a.command === "error").properties.file, "supabase/migrations/20240103000000_c.sql");
  assert.equal(psql(staging, "select count(*) from pg_tables where schemaname = 'public'"), "0");
  assert.equal(psql(production, "select count(*) from metrics.deployment_events"), "0");
});
