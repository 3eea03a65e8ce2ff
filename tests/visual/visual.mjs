// The visual test of step summaries (issue 24): produces each case's summary with the real binary
// (cases.mjs), renders it as GitHub does (render.mjs), asserts on what a person sees (checks.mjs),
// and writes a PNG per case. Usage: see `tests/visual/run --help`.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { broken } from "./broken/broken.mjs";
import { cases } from "./cases.mjs";
import { check } from "./checks.mjs";
import { binaryFrom, CaseRun, readPgState, sourceDir } from "./produce.mjs";
import { Renderer } from "./render.mjs";

const HELP = `usage: tests/visual/run [--case NAME]... [--out DIR] [--update-docs] [--broken] [--list]

Runs sbdeploy for each case of tests/visual/cases.mjs against the test PostgreSQL, renders
each step summary as GitHub does (cmark-gfm, GitHub's CSS, Mermaid 11, headless Chromium at
1100 px, no network), checks what a person sees and writes DIR/<case>.png (DIR/md/<case>.md:
the summary). One line per failed assertion; exit 1 when any fails.
  --case NAME     only this case (repeatable)
  --out DIR       where PNGs go (default: build/visual)
  --update-docs   also copy the README's screenshots to docs/summaries/
  --broken        check the hand-written broken summaries of broken/ instead: each must fail
                  exactly the assertions it names (shows the checks bite)
  --list          list the cases
Environment: SBDEPLOY_BINARY (default build/sbdeploy), SBDEPLOY_TEST_PG_STATE (a running
tests/pg server; default: start one), SBDEPLOY_CHROMIUM (default /usr/bin/chromium).`;

function parse(argv) {
  const o = { cases: [], out: join(sourceDir, "build", "visual"), docs: false, broken: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--case") o.cases.push(argv[++i]);
    else if (a === "--out") o.out = argv[++i];
    else if (a === "--update-docs") o.docs = true;
    else if (a === "--broken") o.broken = true;
    else if (a === "--list") o.list = true;
    else if (a === "--help" || a === "-h") { console.log(HELP); process.exit(0); }
    else { console.error(`visual: unknown argument "${a}"; hint: tests/visual/run --help`); process.exit(2); }
  }
  return o;
}

function requireTools(chromium) {
  for (const [tool, path] of [["cmark-gfm", "cmark-gfm"], ["chromium", chromium]])
    if (spawnSync(path, ["--version"], { stdio: "ignore" }).status !== 0) {
      console.error(`visual: "${tool}" not found; hint: run scripts/setup (installs cmark-gfm and chromium)`);
      process.exit(2);
    }
}

// The PostgreSQL of the ctest fixture, or one of our own for a run by hand (stopped at exit).
function postgres() {
  if (process.env.SBDEPLOY_TEST_PG_STATE && existsSync(process.env.SBDEPLOY_TEST_PG_STATE))
    return readPgState(process.env.SBDEPLOY_TEST_PG_STATE);
  const dir = mkdtempSync(join(tmpdir(), "sbdeploy-visual-pg-"));
  const state = join(dir, "pg.state");
  execFileSync("bash", [join(sourceDir, "tests", "pg", "start"), state], { stdio: ["ignore", "ignore", "inherit"] });
  process.on("exit", () => {
    spawnSync("bash", [join(sourceDir, "tests", "pg", "stop"), state], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  return readPgState(state);
}

// Network namespaces: Chromium gets none at all when `unshare -rn` works here.
function netnsWorks() {
  return spawnSync("unshare", ["-rn", "true"], { stdio: "ignore" }).status === 0;
}

async function renderCase(renderer, c, markdown, out) {
  const facts = { light: await renderer.render(markdown, { png: join(out, `${c.name}.png`) }) };
  if (c.expect.chart !== undefined) facts.dark = await renderer.render(markdown, { theme: "dark", png: join(out, `${c.name}.dark.png`) });
  return facts;
}

async function main() {
  const o = parse(process.argv.slice(2));
  const all = o.broken ? broken : cases;
  if (o.list) { for (const c of all) console.log(c.name); return 0; }
  const chosen = o.cases.length ? o.cases.map((n) => all.find((c) => c.name === n) ?? n) : all;
  const unknown = chosen.filter((c) => typeof c === "string");
  if (unknown.length) { console.error(`visual: no case "${unknown[0]}"; hint: tests/visual/run --list`); return 2; }
  const chromium = process.env.SBDEPLOY_CHROMIUM ?? "/usr/bin/chromium";
  requireTools(chromium);
  mkdirSync(join(o.out, "md"), { recursive: true });
  const netns = netnsWorks();
  if (!netns) console.log("visual: unshare -rn is not available here: Chromium runs with its no-network flags only");
  const pg = o.broken ? null : postgres();
  const binary = o.broken ? null : binaryFrom(process.env);
  const renderer = await Renderer.open({ chromium, netns });
  const started = Date.now();
  let failedCases = 0;
  try {
    for (const c of chosen) {
      const caseStarted = Date.now();
      let markdown, steps = [], hints = [];
      if (c.file) markdown = readFileSync(join(sourceDir, "tests", "visual", "broken", c.file), "utf8");
      else {
        const run = new CaseRun({ name: c.name, summary: join(o.out, "md", `${c.name}.md`), binary, pg });
        try {
          c.produce(run);
        } catch (e) {
          failedCases++;
          console.log(`FAIL ${c.name}: scenario: setting it up failed: ${String(e.message ?? e).split("\n")[0]}`);
          continue;
        } finally {
          run.dispose();
        }
        markdown = readFileSync(run.summaryPath, "utf8");
        ({ steps } = run);
        hints = run.consoleHints();
      }
      const failures = check(c.expect, { facts: await renderCase(renderer, c, markdown, o.out), markdown, steps, hints });
      if (o.broken) {
        // A broken summary must fail exactly the named assertions; a good one (none named) none.
        const fired = new Set(failures.map((f) => f.assertion));
        const missed = c.mustFail.filter((a) => !fired.has(a));
        const extra = failures.filter((f) => !c.mustFail.includes(f.assertion));
        if (missed.length || extra.length) failedCases++;
        for (const a of missed) console.log(`FAIL ${c.name}: did not catch: ${a}`);
        for (const f of extra) console.log(`FAIL ${c.name}: unexpected: ${f.assertion}: ${f.detail}`);
        if (!missed.length && !extra.length) console.log(`ok   ${c.name}: ${c.mustFail.length ? `caught ${c.mustFail.join("; ")}` : "passes every check"}`);
        continue;
      }
      if (failures.length) failedCases++;
      const took = `${((Date.now() - caseStarted) / 1000).toFixed(1)} s`;
      console.log(failures.length ? `---- ${c.name} (${took}): ${failures.length} failed` : `ok   ${c.name} (${took})`);
      for (const f of failures) console.log(`FAIL ${c.name}: ${f.assertion}: ${f.detail}`);
      if (o.docs && c.docs) {
        mkdirSync(join(sourceDir, "docs", "summaries"), { recursive: true });
        copyFileSync(join(o.out, `${c.name}.png`), join(sourceDir, "docs", "summaries", c.docs));
      }
    }
  } finally {
    await renderer.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`visual: ${chosen.length - failedCases} of ${chosen.length} cases as expected in ${seconds} s; PNGs in ${o.out}`);
  return failedCases ? 1 : 0;
}

process.exitCode = await main();
