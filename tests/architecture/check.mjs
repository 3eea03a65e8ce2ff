// The check behind ARCHITECTURE.md: its table names every folder of src/, tests/, fuzz/, bench/,
// scripts/ and actions/ (each of them and every folder directly inside, node_modules and dot
// folders aside) and no folder that is gone; every #include "..." in src/<module>/ names its own
// module or one whose name the module's "may depend on" cell lists in backticks.
//   node tests/architecture/check.mjs [ROOT]   prints one line per problem, exits 1 if any
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const roots = ["src", "tests", "fuzz", "bench", "scripts", "actions"];
const skipped = (name) => name === "node_modules" || name.startsWith(".");

// The table's rows: { line, folders: the backticked names of the first cell, dependsOn: those of
// the last }. Cells are split on "|" not escaped as "\|".
export function parseTable(markdown) {
  const rows = [];
  markdown.split("\n").forEach((text, i) => {
    if (!text.startsWith("|")) return;
    const cells = text.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length < 2 || /^-+$/.test(cells[0].replace(/\s/g, "")) || cells[0] === "folder") return;
    const ticked = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    rows.push({ line: i + 1, folders: ticked(cells[0]), dependsOn: ticked(cells.at(-1)) });
  });
  return rows;
}

const subfolders = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !skipped(e.name))
    .map((e) => e.name)
    .sort();

// The folders the table must name: each root that exists, and every folder directly inside one.
export function foldersToName(root) {
  const out = [];
  for (const r of roots.filter((r) => existsSync(join(root, r)))) {
    out.push(`${r}/`);
    for (const name of subfolders(join(root, r))) out.push(`${r}/${name}/`);
  }
  return out;
}

function folderProblems(root, rows) {
  const named = new Set(rows.flatMap((r) => r.folders));
  const problems = foldersToName(root)
    .filter((f) => !named.has(f))
    .map((f) => `ARCHITECTURE.md: no line of the table names the folder "${f}"; hint: add a row saying what lives there and what it may depend on`);
  for (const row of rows)
    for (const f of row.folders)
      if (f.endsWith("/") && roots.includes(f.split("/")[0]) && !existsSync(join(root, f)))
        problems.push(`ARCHITECTURE.md:${row.line}: the folder "${f}" does not exist; hint: remove it from the table or rename it`);
  return problems;
}

function sourceFiles(dir) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(cpp|hpp|h)$/.test(e.name) ? [path] : [];
  });
}

// The module an include names: the first folder under src/ of the file it resolves to (next to
// the including file first, as the compiler looks, then under src/); "" when it is no module's.
function includedModule(src, file, included) {
  const local = resolve(dirname(file), included);
  const path = existsSync(local) ? local : resolve(src, included);
  const rel = relative(src, path);
  if (rel.startsWith("..") || !rel.includes(sep)) return "";
  return rel.split(sep)[0];
}

function includeProblems(root, rows) {
  const src = join(root, "src");
  if (!existsSync(src)) return [];
  const modules = subfolders(src);
  const problems = [];
  for (const module of modules) {
    const row = rows.find((r) => r.folders.includes(`src/${module}/`));
    if (!row) continue; // reported as a folder the table does not name
    const allowed = row.dependsOn.filter((d) => modules.includes(d));
    for (const file of sourceFiles(join(src, module))) {
      readFileSync(file, "utf8")
        .split("\n")
        .forEach((text, i) => {
          const m = /^\s*#\s*include\s+"([^"]+)"/.exec(text);
          if (!m) return;
          const used = includedModule(src, file, m[1]);
          if (!used || used === module || allowed.includes(used)) return;
          const list = allowed.length ? allowed.map((a) => `"${a}"`).join(", ") : "no module";
          problems.push(
            `${relative(root, file)}:${i + 1}: includes "${m[1]}", but ARCHITECTURE.md:${row.line} lets "src/${module}/" depend on ${list}, not "${used}"; hint: remove the include or add \`${used}\` to that row's "may depend on"`,
          );
        });
    }
  }
  return problems;
}

// Every problem of the tree at ROOT, one line each; [] when the table holds.
export function checkArchitecture(root) {
  const map = join(root, "ARCHITECTURE.md");
  if (!existsSync(map) || !statSync(map).isFile()) return [`${map}: not found; hint: the table of folders lives there`];
  const rows = parseTable(readFileSync(map, "utf8"));
  return [...folderProblems(root, rows), ...includeProblems(root, rows)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const problems = checkArchitecture(root);
  for (const p of problems) console.log(p);
  process.exit(problems.length ? 1 : 0);
}
