// scripts/check-format bites (ctest `unit: format check`): on a temp folder it fails naming a file
// that differs from .clang-format, with the first line that differs and the fix; passes on a
// formatted file; `--fix` formats in place, after which the check passes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = join(sourceDir, "scripts", "check-format");

const formatted = [
  "// A file as .clang-format writes it.",
  "namespace demo {",
  "",
  "int twice(int x) { return 2 * x; }",
  "",
  "} // namespace demo",
  "",
].join("\n");
// The same code with two lines that break the style: a 2-space indent and a brace on its own line.
const unformatted = formatted.replace("int twice(int x) { return 2 * x; }", "int twice(int x)\n{\n  return 2 * x;\n}");

function folder(t, files) {
  const dir = mkdtempSync(join(tmpdir(), "sbdeploy-format-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const run = (...args) => spawnSync("bash", [script, ...args], { encoding: "utf8" });

test("unit: format check: a formatted file passes", (t) => {
  const dir = folder(t, { "good.cpp": formatted });
  const r = run(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^check-format: 1 files match \.clang-format \(version 19\.\d+\.\d+\)\n$/);
});

test("unit: format check: a file that differs fails, named with its first differing line", (t) => {
  const dir = folder(t, { "good.cpp": formatted, "bad.cpp": unformatted });
  const r = run(dir);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    "check-format: 1 of 2 files differ from .clang-format (first difference shown):\n" +
      `  ${join(dir, "bad.cpp")}:4: not formatted\n` +
      "hint: run 'bash scripts/check-format --fix' and commit the result\n",
  );
});

test("unit: format check: --fix formats in place, then the check passes", (t) => {
  const dir = folder(t, { "bad.cpp": unformatted });
  const fix = run("--fix", dir);
  assert.equal(fix.status, 0, fix.stderr);
  assert.equal(fix.stdout, `check-format: formatted 1 files:\n  ${join(dir, "bad.cpp")}\n`);
  assert.equal(readFileSync(join(dir, "bad.cpp"), "utf8"), formatted);
  assert.equal(run(dir).status, 0);
});

test("unit: format check: a usage error exits 2", () => {
  const r = run("--frobnicate");
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'check-format: unknown option "--frobnicate"; usage: scripts/check-format [--fix] [PATH...]\n');
});
