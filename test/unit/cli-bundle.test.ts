// The `god` bin is CommonJS bundled by scripts/bundle-cli.mjs (esbuild) from the ESM build of src/cli, in
// dist/src/cli/bundle/: god.cjs (god.js and dispatch.js) and a file per command, so that Node starts no ESM loader
// and `god status` compiles only its own code. These tests read the bundle and esbuild's metafile
// (dist/cli-bundle.json) and run the bin; they time nothing (bench/status-latency.mjs measures).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const OUT = "dist/src/cli/bundle";
const BIN = join(ROOT, OUT, "god.cjs");
const MAIN = join(ROOT, "dist/src/cli/main.js");
const COMMANDS = readdirSync(join(ROOT, "dist/src/cli/commands"))
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.slice(0, -".js".length));

interface Import {
  path: string;
  kind: string;
  external?: boolean;
}
interface Metafile {
  outputs: Record<string, { entryPoint?: string; imports: Import[]; inputs: Record<string, unknown> }>;
}
const meta = JSON.parse(readFileSync(join(ROOT, "dist/cli-bundle.json"), "utf8")) as Metafile;
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
};

/** Besides src/cli itself, the only modules a command's file may hold: the protocol's framing and RPC peer, the
 * status table (pure text from the daemon's JSON), and the plain parts of the JobSpec that `god add` checks with. */
const PROTOCOL = new Set([
  "dist/src/protocol/errors.js",
  "dist/src/protocol/jsonrpc.js",
  "dist/src/protocol/ndjson.js",
  "dist/src/protocol/rpc-peer.js",
  "dist/src/protocol/status-table.js",
  "dist/src/protocol/jobspec.js",
  "dist/src/protocol/job-limits.js",
  "dist/src/protocol/cron.js",
  "dist/src/protocol/listen-address.js",
]);

test("the bin is the bundle's god.cjs: executable, with a shebang", () => {
  assert.equal(packageJson.bin["god"], `${OUT}/god.cjs`);
  assert.ok((statSync(BIN).mode & 0o111) !== 0, "god.cjs is not executable");
  assert.equal(readFileSync(BIN, "utf8").split("\n", 1)[0], "#!/usr/bin/env node");
});

test("god.cjs holds god.js, dispatch.js and plain `god status`'s quick path, and requires each command's file, which exists", () => {
  const bin = meta.outputs[`${OUT}/god.cjs`]!;
  assert.equal(bin.entryPoint, "dist/src/cli/god.js");
  assert.deepEqual(Object.keys(bin.inputs).sort(), [
    "dist/src/cli/dispatch.js",
    "dist/src/cli/god.js",
    "dist/src/cli/home.js",
    "dist/src/cli/quick-status.js",
  ]);
  const required = bin.imports.filter((i) => !i.path.startsWith("node:"));
  assert.deepEqual(required.map((i) => i.path).sort(), COMMANDS.map((name) => `./${name}.cjs`).sort());
  for (const i of required) {
    assert.equal(i.kind, "require-call", `god.cjs loads ${i.path} by ${i.kind}`);
    assert.ok(existsSync(join(ROOT, OUT, i.path)), `${i.path} is missing`);
  }
});

test("each command's file is built from its module and holds only the CLI and the protocol's light modules", () => {
  assert.deepEqual(
    Object.keys(meta.outputs).sort(),
    [...COMMANDS, "god"].map((name) => `${OUT}/${name}.cjs`).sort(),
  );
  for (const name of COMMANDS) {
    const output = meta.outputs[`${OUT}/${name}.cjs`]!;
    assert.equal(output.entryPoint, `dist/src/cli/commands/${name}.js`);
    for (const input of Object.keys(output.inputs)) {
      assert.ok(input.startsWith("dist/src/cli/") || PROTOCOL.has(input), `${name}.cjs holds ${input}`);
    }
  }
});

test("what a command reaches outside src/cli is an import() of the ESM build, which exists", () => {
  let daemon = false;
  for (const name of COMMANDS) {
    for (const i of meta.outputs[`${OUT}/${name}.cjs`]!.imports) {
      if (i.path.startsWith("node:")) continue;
      assert.equal(i.kind, "dynamic-import", `${name}.cjs loads ${i.path} by ${i.kind}`);
      const target = resolve(ROOT, OUT, i.path);
      assert.ok(existsSync(target), `${i.path} from ${name}.cjs is ${target}, which does not exist`);
      const fromSrc = relative(join(ROOT, "dist/src"), target);
      assert.ok(!fromSrc.startsWith("..") && !fromSrc.startsWith("cli/"), `${i.path} is not in dist/src/*/`);
      if (name === "run" && i.path === "../../daemon/run.js") daemon = true;
    }
  }
  assert.ok(daemon, "run.cjs does not import the daemon");
  for (const file of readdirSync(join(ROOT, OUT))) {
    const text = readFileSync(join(ROOT, OUT, file), "utf8");
    assert.ok(!text.includes("import.meta"), `import.meta is left in ${file}, where it is empty`);
  }
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

test("`god --version` reads the package's version; god.cjs is the only file loaded", () => {
  const { stdout, loaded } = runWithLoaded(BIN, ["--version"]);
  assert.equal(stdout, `${packageJson.version}\n`);
  assert.deepEqual(loaded, [BIN]);
});

test("`god status --help` loads god.cjs and status.cjs, no other file", () => {
  const { stdout, loaded } = runWithLoaded(BIN, ["status", "--help"]);
  assert.match(stdout, /^Usage: god status/);
  assert.deepEqual(loaded, [BIN, join(ROOT, OUT, "status.cjs")]);
});

test("main.js runs the bin", () => {
  const fromMain = runWithLoaded(MAIN, ["--help"]);
  assert.deepEqual(fromMain.loaded, [BIN]);
  assert.match(fromMain.stdout, /god status/);
  assert.equal(fromMain.stdout, runWithLoaded(BIN, ["--help"]).stdout);
});
