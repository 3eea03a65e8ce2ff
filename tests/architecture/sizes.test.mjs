// The size rules hold for this tree (sizes.mjs), and the check fails on each kind of
// violation, shown on temp trees: a handler of 81 lines, a .cpp of 501 lines without a reason.
// Functions are found through comments, strings and nested blocks, and namespace, class and
// initializer braces are not functions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSizes, functions } from "./sizes.mjs";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function tree(t, files) {
  const root = mkdtempSync(join(tmpdir(), "sbdeploy-sizes-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

// A handler whose signature to closing brace spans `lines` lines.
const handler = (name, lines) =>
  [`int ${name}(Context& ctx,`, "        int extra) {", ...Array(lines - 3).fill("    step();"), "}"].join("\n");

test("architecture: sizes: this tree holds to the size rules", () => {
  assert.deepEqual(checkSizes(sourceDir), []);
});

test("architecture: sizes: a handler of 81 lines fails, 80 passes", (t) => {
  const root = tree(t, {
    "src/cli/a.cpp": ["namespace sbdeploy::cli {", handler("ok", 80), "", handler("too_long", 81), "}"].join("\n") + "\n",
  });
  assert.deepEqual(checkSizes(root), [
    "src/cli/a.cpp:83: too_long is 81 lines, over 80; hint: split it into named steps (src/util/try.hpp's TRY keeps them short)",
  ]);
});

test("architecture: sizes: a .cpp of 501 lines fails unless its opening comment says why", (t) => {
  const body = Array(500).fill("int x;").join("\n") + "\n";
  const root = tree(t, {
    "src/db/big.cpp": "// big\n" + body,
    "src/db/splitter.cpp": "// The splitter (over 500 lines: one state machine).\n" + body,
    "src/db/fits.cpp": body,
  });
  assert.deepEqual(checkSizes(root), [
    `src/db/big.cpp: 501 lines, over 500; hint: split it by concept, or say in its opening comment "over 500 lines: <why>"`,
  ]);
});

test("architecture: sizes: functions are found through comments, strings, classes and initializers", () => {
  const text = [
    "// a { in a comment",
    "namespace a {",
    "namespace {",
    "const char* k = \"}\";",
    "const int table[] = {",
    "    1, 2,",
    "};",
    "struct S {",
    "    int f() { return 1; }",
    "};",
    "/* } */",
    "template <class T>",
    "T twice(T v) {",
    "    if (v) { return v + v; }",
    "    return R\"({)\"[0];",
    "}",
    "} // namespace",
    "int Outer::method(char c) const {",
    "    return c == '{';",
    "}",
    "}",
  ].join("\n");
  assert.deepEqual(
    functions(text).map((f) => [f.name, f.start, f.end]),
    [
      ["twice", 12, 16],
      ["Outer::method", 18, 20],
    ],
  );
});
