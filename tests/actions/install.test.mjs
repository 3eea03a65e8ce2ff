// The install action (action.yml) run by the local runner against a local file server that
// publishes releases like GitHub does (a good binary, a tampered one, a pre-release), and from
// local folders (offline). The action trusts only dist/manifest.txt of its own checkout, so each
// test runs it from a temp copy of the repository root holding the manifest the test writes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, symlinkSync } from "node:fs";
import { createServer } from "node:http";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { runAction } from "./runner.mjs";
import { actionDir, binary, git, project, sourceDir, tempDir } from "./support.mjs";

const arch = process.arch === "arm64" ? "arm64" : "x64";
const otherArch = arch === "x64" ? "arm64" : "x64";
const asset = `sbdeploy-linux-${arch}`;
const version = execFileSync(binary(), ["--version"], { encoding: "utf8" }).trim().replace(/^sbdeploy /, "");
// A small stand-in that answers --version like the binary (the real one is served only where a
// sub-action runs it).
const standIn = (v) => Buffer.from(`#!/bin/sh\necho "sbdeploy ${v}"\n`);
const good = standIn(version);
const real = readFileSync(binary());
const sha = (b) => createHash("sha256").update(b).digest("hex");
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";

// dist/manifest.txt as scripts/release writes it, for `version` with `body` as this arch's binary.
const manifestFor = (v, body) =>
  [
    "# test manifest",
    `version ${v}`,
    `sbdeploy-linux-${otherArch} 5 ${sha(Buffer.from("other"))}`,
    `${asset} ${body.length} ${sha(body)}`,
    "",
  ].join("\n");

// A copy of the repository root the actions run from: action.yml, actions/, CMakeLists.txt (with
// `cmakeVersion` when given), the sub-actions in `actions`, and dist/manifest.txt (`manifest`;
// the committed one when undefined). `root` places it, e.g. where the runner checks actions out.
function actionRoot({ manifest, cmakeVersion, actions = [], root = tempDir("sbdeploy-action-root-") } = {}) {
  mkdirSync(root, { recursive: true });
  cpSync(join(sourceDir, "action.yml"), join(root, "action.yml"));
  cpSync(join(sourceDir, "actions"), join(root, "actions"), { recursive: true });
  for (const name of actions) {
    const rel = relative(sourceDir, actionDir(name));
    cpSync(join(sourceDir, rel), join(root, rel), { recursive: true });
  }
  let cmake = readFileSync(join(sourceDir, "CMakeLists.txt"), "utf8");
  if (cmakeVersion) cmake = cmake.replace(/^project\(sbdeploy VERSION [0-9.]+/m, `project(sbdeploy VERSION ${cmakeVersion}`);
  writeFileSync(join(root, "CMakeLists.txt"), cmake);
  mkdirSync(join(root, "dist"));
  if (manifest === undefined) cpSync(join(sourceDir, "dist", "manifest.txt"), join(root, "dist", "manifest.txt"));
  else if (manifest !== null) writeFileSync(join(root, "dist", "manifest.txt"), manifest);
  return root;
}
const goodRoot = () => actionRoot({ manifest: manifestFor(version, good) });

// A PATH of one folder holding only the tools install.sh needs (symlinks), plus `extra`: no curl
// or wget unless asked for.
function minimalPath(extra = []) {
  const dir = tempDir("sbdeploy-min-bin-");
  const tools = ["bash", "sed", "awk", "dirname", "basename", "mktemp", "rm", "wc", "sha256sum", "cut", "chmod", "mkdir", "mv", "touch", "cp", ...extra];
  for (const tool of tools) symlinkSync(execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), join(dir, tool));
  return dir;
}

const rc = "1.2.0-rc.1";
const rcBinary = standIn("1.2.0"); // a pre-release build says CMakeLists.txt's version
const finalBinary = Buffer.from(`#!/bin/sh\necho "sbdeploy 1.2.0" # final\n`);
const tampered = Buffer.concat([good, Buffer.from("\n# one more byte")]);
const flipped = Buffer.from(good.toString().replace("#!/bin/sh", "#!/bin/sH"));

