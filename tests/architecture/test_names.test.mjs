// Every TEST_CASE name of this tree reaches doctest whole through ctest (test_names.mjs), and
// the check fails on a name with a ';', shown on a temp tree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTestNames } from "./test_names.mjs";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("architecture: test names: every test case name of this tree passes through ctest whole", () => {
  assert.deepEqual(checkTestNames(sourceDir), []);
});

test("architecture: test names: a ';' in a name fails, a comma passes", (t) => {
  const root = mkdtempSync(join(tmpdir(), "sbdeploy-names-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "tests", "unit"), { recursive: true });
  writeFileSync(
    join(root, "tests", "unit", "a_test.cpp"),
    ['TEST_CASE("a: one thing, then another") {}', 'TEST_CASE("b: one thing; another") {}', ""].join("\n"),
  );
  assert.deepEqual(checkTestNames(root), [
    "tests/unit/a_test.cpp:2: the test case name has a ';', so ctest would run none of it; hint: use a comma or a colon instead",
  ]);
});
