// Lets Node 20 import the JSON schemas that @actions/workflow-parser imports without
// an import attribute (the package is written for bundlers).
import { readFile } from "node:fs/promises";
export async function load(url, context, next) {
  if (url.endsWith(".json") && url.includes("/@actions/workflow-parser/")) {
    const text = await readFile(new URL(url), "utf8");
    return { format: "module", source: `export default ${text};`, shortCircuit: true };
  }
  return next(url, context);
}
