// ARCHITECTURE.md holds for this tree (check.mjs), and the check fails on each kind of
// violation, shown on temp trees: a folder the table does not name, a row naming a folder that
// is gone, and an include of a module the "may depend on" cell does not list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkArchitecture, foldersToName, parseTable } from "./check.mjs";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// A temp tree holding FILES (path -> text); removed after the test.
function tree(t, files) {
  const root = mkdtempSync(join(tmpdir(), "sbdeploy-architecture-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const map = [
  "# Architecture",
  "",
  "| folder | what lives there | may depend on |",
  "| --- | --- | --- |",
  "| `src/` | main.cpp | — |",
  "| `src/util/` | helpers | the standard library only |",
  "| `src/db/` | sessions | `util`; libpq |",
  "| `src/cli/` | handlers | `db`, `util` |",
  "",
].join("\n");

test("architecture: this tree holds to ARCHITECTURE.md", () => {
  assert.deepEqual(checkArchitecture(sourceDir), []);
  const named = foldersToName(sourceDir);
  for (const f of ["src/cli/", "tests/servers/", "fuzz/corpus/", "actions/lib/", "scripts/"]) assert.ok(named.includes(f), f);
  assert.equal(named.some((f) => f.includes("node_modules")), false, "node_modules is not a folder of the tree");
});

test("architecture: the table's rows, folders from the first cell and modules from the last", () => {
  assert.deepEqual(parseTable(map), [
    { line: 5, folders: ["src/"], dependsOn: [] },
    { line: 6, folders: ["src/util/"], dependsOn: [] },
    { line: 7, folders: ["src/db/"], dependsOn: ["util"] },
    { line: 8, folders: ["src/cli/"], dependsOn: ["db", "util"] },
  ]);
});

test("architecture: a tree that keeps the rules passes", (t) => {
  const root = tree(t, {
    "ARCHITECTURE.md": map,
    "src/main.cpp": '#include "cli/cli.hpp"\n',
    "src/util/error.hpp": "#pragma once\n#include <string>\n",
    "src/db/session.hpp": '#include "util/error.hpp"\n#include "session_impl.hpp"\n',
    "src/db/session_impl.hpp": "\n",
    "src/cli/cli.cpp": '#include "db/session.hpp"\n#include "util/error.hpp"\n#include "cli.hpp"\n',
    "src/cli/cli.hpp": "\n",
  });
  assert.deepEqual(checkArchitecture(root), []);
});

test("architecture: a deliberate violation fails the check", async (t) => {
  await t.test("a folder the table does not name", (t) => {
    const root = tree(t, { "ARCHITECTURE.md": map, "src/util/a.hpp": "\n", "src/lint/rules.cpp": "\n", "tests/unit/a_test.cpp": "\n" });
    const hint = "hint: add a row saying what lives there and what it may depend on";
    assert.deepEqual(checkArchitecture(root), [
      `ARCHITECTURE.md: no line of the table names the folder "src/lint/"; ${hint}`,
      `ARCHITECTURE.md: no line of the table names the folder "tests/"; ${hint}`,
      `ARCHITECTURE.md: no line of the table names the folder "tests/unit/"; ${hint}`,
      'ARCHITECTURE.md:7: the folder "src/db/" does not exist; hint: remove it from the table or rename it',
      'ARCHITECTURE.md:8: the folder "src/cli/" does not exist; hint: remove it from the table or rename it',
    ]);
  });
  await t.test("an include of a module the row does not list", (t) => {
    const root = tree(t, {
      "ARCHITECTURE.md": map,
      "src/util/strings.cpp": '// helpers\n#include <string>\n#include "db/session.hpp"\n',
      "src/db/session.hpp": '#include "util/error.hpp"\n#  include "cli/cli.hpp"\n',
      "src/cli/cli.hpp": "\n",
    });
    assert.deepEqual(checkArchitecture(root), [
      'src/db/session.hpp:2: includes "cli/cli.hpp", but ARCHITECTURE.md:7 lets "src/db/" depend on "util", not "cli"; hint: remove the include or add `cli` to that row\'s "may depend on"',
      'src/util/strings.cpp:3: includes "db/session.hpp", but ARCHITECTURE.md:6 lets "src/util/" depend on no module, not "db"; hint: remove the include or add `db` to that row\'s "may depend on"',
    ]);
  });
  await t.test("the real table and sources with one include added", (t) => {
    const root = tree(t, { "ARCHITECTURE.md": "" });
    cpSync(join(sourceDir, "ARCHITECTURE.md"), join(root, "ARCHITECTURE.md"));
    cpSync(join(sourceDir, "src"), join(root, "src"), { recursive: true });
    writeFileSync(join(root, "src", "util", "zz_layering.hpp"), '#pragma once\n#include "db/session.hpp"\n');
    const problems = checkArchitecture(root).filter((p) => p.startsWith("src/"));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0], /^src\/util\/zz_layering\.hpp:2: includes "db\/session\.hpp", but ARCHITECTURE\.md:\d+ lets "src\/util\/" depend on no module, not "db"/);
  });
});
