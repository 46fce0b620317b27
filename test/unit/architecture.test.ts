// The layering of STYLE.md, checked on the import lines of every .ts file under src/: core/ and protocol/ stay
// pure (no I/O modules, nothing from the layers that do I/O), cli/ reaches the daemon only through `god run`,
// and the library programs import stays free of the schema library and of the daemon.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { posix } from "node:path";
import { test } from "node:test";

type Import = { specifier: string; typeOnly: boolean; names: string };
type SourceFile = { path: string; imports: Import[] };

const IO_LAYERS = ["process", "daemon", "cli", "http", "logs", "sockets"];

/** Every import, export-from, dynamic import and require of a module's text (comment lines skipped). */
function importsOf(text: string): Import[] {
  const code = text
    .split("\n")
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join("\n");
  const out: Import[] = [];
  const forms: Array<[RegExp, (m: RegExpExecArray) => Import]> = [
    [
      /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']/g,
      (m) => ({ specifier: m[4]!, typeOnly: m[2] !== undefined, names: m[3]!.trim() }),
    ],
    [/(?:^|[;\s])import\s*["']([^"']+)["']/g, (m) => ({ specifier: m[1]!, typeOnly: false, names: "" })],
    [/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, (m) => ({ specifier: m[1]!, typeOnly: false, names: "*" })],
    [/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, (m) => ({ specifier: m[1]!, typeOnly: false, names: "*" })],
  ];
  for (const [pattern, read] of forms) {
    for (let m = pattern.exec(code); m !== null; m = pattern.exec(code)) out.push(read(m));
  }
  return out;
}

function sources(dir = "src"): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(posix.join(process.cwd(), dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      out.push({ path, imports: importsOf(readFileSync(posix.join(process.cwd(), path), "utf8")) });
    }
  }
  return out;
}

/** The repo-relative path a relative specifier points at, or null for a package or a builtin. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  return posix.normalize(posix.join(posix.dirname(file), specifier));
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!);
}

function inLayer(path: string | null, layer: string): boolean {
  return path?.startsWith(`src/${layer}/`) === true;
}

const ALL = sources();

function under(layer: string): SourceFile[] {
  return ALL.filter((f) => f.path.startsWith(`src/${layer}/`));
}

test("the import reader sees every form of import", () => {
  const text = [
    "// import { no } from './commented.js';",
    'import { a, type B } from "./a.js";',
    "import type { C } from '../c.js';",
    "import {",
    "  d,",
    "  e,",
    '} from "./multi.js";',
    'export { f } from "./f.js";',
    'export * from "./all.js";',
    'import "./side-effect.js";',
    'const g = await import("../daemon/run.js");',
    'const h = require("node:fs");',
  ].join("\n");
  assert.deepEqual(
    importsOf(text)
      .map((i) => `${i.specifier}${i.typeOnly ? " (type)" : ""}`)
      .sort(),
    [
      "../c.js (type)",
      "../daemon/run.js",
      "./a.js",
      "./all.js",
      "./f.js",
      "./multi.js",
      "./side-effect.js",
      "node:fs",
    ],
  );
});

test("the sources are found", () => {
  assert.ok(under("core").length > 0, "no files under src/core (run the tests from the repo root)");
  assert.ok(under("protocol").length > 0, "no files under src/protocol");
});

test("core/ and protocol/ import nothing from the layers that do I/O", () => {
  const bad: string[] = [];
  for (const file of [...under("core"), ...under("protocol")]) {
    for (const { specifier } of file.imports) {
      const to = target(file.path, specifier);
      for (const layer of IO_LAYERS) if (inLayer(to, layer)) bad.push(`${file.path} imports ${specifier}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("core/ and protocol/ import no node module that does I/O (node:os only for constants, in jobspec.ts)", () => {
  const bad: string[] = [];
  for (const file of [...under("core"), ...under("protocol")]) {
    for (const { specifier, typeOnly, names } of file.imports) {
      if (!isBuiltin(specifier) || typeOnly) continue;
      const osConstants =
        file.path === "src/protocol/jobspec.ts" &&
        specifier === "node:os" &&
        /^\{\s*constants\s*\}$/.test(names);
      if (!osConstants) bad.push(`${file.path} imports ${specifier} (${names || "for its side effects"})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("cli/ never imports the daemon, except `god run`", () => {
  const bad: string[] = [];
  for (const file of under("cli")) {
    if (file.path === "src/cli/commands/run.ts") continue;
    for (const { specifier } of file.imports) {
      if (inLayer(target(file.path, specifier), "daemon")) bad.push(`${file.path} imports ${specifier}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("lib/ never imports @sinclair/typebox or the daemon", () => {
  const bad: string[] = [];
  for (const file of under("lib")) {
    for (const { specifier } of file.imports) {
      const schemaLibrary = specifier === "@sinclair/typebox" || specifier.startsWith("@sinclair/typebox/");
      if (schemaLibrary || inLayer(target(file.path, specifier), "daemon")) {
        bad.push(`${file.path} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test("nothing that runs loads TypeBox: only type imports, and schema-definitions.ts (used by the generator)", () => {
  const bad: string[] = [];
  for (const file of ALL) {
    for (const { specifier, typeOnly } of file.imports) {
      const schemaLibrary = specifier === "@sinclair/typebox" || specifier.startsWith("@sinclair/typebox/");
      const definitions = target(file.path, specifier) === "src/protocol/schema-definitions.js";
      if (typeOnly || file.path === "src/protocol/schema-definitions.ts") continue;
      if (schemaLibrary || definitions) bad.push(`${file.path} imports ${specifier}`);
    }
  }
  assert.deepEqual(bad, []);
});

/** Layers that must never import another (STYLE.md): the edge, and why. */
const NEVER: Array<[string, string, string]> = [
  ["http", "process", "HTTP serves what the daemon hands it; it never spawns, signals or reads /proc itself"],
  ["cli", "core", "the CLI talks to the daemon through protocol/ only; the table is the daemon's"],
  ["lib", "core", "the library programs import stays free of the supervisor"],
  ["lib", "process", "the library programs import never spawns or signals"],
  ["protocol", "core", "protocol/ is the wire, below everything"],
];

