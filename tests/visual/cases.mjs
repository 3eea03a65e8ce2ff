// The visual test's cases, in one place: how each summary is produced (the real sbdeploy against the
// test PostgreSQL) and what a person must see in it once rendered (issue 24). Rerun one with
// `tests/visual/run --case NAME`. Expectations follow the issue, not today's output. Every case:
// the summary is written, ends with a blank line, nothing is wider than 1,000 px, no <img>. Per case:
//   exit        exit code of the last step (the scenario did what it says)
//   outcome     the first rendered line: starts with one of `emoji`, names `command`, contains each of `contains`
//   second      the same for the second command's first line when two commands share one summary
//   tables      [{ contains, rows, cols }]: the table whose text contains `contains` has `rows` body rows and `cols` columns
//   text / notText  patterns the rendered text must (not) match; consoleHint: the console's hint: lines appear
//   rows        [{ row, text }]: the table row whose first cell matches `row` matches `text` (a figure's basis)
//   adversarial strings that must appear verbatim, as text, in the page and in every table row of their `version`
//   maxHeight   px of the summary as first shown (long lists collapsed)
//   chart       { buckets, maxBuckets } for the metrics chart; false: no chart may be drawn
//   errorsFirst the findings table lists errors before warnings; failedFirst: the thresholds table, failed ones first
// `docs`: the PNG's name under docs/summaries/ for the README (`tests/visual/run --update-docs`).
import { webhookExample } from "./produce.mjs";

const rls = (t, extra = "") => `create table ${t} (id int);\nalter table ${t} enable row level security;\n${extra}`;
const v = (n) => `202501010000${String(n).padStart(2, "0")}`;
const files = (...names) => Object.fromEntries(names.map((n, i) => [`${v(i + 1)}_${n}.sql`, rls(`t${i + 1}`)]));
const staging = (url) => ({ SBDEPLOY_STAGING_DB_URL: url });

// Postgres errors at line 7 of the file: the push-failed case's "failed at `..._c.sql` line 7".
const FAILS_AT_7 = "create table c (id int);\nalter table c enable row level security;\n\n-- the fix is\n-- below\n\ninsert into c select 1/0;\n";
const IMG = "<img src=x> **bold**";
const RAISES_IMG = `do $$ begin raise exception '${IMG}'; end $$;\n`;
const PIPE = "pipe|name";
const TICK = "tick`s`name";
const ADVERSARIAL = {
  [`${v(1)}_plain.sql`]: rls("t1"),
  [`${v(2)}_${TICK}.sql`]: rls("t2"),
  [`${v(3)}_${PIPE}.sql`]: rls("t3", RAISES_IMG),
};
const adversarial = [{ text: PIPE, version: v(3) }, { text: TICK, version: v(2) }, { text: IMG }];

// Deployments of octo/app to production over 120 days before UNTIL: two or three a day, a failure
// every fifth day, lead time recorded on one of sixteen.
const UNTIL = "2026-11-30";
const METRICS_DATA = `insert into metrics.deployment_events
  (repository, environment, status, deployed_at, source, source_id, lead_time_seconds)
select 'acme/app', 'production', case when g % 5 = 0 and g % 2 = 0 then 'failure' else 'success' end,
  timestamptz '${UNTIL}T00:00:00Z' - (g * 11 || ' hours')::interval, 'sbdeploy', 'd' || g,
  case when g % 16 = 0 then 3600 * g end
from generate_series(1, 260) g;
insert into metrics.pr_events (repository, pr_number, event_type, event_timestamp, cycle_time_seconds)
select 'acme/app', g, 'merged', timestamptz '${UNTIL}T00:00:00Z' - (g * 29 || ' hours')::interval, 3600 * (g % 30 + 1)
from generate_series(1, 90) g;`;

function metricsDb(c, data = true) {
  const url = c.db();
  c.run(["metrics", "schema", "--apply", "--db-url", url], { summary: false });
  if (data) c.sql(url, METRICS_DATA);
  return url;
}

function report(days, expect) {
  return {
    name: `metrics-report-${days}`,
    produce(c) {
      c.run(["metrics", "report", "--db-url", metricsDb(c), "--days", String(days), "--until", UNTIL, "--repository", "acme/app"]);
    },
    expect: {
      exit: 0, outcome: { emoji: ["✅", "⚠️", "❌"], command: "metrics report" },
      text: [/median of \d+|\d+ of \d+ deployments/i], rows: [{ row: /lead time/i, text: /\bof \d+\b/ }],
      ...expect,
    },
  };
}