// path -> [status, body, headers]
const files = {
  [`/good/download/v${version}/${asset}`]: [200, good],
  [`/good/latest/download/${asset}`]: [302, "", { location: `/good/download/v${version}/${asset}` }],
  [`/tampered/download/v${version}/${asset}`]: [200, tampered],
  [`/flipped/download/v${version}/${asset}`]: [200, flipped],
  [`/acme/sbdeploy/releases/download/v${version}/${asset}`]: [200, good],
  [`/real/download/v${version}/${asset}`]: [200, real],
  [`/pre/download/v${rc}/${asset}`]: [200, rcBinary],
  [`/pre/download/v1.2.0/${asset}`]: [200, finalBinary],
};
const requests = [];
let server;
let url;

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url);
    const [status, body, headers] = files[req.url] ?? [404, "not found"];
    res.writeHead(status, headers ?? {});
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const install = (options, root = goodRoot()) => runAction(root, { workspace: tempDir(), path: BASE_PATH, ...options });
const errorOf = (r) => r.annotations.find((a) => a.command === "error")?.message;

test("install: downloads the release asset, verifies it against dist/manifest.txt, caches it and puts it on PATH", async () => {
  const root = goodRoot();
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const first = await install({ toolCache, with: { version, "download-url": `${url}/good` } }, root);
  assert.equal(first.ok, true, first.log);
  const dir = join(toolCache, "sbdeploy", version, arch);
  assert.deepEqual(first.outputs, { version, path: join(dir, "sbdeploy"), "cache-hit": "false" });
  assert.deepEqual(first.pathAdded, [dir]);
  assert.ok(existsSync(join(toolCache, "sbdeploy", version, `${arch}.complete`)));
  assert.deepEqual(readFileSync(join(dir, "sbdeploy")), good);
  const lines = first.step.install.stdout.trim().split("\n");
  assert.equal(lines.at(-2), `sbdeploy: sha256 ${sha(good)} verified against dist/manifest.txt`);
  assert.equal(lines.at(-1), `sbdeploy ${version}`, "ends with sbdeploy --version");
  assert.ok(!requests.some((r) => r.includes("SHA256SUMS")), "no checksum file is fetched from the release");

  const served = requests.length;
  const second = await install({ toolCache, with: { version: `v${version}`, "download-url": `${url}/good` } }, root);
  assert.equal(second.ok, true, second.log);
  assert.deepEqual(second.outputs, { version, path: join(dir, "sbdeploy"), "cache-hit": "true" });
  assert.equal(requests.length, served, "a cache hit downloads nothing");

  // A cache entry changed since is checked against the manifest too, and replaced.
  writeFileSync(join(dir, "sbdeploy"), flipped);
  const third = await install({ toolCache, with: { "download-url": `${url}/good` } }, root);
  assert.equal(third.ok, true, third.log);
  assert.equal(third.outputs["cache-hit"], "false");
  assert.match(third.step.install.stdout, new RegExp(`sbdeploy: not using the tool cache's ${version}: checksum mismatch`));
  assert.deepEqual(readFileSync(join(dir, "sbdeploy")), good);
});

test("install: refuses a download that does not match dist/manifest.txt (size, then sha256)", async () => {
  for (const [where, message] of [
    ["tampered", `size mismatch for ${asset}: dist/manifest.txt says ${good.length} bytes, got ${tampered.length}`],
    ["flipped", `checksum mismatch for ${asset}: expected ${sha(good)}, got ${sha(flipped)}`],
  ]) {
    const toolCache = tempDir("sbdeploy-tool-cache-");
    const r = await install({ toolCache, with: { "download-url": `${url}/${where}` } });
    assert.equal(r.ok, false, where);
    assert.equal(errorOf(r), `${message}; refusing to install it (a corrupted or tampered download)`);
    assert.equal(existsSync(join(toolCache, "sbdeploy")), false, "nothing cached");
    assert.deepEqual(r.pathAdded, []);
    assert.equal(r.outputs.path, "");
  }
});

