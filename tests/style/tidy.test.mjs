// scripts/check-tidy bites (ctest `unit: tidy check`): on a temp build (its own
// compile_commands.json) it fails on a finding of a .clang-tidy check, naming file, line and
// check; passes on clean code; and its cache re-checks a file only when its preprocessed input
// changed: a second run takes both files from the cache, an edit of a header one of them
// includes re-checks that one and finds what the edit broke. Compiler warnings stay the build's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = join(sourceDir, "scripts", "check-tidy");

const clean = '#include "value.hpp"\n\nint twice(int x) { return value(x) + value(x); }\n';
const header = "inline int value(int x) { return x; }\n";
// misc-redundant-expression: both sides of == are the same expression.
const broken = "inline int value(int x) { return x == x ? x : 0; }\n";

function build(t, files) {
  const dir = mkdtempSync(join(tmpdir(), "sbdeploy-tidy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const commands = Object.keys(files)
    .filter((name) => name.endsWith(".cpp"))
    .map((name) => ({ directory: dir, file: name, command: `c++ -std=c++23 -c ${name} -o ${name}.o` }));
  writeFileSync(join(dir, "compile_commands.json"), JSON.stringify(commands));
  return dir;
}

const run = (dir, ...files) =>
  spawnSync("python3", [script, "-p", dir, ...files.map((f) => join(dir, f))], {
    encoding: "utf8",
    env: { ...process.env, SBDEPLOY_TIDY_CACHE: join(dir, "cache") },
  });

test("unit: tidy check: clean code passes, then comes from the cache", (t) => {
  const dir = build(t, { "a.cpp": clean, "b.cpp": "int b() { return 1; }\n", "value.hpp": header });
  const first = run(dir, "a.cpp", "b.cpp");
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^check-tidy: no findings in 2 files \(0 from the cache\) in [\d.]+ s\n$/);
  const second = run(dir, "a.cpp", "b.cpp");
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /^check-tidy: no findings in 2 files \(2 from the cache\) in [\d.]+ s\n$/);

  // Only a.cpp includes value.hpp: editing it re-checks a.cpp, and the finding is in the header.
  writeFileSync(join(dir, "value.hpp"), broken);
  const third = run(dir, "a.cpp", "b.cpp");
  assert.equal(third.status, 1);
  assert.match(
    third.stderr,
    /^\.\/value\.hpp:1:36: error: both sides of operator are equivalent \[misc-redundant-expression,-warnings-as-errors\]$/m,
  );
  assert.match(third.stderr, /^check-tidy: 1 files with findings \(misc-redundant-expression\) of 2 files \(1 from the cache\) in [\d.]+ s$/m);
  assert.match(third.stderr, /^hint: fix them; for a false positive add \/\/ NOLINT\(check-name\) with the reason$/m);
});

test("unit: tidy check: a finding fails, also when it comes from the cache", (t) => {
  const dir = build(t, { "bad.cpp": broken.replace("inline ", "") });
  for (const cached of [0, 1]) {
    const r = run(dir, "bad.cpp");
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /^bad\.cpp:1:29: error: both sides of operator are equivalent \[misc-redundant-expression/m);
    assert.match(r.stderr, new RegExp(`of 1 files \\(${cached} from the cache\\)`));
  }
});

test("unit: tidy check: a compiler warning under the build's -Werror is not a finding", (t) => {
  // -Wunused-function: the build (g++ -Werror) reports it; this check reports only .clang-tidy's.
  const dir = build(t, { "w.cpp": "static int unused() { return 1; }\nint used() { return 2; }\n" });
  const commands = [{ directory: dir, file: "w.cpp", command: "c++ -std=c++23 -Wall -Werror -c w.cpp -o w.o" }];
  writeFileSync(join(dir, "compile_commands.json"), JSON.stringify(commands));
  const r = run(dir, "w.cpp");
  assert.equal(r.status, 0, r.stderr);
});

test("unit: tidy check: a build without compile_commands.json is a usage error", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "sbdeploy-tidy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync("python3", [script, "-p", dir], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    `check-tidy: ${join(dir, "compile_commands.json")} not found; configure a build first (cmake --preset release), or name one with -p\n`,
  );
});