export const cases = [
  {
    name: "push-applied",
    docs: "push.png",
    produce(c) {
      c.run(["push"], { workspace: c.project(files("a", "b", "c")), env: staging(c.db()) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "push", contains: ["staging", "3"] }, tables: [{ contains: v(3), rows: 3, cols: 4 }] },
  },
  {
    name: "push-failed",
    docs: "push-failed.png",
    produce(c) {
      const p = c.project({ ...files("a", "b"), [`${v(3)}_c.sql`]: FAILS_AT_7, [`${v(4)}_d.sql`]: rls("d") });
      c.run(["push"], { workspace: p, env: staging(c.db()) });
    },
    expect: {
      exit: 1, outcome: { emoji: "❌", command: "push", contains: ["staging", "2 of 4", "_c.sql", "line 7"] },
      tables: [{ contains: v(3), rows: 4, cols: 4 }], consoleHint: true,
    },
  },
  {
    name: "push-refused",
    produce(c) {
      const p = c.project(files("a", "b"));
      c.run(["push"], { workspace: p, branch: "main", env: { ...staging(c.db()), SBDEPLOY_PRODUCTION_DB_URL: c.db() } });
    },
    expect: {
      exit: 1, outcome: { emoji: "❌", command: "push", contains: ["production"] },
      notText: [/promotion gate:\s*promotion gate/i], consoleHint: true,
    },
  },
  {
    name: "push-nothing",
    produce(c) {
      const p = c.project(files("a"));
      const env = staging(c.db());
      c.run(["push"], { workspace: p, env, summary: false });
      c.run(["push"], { workspace: p, env });
    },
    expect: { exit: 0, outcome: { emoji: ["⏭️", "✅"], command: "push", contains: [/nothing|up to date|no pending|0 (pending|applied|migrations)/i] } },
  },
  {
    name: "push-200",
    produce(c) {
      const many = {};
      for (let i = 1; i <= 200; i++) many[`20250101${String(i).padStart(6, "0")}_m${i}.sql`] = `select ${i};\n`;
      c.run(["push"], { workspace: c.project(many), env: staging(c.db()) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "push", contains: ["200"] }, maxHeight: 1500, tables: [{ contains: "20250101000200", rows: 200 }] },
  },
  {
    name: "validate-passed",
    produce(c) {
      c.run(["validate"], { workspace: c.project(files("a", "b")), event: "pull_request", env: staging(c.db()) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "validate", contains: ["staging", /pass|valid/i] }, tables: [{ contains: v(2), rows: 2 }] },
  },
  {
    name: "validate-failed",
    docs: "validate.png",
    produce(c) {
      const p = c.project({ [`${v(1)}_a.sql`]: rls("a"), [`${v(2)}_c.sql`]: FAILS_AT_7, [`${v(3)}_d.sql`]: rls("d") });
      c.run(["validate"], { workspace: p, event: "pull_request", env: staging(c.db()) });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "validate", contains: ["staging", "1 of 3"] }, tables: [{ contains: v(2), rows: 3 }], consoleHint: true },
  },
  {
    name: "validate-missing",
    produce(c) {
      const url = c.db();
      c.run(["push"], { workspace: c.project(files("a", "b"), "applied"), env: staging(url), summary: false });
      c.run(["validate"], { workspace: c.project({ [`${v(1)}_a.sql`]: rls("t1"), [`${v(3)}_c.sql`]: rls("t3") }), event: "pull_request", env: staging(url) });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "validate" }, text: [/sbdeploy repair/], consoleHint: true },
  },
  {
    name: "status",
    docs: "status.png",
    produce(c) {
      const url = c.db();
      c.run(["push"], { workspace: c.project(files("a", "b"), "applied"), env: staging(url), summary: false });
      c.run(["status"], { workspace: c.project(files("a", "b", "c")), env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: ["✅", "⏭️"], command: "status", contains: ["staging", "1 pending"] }, tables: [{ contains: v(3), rows: 3 }] },
  },
  {
    name: "verify-passed",
    produce(c) {
      const url = c.db();
      const p = c.project(files("a"));
      c.run(["push"], { workspace: p, env: staging(url), summary: false });
      c.run(["verify", "--expect", "table:public.t1", "--expect", "schema:public"], { workspace: p, env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "verify", contains: ["staging", "2"] } },
  },
  {
    name: "verify-failed",
    docs: "verify.png",
    produce(c) {
      const url = c.db();
      const p = c.project(files("a"));
      c.run(["push"], { workspace: p, env: staging(url), summary: false });
      c.run(["verify", "--expect", "table:public.t1", "--expect", "table:public.nope"], { workspace: p, env: staging(url) });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "verify", contains: ["staging", "public.nope"] } },
  },
  {
    name: "lint",
    docs: "lint.png",
    produce(c) {
      const dir = "db/platform-services/customer-facing-application/supabase-project-configuration/migrations";
      const p = c.project({
        [`${dir}/${v(1)}_add_index_and_drop_legacy_tables_from_reporting_schema.sql`]:
          "drop table if exists public.legacy_reports;\ncreate index reports_created_idx on public.t1 (id);\n",
        [`${dir}/${v(2)}_create_customer_feedback_table_without_policies.sql`]: "create table public.feedback (id int);\n",
      });
      c.run(["lint", "--migrations-dir", dir], { workspace: p });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "lint", contains: [/1 error/] }, errorsFirst: true, tables: [{ contains: "rls-missing", rows: 3 }] },
  },
  {
    name: "rollback",
    docs: "rollback.png",
    produce(c) {
      const url = c.db();
      const p = c.project({ ...files("a", "b"), [`supabase/migrations/down/${v(2)}_b.sql`]: "drop table t2;\n" });
      c.run(["push"], { workspace: p, env: staging(url), summary: false });
      c.run(["rollback", "--last", "1"], { workspace: p, env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "rollback", contains: ["staging", v(2)] } },
  },
  {
    name: "repair",
    docs: "repair.png",
    produce(c) {
      const url = c.db();
      const p = c.project(files("a", "b"));
      c.run(["repair", "--status", "applied", v(1), v(2)], { workspace: p, env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "repair", contains: ["staging", "applied"] } },
  },
  {
    name: "paths-filter",
    docs: "paths-filter.png",
    produce(c) {
      const p = c.project(files("a"));
      c.git(p, "init", "-q", "-b", "staging");
      c.git(p, "add", "-A");
      c.git(p, "commit", "-qm", "a");
      const before = c.git(p, "rev-parse", "HEAD");
      c.write(p, files("a", "b"));
      c.git(p, "add", "-A");
      c.git(p, "commit", "-qm", "b");
      const after = c.git(p, "rev-parse", "HEAD");
      c.run(["paths-filter"], { workspace: p, payload: { ref: "refs/heads/staging", before, after }, env: { GITHUB_SHA: after } });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "paths-filter", contains: ["1"] } },
  },
  {
    name: "record-metrics",
    docs: "record-metrics.png",
    produce(c) {
      const pr = webhookPullRequestMerged();
      c.run(["record-metrics", "--db-url", metricsDb(c, false), "--repository", "acme/app"], { event: "pull_request", payload: pr });
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "record-metrics" } },
  },
  {
    name: "metrics-schema",
    docs: "metrics-schema.png",
    produce(c) {
      c.run(["metrics", "schema", "--apply", "--db-url", c.db()]);
    },
    expect: { exit: 0, outcome: { emoji: "✅", command: "metrics schema" }, text: [/creat|appl/i] },
  },
  report(14, { chart: { buckets: 14 } }),
  { ...report(30, { chart: { maxBuckets: 21 } }), docs: "metrics-report.png" },
  report(90, { chart: { maxBuckets: 21 } }),
  {
    name: "metrics-report-thresholds",
    produce(c) {
      c.run(["metrics", "report", "--db-url", metricsDb(c), "--days", "30", "--until", UNTIL, "--repository", "acme/app",
        "--min-deployment-frequency", "1", "--max-change-failure-rate", "5", "--max-pr-cycle-time", "1h", "--fail-on-threshold"]);
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "metrics report" }, failedFirst: true, tables: [{ contains: "lead time for changes", rows: 7 }, { contains: "at most 5%", rows: 4 }] },
  },
  {
    name: "metrics-report-empty",
    produce(c) {
      c.run(["metrics", "report", "--db-url", metricsDb(c, false), "--days", "30", "--until", UNTIL, "--repository", "acme/app"]);
    },
    expect: { exit: 0, outcome: { emoji: ["✅", "⏭️", "⚠️"], command: "metrics report" }, chart: false },
  },
  {
    name: "push-adversarial",
    produce(c) {
      c.run(["push"], { workspace: c.project(ADVERSARIAL), env: staging(c.db()) });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "push" }, adversarial, tables: [{ contains: v(3), rows: 3 }] },
  },
  {
    name: "validate-adversarial",
    produce(c) {
      c.run(["validate"], { workspace: c.project(ADVERSARIAL), event: "pull_request", env: staging(c.db()) });
    },
    expect: { exit: 1, outcome: { emoji: "❌", command: "validate" }, adversarial, tables: [{ contains: v(3), rows: 3 }] },
  },
  {
    name: "status-adversarial",
    produce(c) {
      const url = c.db();
      const { [`${v(3)}_${PIPE}.sql`]: _, ...applied } = ADVERSARIAL;
      c.run(["push"], { workspace: c.project(applied, "applied"), env: staging(url), summary: false });
      c.run(["status"], { workspace: c.project(ADVERSARIAL), env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: ["✅", "⏭️"], command: "status" }, adversarial: adversarial.slice(0, 2), tables: [{ contains: v(3), rows: 3 }] },
  },
  {
    name: "two-commands",
    produce(c) {
      const url = c.db();
      const p = c.project(files("a", "b"));
      c.run(["status"], { workspace: p, env: staging(url) });
      c.run(["push"], { workspace: p, env: staging(url) });
    },
    expect: { exit: 0, outcome: { emoji: ["✅", "⏭️"], command: "status" }, second: { emoji: "✅", command: "push" } },
  },
];

// GitHub's closed pull_request example, merged, from feature/moods into staging.
function webhookPullRequestMerged() {
  const pr = webhookExample("pull_request", "closed");
  Object.assign(pr.pull_request, { merged: true, merged_at: "2026-11-20T17:25:45Z", created_at: "2026-11-19T10:00:00Z",
    title: "feat(moods): record them" });
  pr.pull_request.head.ref = "feature/moods";
  pr.pull_request.base.ref = "staging";
  return pr;
}