test("install: refuses when dist/manifest.txt has no line for this runner's binary", async () => {
  const r = await install({ with: { "download-url": `${url}/good` } }, actionRoot({ manifest: `version ${version}\nsbdeploy-linux-${otherArch} 5 ${sha(Buffer.from("other"))}\n` }));
  assert.equal(r.ok, false);
  assert.equal(errorOf(r), `dist/manifest.txt of this action has no size and sha256 for ${asset}; refusing to install an unverified binary`);
  assert.deepEqual(r.pathAdded, []);
});

test("install: a checkout that is no release says so and names the ways out", async () => {
  const hint = "hint: pin the action at a release tag (uses: <owner>/sbdeploy@v1, or @vX.Y.Z), or set version: source to build from this checkout";
  for (const [what, manifest, message] of [
    ["the committed manifest before the first release", undefined, "this checkout of the action records no release (no version line in dist/manifest.txt): it is a commit before its first release"],
    ["no manifest", null, "this checkout of the action records no release (no version line in dist/manifest.txt): it is a commit before its first release"],
    [
      "the manifest of an earlier release",
      manifestFor("0.0.9", good),
      `this checkout of the action is ${version} (CMakeLists.txt) and its dist/manifest.txt records the release 0.0.9: it is a commit between releases`,
    ],
  ]) {
    const r = await install({ with: { "download-url": `${url}/good` } }, actionRoot({ manifest }));
    assert.equal(r.ok, false, what);
    assert.equal(errorOf(r), `${message}, so it has no checksums for a binary; ${hint}`, what);
  }
});

test("install: a version input naming another release is refused with the tag to pin", async () => {
  const served = requests.length;
  const r = await install({ with: { version: "9.9.9", "download-url": `${url}/good` } });
  assert.equal(r.ok, false);
  assert.equal(
    errorOf(r),
    `version 9.9.9: this checkout of the action installs only the release its dist/manifest.txt records, ${version}; hint: pin the action at v9.9.9 instead (uses: <owner>/sbdeploy@v9.9.9) and leave version empty, or set version: source`,
  );
  assert.equal(requests.length, served, "nothing downloaded");
});

test("install: a release whose asset is not there", async () => {
  const r = await install({ with: { "download-url": `${url}/missing` } });
  assert.equal(r.ok, false);
  assert.equal(errorOf(r), `download of "${url}/missing/download/v${version}/${asset}" failed`);
});

test("install: latest follows the release redirect, verified against the manifest all the same", async () => {
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const r = await install({ toolCache, with: { version: "latest", "download-url": `${url}/good` } });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.version, version);
  assert.equal(r.outputs.path, join(toolCache, "sbdeploy", version, arch, "sbdeploy"));
});

test("install: a pre-release installs its own asset, cached apart from the final version", async () => {
  const root = actionRoot({ cmakeVersion: "1.2.0", manifest: manifestFor(rc, rcBinary) });
  const toolCache = tempDir("sbdeploy-tool-cache-");
  const served = requests.length;
  const r = await install({ toolCache, with: { "download-url": `${url}/pre` } }, root);
  assert.equal(r.ok, true, r.log);
  assert.deepEqual(requests.slice(served), [`/pre/download/v${rc}/${asset}`]);
  assert.equal(r.outputs.path, join(toolCache, "sbdeploy", rc, arch, "sbdeploy"));
  assert.deepEqual(readFileSync(r.outputs.path), rcBinary);
});

test("install: by default, the version and repository of the action's own checkout", async () => {
  // Where the runner checks out `uses: acme/sbdeploy@v1`.
  const root = actionRoot({ manifest: manifestFor(version, good), root: join(tempDir("sbdeploy-runner-"), "_actions", "acme", "sbdeploy", "v1") });
  const r = await runAction(root, { workspace: tempDir(), path: BASE_PATH, github: { serverUrl: url } });
  assert.equal(r.ok, true, r.log);
  assert.equal(r.outputs.version, version);
  assert.ok(requests.includes(`/acme/sbdeploy/releases/download/v${version}/${asset}`));
});

