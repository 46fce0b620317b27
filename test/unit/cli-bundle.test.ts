// The `god` bin is one CommonJS file, dist/src/cli/god.cjs, bundled by scripts/bundle-cli.mjs from the ESM build
// of src/cli: Node loads it without starting its ESM loader, which `god status` would otherwise pay for. These
// tests read the bundle and esbuild's metafile (dist/cli-bundle.json) and run the bundle; they time nothing
// (bench/status-latency.mjs measures).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BUNDLE = join(ROOT, "dist/src/cli/god.cjs");
const MAIN = join(ROOT, "dist/src/cli/main.js");

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
  outputs: Record<
    string,
    { entryPoint?: string; imports: { path: string; kind: string; external?: boolean }[] }
  >;
}
const meta = JSON.parse(readFileSync(join(ROOT, "dist/cli-bundle.json"), "utf8")) as Metafile;
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
};

/** Besides src/cli itself, the only modules the bundle may hold: the protocol's framing and RPC peer, and the
 * plain parts of the JobSpec that `god add` checks with. */
const PROTOCOL = new Set([
  "dist/src/protocol/errors.js",
  "dist/src/protocol/jsonrpc.js",
  "dist/src/protocol/ndjson.js",
  "dist/src/protocol/rpc-peer.js",
  "dist/src/protocol/jobspec.js",
  "dist/src/protocol/cron.js",
  "dist/src/protocol/listen-address.js",
]);

test("the bin is the bundle: executable, with a shebang", () => {
  assert.equal(packageJson.bin["god"], "dist/src/cli/god.cjs");
  assert.ok((statSync(BUNDLE).mode & 0o111) !== 0, "god.cjs is not executable");
  assert.equal(readFileSync(BUNDLE, "utf8").split("\n", 1)[0], "#!/usr/bin/env node");
});

test("the bundle is built from god.js and holds only the CLI and the protocol's light modules", () => {
  assert.deepEqual(Object.keys(meta.outputs), ["dist/src/cli/god.cjs"]);
  assert.equal(meta.outputs["dist/src/cli/god.cjs"]!.entryPoint, "dist/src/cli/god.js");
  const inputs = Object.keys(meta.inputs);
  assert.ok(inputs.includes("dist/src/cli/commands/status.js"));
  for (const input of inputs) {
    assert.ok(input.startsWith("dist/src/cli/") || PROTOCOL.has(input), `the bundle holds ${input}`);
  }
});

test("the bundle leaves the daemon and the rest to import()s of the ESM build, each of which exists", () => {
  const outside = meta.outputs["dist/src/cli/god.cjs"]!.imports.filter((i) => !i.path.startsWith("node:"));
  const paths = new Set(outside.map((i) => i.path));
  assert.ok(paths.has("../daemon/run.js"), "god run does not import the daemon");
  for (const i of outside) {
    assert.equal(i.kind, "dynamic-import", `${i.path} is loaded by ${i.kind}`);
    const target = resolve(dirname(BUNDLE), i.path);
    assert.ok(existsSync(target), `${i.path} from the bundle is ${target}, which does not exist`);
    const fromSrc = relative(join(ROOT, "dist/src"), target);
    assert.ok(
      !fromSrc.startsWith("..") && !fromSrc.startsWith("cli/"),
      `${i.path} is not in dist/src outside cli/`,
    );
  }
  const text = readFileSync(BUNDLE, "utf8");
  assert.ok(!text.includes("import.meta"), "import.meta is left in the bundle, where it is empty");
});

const preloadDir = mkdtempSync(join(tmpdir(), "god-bundle-"));
after(() => rmSync(preloadDir, { recursive: true, force: true }));
/** Runs `node FILE ARGS` and returns its stdout and the files that Node's CommonJS loader loaded. */
function runWithLoaded(file: string, args: string[]): { stdout: string; loaded: string[] } {
  const preload = join(preloadDir, "loaded.cjs");
  const report = join(preloadDir, "loaded.json");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache).filter((f) => f !== __filename))));\n`,
  );
  const stdout = execFileSync(process.execPath, ["--require", preload, file, ...args], { encoding: "utf8" });
  return { stdout, loaded: JSON.parse(readFileSync(report, "utf8")) as string[] };
}

test("`god --version` from the bundle reads the package's version; the bundle is the only file loaded", () => {
  const { stdout, loaded } = runWithLoaded(BUNDLE, ["--version"]);
  assert.equal(stdout, `${packageJson.version}\n`);
  assert.deepEqual(loaded, [BUNDLE]);
});

test("main.js runs the bundle", () => {
  const fromMain = runWithLoaded(MAIN, ["--help"]);
  assert.deepEqual(fromMain.loaded, [BUNDLE]);
  assert.match(fromMain.stdout, /god status/);
  assert.equal(fromMain.stdout, runWithLoaded(BUNDLE, ["--help"]).stdout);
});
