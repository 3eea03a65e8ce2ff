// actions/spec.json against the action files generated from it, the binary's option table
// (`sbdeploy <command> --help`) and the variables its source reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { actionFile, envValue, inputSteps, render } from "./generate.mjs";
import { commandHelp, loadSpec, sourceDir } from "./support.mjs";

const spec = loadSpec();

function sourceText(dir = join(sourceDir, "src")) {
  let text = "";
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) text += sourceText(path);
    else if (/\.(cpp|hpp)$/.test(name)) text += readFileSync(path, "utf8");
  }
  return text;
}

test("every action.yml is what actions/spec.json generates", () => {
  for (const [key, action] of Object.entries(spec.actions))
    assert.equal(readFileSync(actionFile(action), "utf8"), render(key, action), `${action.path}/action.yml: run node tests/actions/generate.mjs`);
});

test("every input reaches exactly its steps as env, and outputs come from existing steps", () => {
  for (const [key, action] of Object.entries(spec.actions)) {
    const doc = YAML.parse(readFileSync(actionFile(action), "utf8"));
    assert.deepEqual(Object.keys(doc.inputs), Object.keys(action.inputs), key);
    const ids = doc.runs.steps.map((s) => s.id);
    for (const [name, input] of Object.entries(action.inputs)) {
      for (const step of doc.runs.steps) {
        const wanted = inputSteps(action, name).includes(step.id);
        const refs = Object.entries(step.env ?? {}).filter(([, v]) => String(v).includes(`inputs.${name} `));
        assert.deepEqual(refs, wanted ? [[input.env, envValue(name, input)]] : [], `${key}: input ${name} in step ${step.id}`);
      }
    }
    for (const [name, output] of Object.entries(doc.outputs ?? {})) {
      const m = /^\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z_-]+) \}\}$/.exec(output.value);
      assert.ok(m && ids.includes(m[1]) && m[2] === name, `${key}: output ${name} = ${output.value}`);
    }
  }
});

test("kind action inputs are read by the install script", () => {
  const script = readFileSync(join(sourceDir, "actions", "lib", "install.sh"), "utf8");
  for (const [key, action] of Object.entries(spec.actions))
    for (const [name, input] of Object.entries(action.inputs))
      if (input.kind === "action") assert.ok(script.includes(`\${${input.env}`), `${key}: ${name} -> ${input.env}`);
});

test("kind variable inputs are variables the source reads", () => {
  const src = sourceText();
  for (const [key, action] of Object.entries(spec.actions))
    for (const [name, input] of Object.entries(action.inputs))
      if (input.kind === "variable") assert.ok(input.reads && src.includes(input.reads), `${key}: ${name}: src/ lacks ${input.reads}`);
});

// An option input declares no default: GitHub would fill it into an input left out, and it
// would shadow the job's SBDEPLOY_* variable (issue 19). The binary's default is in the
// description instead, from binary_default.
test("option inputs have no default of their own: the job's variable, else the binary's", () => {
  for (const [key, action] of Object.entries(spec.actions))
    for (const [name, input] of Object.entries(action.inputs))
      if (input.kind === "option")
        assert.equal(input.default, "", `${key}: input ${name}: a default shadows the job's ${input.env}; hint: move it to binary_default`);
});

// Options: the command has the option, its variable is the input's env, and the default the
// help states is the input's binary_default (a flag's is false), or the description says what
// an empty input means. Commands that are not built yet are skipped, saying so.
test("kind option inputs are options of their command, with the same defaults", async (t) => {
  for (const [key, action] of Object.entries(spec.actions)) {
    for (const step of action.steps.filter((s) => s.command)) {
      const help = commandHelp(step.command);
      await t.test(`${key}: sbdeploy ${step.command}`, { skip: help.built ? false : `sbdeploy ${step.command} is not built yet` }, () => {
        for (const [name, input] of Object.entries(action.inputs)) {
          if (input.kind !== "option" || !inputSteps(action, name).includes(step.id)) continue;
          const option = help.options.get(name);
          assert.ok(option, `${key}: input ${name}: sbdeploy ${step.command} has no --${name}`);
          assert.equal(option.env, input.env, `${key}: input ${name}`);
          if (input.binary_default === "false") assert.equal(option.default, null, `${key}: ${name} is a flag`);
          else if (input.binary_default !== undefined) assert.equal(input.binary_default, option.default, `${key}: binary_default of ${name}`);
          else if (option.default !== null) assert.match(input.description, /Empty: /, `${key}: ${name}: --help says the default is ${option.default}; give binary_default or say what Empty: means`);
        }
      });
    }
  }
});

// The other way round: every option of a step's command is an input of the action, or is
// named here with the reason it is not one. A new option of the binary fails this test until
// it is added to actions/spec.json (and the action files regenerated) or listed below.
const NOT_INPUTS = {
  "*": {
    "event-path": "the runner's GITHUB_EVENT_PATH",
    json: "the actions read step outputs",
    verbose: "RUNNER_DEBUG (re-run with debug logging)",
  },
  "push-migrations/run": {
    "validate-against": "decides pull requests, which push-migrations does not handle",
  },
  "push-migrations/verify": { "validate-against": "decides pull requests" },
  "verify-migrations/run": { "validate-against": "decides pull requests: verify checks what a push applied" },
  "repair-migrations/run": { "validate-against": "decides pull requests: repair changes a pushed environment" },
  "rollback-migrations/run": { "validate-against": "decides pull requests: rollback changes a pushed environment" },
  "record-metrics/run": {
    environments: "not an input yet (metrics)",
    repository: "not an input yet (metrics)",
    "hotfix-pattern": "not an input yet (metrics)",
  },
};

test("every option of a step's command is an input, or deliberately not one", async (t) => {
  for (const [key, action] of Object.entries(spec.actions)) {
    for (const step of action.steps.filter((s) => s.command)) {
      const help = commandHelp(step.command);
      await t.test(`${key}: sbdeploy ${step.command}`, { skip: help.built ? false : `sbdeploy ${step.command} is not built yet` }, () => {
        const reasons = { ...NOT_INPUTS["*"], ...(NOT_INPUTS[`${key}/${step.id}`] ?? {}) };
        const missing = [...help.options.keys()].filter(
          (name) => !(name in reasons) && !(action.inputs[name] && inputSteps(action, name).includes(step.id)),
        );
        assert.deepEqual(missing, [], `${key}: step ${step.id} (sbdeploy ${step.command}) has options that are no input`);
      });
    }
  }
});
