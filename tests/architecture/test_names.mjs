// Test case names ctest can run. doctest_discover_tests registers one ctest per TEST_CASE with
// --test-case=<name>, and the name passes through a CMake list: a ';' splits it, ctest keeps
// the part before, doctest then matches no case and passes having run nothing.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function* cppFiles(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* cppFiles(path);
    else if (entry.endsWith(".cpp")) yield path;
  }
}

// "file:line: ..." for each TEST_CASE whose name ctest cannot pass through; [] when none.
export function checkTestNames(root) {
  const problems = [];
  for (const file of cppFiles(join(root, "tests"))) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const m = line.match(/\bTEST_CASE\("((?:[^"\\]|\\.)*)"/);
      if (m && m[1].includes(";"))
        problems.push(
          `${relative(root, file)}:${i + 1}: the test case name has a ';', so ctest would run none of it; ` +
            "hint: use a comma or a colon instead",
        );
    });
  }
  return problems;
}