test("install: offline, from a folder holding the binary as dist/ does (a path or a file:// URL), without curl or wget", async (t) => {
  const folder = tempDir("sbdeploy-dist-");
  writeFileSync(join(folder, asset), good);
  for (const [what, location] of [
    ["path", folder],
    ["file:// URL", pathToFileURL(folder).href],
  ]) {
    await t.test(what, async () => {
      const toolCache = tempDir("sbdeploy-tool-cache-");
      const r = await install({ toolCache, path: minimalPath(), with: { "download-url": location } });
      assert.equal(r.ok, true, r.log);
      assert.match(r.step.install.stdout, new RegExp(`^sbdeploy: copying ${folder}/${asset}$`, "m"));
      assert.deepEqual(r.outputs, { version, path: join(toolCache, "sbdeploy", version, arch, "sbdeploy"), "cache-hit": "false" });
    });
  }
  await t.test("still verified", async () => {
    const bad = tempDir("sbdeploy-dist-");
    writeFileSync(join(bad, asset), flipped);
    const r = await install({ with: { "download-url": bad } });
    assert.equal(r.ok, false);
    assert.match(errorOf(r), /^checksum mismatch/);
  });
  await t.test("a folder without the binary", async () => {
    const empty = tempDir("sbdeploy-dist-");
    const r = await install({ with: { "download-url": empty } });
    assert.equal(r.ok, false);
    assert.equal(errorOf(r), `no ${asset} in the folder "${empty}" (download-url); hint: copy the release's assets there, as scripts/release leaves them in dist/`);
  });
});

test("install: without curl it downloads with wget; with neither it says how to fix that", async () => {
  const withWget = await install({ path: minimalPath(["wget"]), with: { "download-url": `${url}/good` } });
  assert.equal(withWget.ok, true, withWget.log);
  assert.equal(withWget.outputs.version, version);

  const r = await install({ path: minimalPath(), with: { "download-url": `${url}/good` } });
  assert.equal(r.ok, false);
  assert.equal(
    errorOf(r),
    `neither curl nor wget is installed, and downloading ${asset} needs one of them; hint: install curl (apt-get install curl), or set download-url to a folder holding ${asset}`,
  );
});

test("install: no release binary for this platform names the way out", async () => {
  for (const [runner, what] of [
    [{ os: "macOS", arch: "ARM64" }, "no release binary for macOS: releases have Linux binaries only"],
    [{ os: "Linux", arch: "ARM" }, "no release binary for linux/ARM: releases have x64 and arm64 binaries"],
  ]) {
    const r = await install({ runner, with: { version, "download-url": `${url}/good` } });
    assert.equal(r.ok, false);
    assert.equal(errorOf(r), `${what}; hint: set version: source to build from source`);
  }
});

test("install: rejects a version that is not one", async () => {
  const r = await install({ with: { version: "1.2; rm -rf /", "download-url": `${url}/good` } });
  assert.equal(r.ok, false);
  assert.equal(errorOf(r), 'version "1.2; rm -rf /" is not a release version; hint: use 1.2.3, v1.2.3, latest or source');
});