for (const [from, to, why] of NEVER) {
  test(`${from}/ never imports ${to}/ (${why})`, () => {
    const bad: string[] = [];
    for (const file of under(from)) {
      for (const { specifier, typeOnly } of file.imports) {
        if (!typeOnly && inLayer(target(file.path, specifier), to))
          bad.push(`${file.path} imports ${specifier}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

test("only process/ spawns or signals: no child_process and no process.kill elsewhere", () => {
  const bad: string[] = [];
  for (const file of ALL) {
    if (file.path.startsWith("src/process/")) continue;
    for (const { specifier, typeOnly } of file.imports) {
      if (!typeOnly && (specifier === "node:child_process" || specifier === "child_process")) {
        bad.push(`${file.path} imports ${specifier}`);
      }
    }
    const text = readFileSync(posix.join(process.cwd(), file.path), "utf8");
    if (/\bprocess\.kill\s*\(/.test(text)) bad.push(`${file.path} calls process.kill`);
  }
  assert.deepEqual(bad, []);
});

test("process/ has no import cycle", () => {
  const graph = new Map(
    under("process").map((f) => [
      f.path,
      f.imports
        .map((i) => target(f.path, i.specifier)?.replace(/\.js$/, ".ts"))
        .filter((t) => t?.startsWith("src/process/")),
    ]),
  );
  const cycles: string[] = [];
  const visit = (path: string, stack: string[]): void => {
    if (stack.includes(path)) {
      cycles.push([...stack.slice(stack.indexOf(path)), path].join(" -> "));
      return;
    }
    for (const next of graph.get(path) ?? []) if (next) visit(next, [...stack, path]);
  };
  for (const path of graph.keys()) visit(path, []);
  assert.deepEqual(cycles, []);
});

test("config/: the converters are pure (node:path and node:util only); none of it reaches the daemon or the CLI", () => {
  const io = new Set([
    "src/config/file-loader.ts",
    "src/config/read-config.ts",
    "src/config/js-config.ts",
    "src/config/loader-command.ts",
  ]);
  const files = under("config");
  assert.ok(files.length > io.size, "no converters found under src/config");
  const bad: string[] = [];
  for (const file of files) {
    for (const { specifier, typeOnly } of file.imports) {
      const to = target(file.path, specifier);
      for (const layer of ["daemon", "process", "cli", "http"]) {
        if (inLayer(to, layer)) bad.push(`${file.path} imports ${specifier}`);
      }
      const pureBuiltin = specifier === "node:path" || specifier === "node:util";
      if (!io.has(file.path) && !typeOnly && isBuiltin(specifier) && !pureBuiltin) {
        bad.push(`${file.path} imports ${specifier}, but converters do no I/O`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
