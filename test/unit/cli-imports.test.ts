// Keeps `god status` (and every client command) light: their static import graphs, read from the compiled files,
// hold only Node builtins, the CLI's own files, the protocol's framing and RPC peer and the status table; never TypeBox, the daemon
// or the process layer. Only `god run`, `god validate` and `god import` reach those, through a dynamic import().
// The bin is these files bundled by esbuild (dist/src/cli/bundle/: god.cjs from god.js, a file per command);
// cli-bundle.test.ts checks that the bundle holds what these graphs allow and leaves the import()s out.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const STATIC_IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^;"']*?\bfrom\s*"([^"]+)"|(?:^|\n)\s*import\s*"([^"]+)"/g;
const DIST_SRC = new URL("../../src/", import.meta.url);

/** Every module reached by static imports from `entry`: file paths relative to src/, and bare specifiers. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (url: URL) => {
    const key = url.href.slice(DIST_SRC.href.length);
    if (seen.has(key)) return;
    seen.add(key);
    const text = readFileSync(fileURLToPath(url), "utf8");
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith(".")) visit(new URL(specifier, url));
      else seen.add(specifier);
    }
  };
  visit(new URL(entry, DIST_SRC));
  return seen;
}

const ALLOWED = new Set([
  "protocol/errors.js",
  "protocol/jsonrpc.js",
  "protocol/ndjson.js",
  "protocol/rpc-peer.js",
  "protocol/status-table.js",
]);

function check(entry: string): void {
  for (const module of staticGraph(entry)) {
    const ok = module.startsWith("node:") || module.startsWith("cli/") || ALLOWED.has(module);
    assert.ok(ok, `${entry} loads ${module}`);
  }
}

test("god.js, the bundle's entry, loads no command statically (only plain `god status`'s quick path)", () => {
  assert.deepEqual([...staticGraph("cli/god.js")].sort(), [
    "cli/dispatch.js",
    "cli/god.js",
    "cli/home.js",
    "cli/quick-status.js",
    "node:fs",
    "node:net",
    "node:os",
    "node:path",
  ]);
});

test("main.js loads only the bundle, through require()", () => {
  assert.deepEqual([...staticGraph("cli/main.js")].sort(), ["cli/main.js", "node:module"]);
  assert.match(readFileSync(new URL("cli/main.js", DIST_SRC), "utf8"), /\(["']\.\/bundle\/god\.cjs["']\)/);
});

test("the client commands load only builtins, the CLI and the protocol's framing and peer", () => {
  for (const command of [
    "status",
    "start",
    "stop",
    "restart",
    "reload",
    "check",
    "loaders",
    "reload-loaders",
    "shutdown",
    "top",
    "scale",
    "startup",
  ]) {
    check(`cli/commands/${command}.js`);
  }
});

test("god status: exactly these modules", () => {
  assert.deepEqual([...staticGraph("cli/commands/status.js")].sort(), [
    "cli/arg-tokens.js",
    "cli/client.js",
    "cli/command.js",
    "cli/commands/status.js",
    "cli/home.js",
    "cli/render.js",
    "node:net",
    "node:os",
    "node:path",
    "protocol/errors.js",
    "protocol/jsonrpc.js",
    "protocol/ndjson.js",
    "protocol/rpc-peer.js",
    "protocol/status-table.js",
  ]);
});

test("run and validate reach the daemon and the loader runner only through import()", () => {
  check("cli/commands/run.js");
  check("cli/commands/validate.js");
});

test("import reaches the configuration converters only through import()", () => {
  check("cli/commands/import.js");
});