// Building from source, with cmake replaced by a stand-in that records its arguments and
// "builds" by copying the binary under test (a real build takes minutes).
function fakeCmake() {
  const dir = tempDir("sbdeploy-fake-cmake-");
  const log = join(dir, "calls");
  writeFileSync(
    join(dir, "cmake"),
    `#!/bin/bash\nprintf '%s\\n' "$*" >>${log}\nif [[ $1 == --build ]]; then printf '%s' '${good}' >"$2/sbdeploy"; chmod +x "$2/sbdeploy"; else mkdir -p "$6"; fi\n`,
  );
  chmodSync(join(dir, "cmake"), 0o755);
  return { path: `${dir}:${BASE_PATH}`, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

test("install: from a checkout of this repository (uses: ./) or with version: source, it builds", async (t) => {
  for (const [what, options] of [
    ["uses: ./", { workspace: sourceDir, with: {} }],
    ["version: source", { workspace: tempDir(), with: { version: "source" } }],
  ]) {
    await t.test(what, async () => {
      const cmake = fakeCmake();
      const temp = tempDir("sbdeploy-runner-temp-");
      const r = await install({ ...options, runnerTemp: temp, path: cmake.path }, sourceDir);
      assert.equal(r.ok, true, r.log);
      const build = join(temp, "sbdeploy-source");
      assert.deepEqual(cmake.calls(), [
        `-S ${sourceDir} --preset install -B ${build}/build`,
        `--build ${build}/build --target sbdeploy -j${execFileSync("nproc", { encoding: "utf8" }).trim()}`,
      ]);
      assert.deepEqual(r.outputs, { version, path: join(build, "bin", "sbdeploy"), "cache-hit": "false" });
      assert.deepEqual(r.pathAdded, [join(build, "bin")]);
    });
  }
});

// What the stand-in above stands for: the checkout's install preset, configured for real from
// another directory (as the action runs it), is a Release build of the binary alone.
test("install: the install preset of CMakePresets.json configures a Release build without tests", () => {
  const build = join(tempDir("sbdeploy-install-preset-"), "build");
  execFileSync("cmake", ["-S", sourceDir, "--preset", "install", "-B", build], { cwd: tempDir(), stdio: "pipe" });
  const cache = readFileSync(join(build, "CMakeCache.txt"), "utf8");
  for (const line of ["CMAKE_BUILD_TYPE:STRING=Release", "SBDEPLOY_TESTS:BOOL=OFF", "SBDEPLOY_WERROR:BOOL=OFF", "SBDEPLOY_SANITIZE:BOOL=OFF"])
    assert.ok(cache.split("\n").includes(line), `${line} in the install preset's cache`);
  assert.ok(existsSync(join(build, "Makefile")), "a build system was written");
  assert.equal(existsSync(join(build, "tests")), false, "no tests configured");
});

// The sub-actions install sbdeploy themselves unless the sbdeploy on PATH is the version they
// want (SBDEPLOY_INSTALL_IF_MISSING: "true" in their action.yml).
async function subAction(path) {
  const workspace = project({ "20240101000000_a.sql": "select 1;\n" });
  git(workspace, "init", "-q", "-b", "main");
  git(workspace, "add", "-A");
  git(workspace, "commit", "-q", "-m", "init");
  const root = actionRoot({ manifest: manifestFor(version, real), actions: ["paths-filter-migrations"] });
  return runAction(join(root, relative(sourceDir, actionDir("paths-filter-migrations"))), {
    workspace,
    path,
    env: { SBDEPLOY_INSTALL_DOWNLOAD_URL: `${url}/real` },
    github: { eventName: "workflow_dispatch", ref: "refs/heads/main", sha: git(workspace, "rev-parse", "HEAD") },
    with: { base: "HEAD" },
  });
}
const installedReal = new RegExp(`sbdeploy: sha256 ${sha(real)} verified against dist/manifest.txt\\nsbdeploy ${version.replace(/\./g, "\\.")}\\n$`);

test("install: a sub-action without sbdeploy on PATH installs it first", async () => {
  const r = await subAction(BASE_PATH);
  assert.equal(r.ok, true, r.log);
  assert.match(r.step.install.stdout, installedReal);
  assert.equal(r.outputs.changed, "false");
});

test("install: a sub-action uses the sbdeploy on PATH when it is the version wanted, not a stale one", async (t) => {
  await t.test("the version wanted", async () => {
    const bin = tempDir("sbdeploy-bin-");
    symlinkSync(binary(), join(bin, "sbdeploy"));
    const served = requests.length;
    const r = await subAction(`${bin}:${BASE_PATH}`);
    assert.equal(r.ok, true, r.log);
    assert.equal(r.step.install.stdout, `sbdeploy: using ${join(bin, "sbdeploy")} (already on PATH)\nsbdeploy ${version}\n`);
    assert.equal(requests.length, served, "nothing downloaded");
  });
  await t.test("a stale one", async () => {
    const bin = tempDir("sbdeploy-bin-");
    writeFileSync(join(bin, "sbdeploy"), standIn("0.0.1"));
    chmodSync(join(bin, "sbdeploy"), 0o755);
    const r = await subAction(`${bin}:${BASE_PATH}`);
    assert.equal(r.ok, true, r.log);
    const lines = r.step.install.stdout.split("\n");
    assert.equal(lines[0], `sbdeploy: not using ${join(bin, "sbdeploy")} (already on PATH): it says "sbdeploy 0.0.1", this action wants sbdeploy ${version}`);
    assert.match(r.step.install.stdout, installedReal);
    assert.equal(r.outputs.changed, "false", "the sub-action ran the installed binary");
  });
});
