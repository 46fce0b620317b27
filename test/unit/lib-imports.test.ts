// The library stays light and dual-format: from its entry, the compiled import graph reaches only node:
// builtins and files under src/lib and src/protocol (no TypeBox, no daemon code), and none uses import.meta,
// which the CommonJS build cannot have.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ENTRY = new URL("../../src/lib/index.js", import.meta.url);
const SRC = new URL("../../src/", import.meta.url);
const SPECIFIER =
  /(?:^|;|\n)\s*(?:import|export)\s(?:[\s\S]*?\sfrom\s)?\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']/g;

test("the library's import graph holds only node: builtins, src/lib and src/protocol", () => {
  const seen = new Set<string>();
  const queue = [ENTRY.href];
  const bare: string[] = [];
  for (let i = 0; i < queue.length && i < 500; i++) {
    const url = queue[i]!;
    if (seen.has(url)) continue;
    seen.add(url);
    const text = readFileSync(fileURLToPath(url), "utf8");
    assert.doesNotMatch(text, /import\.meta/, `${url} uses import.meta`);
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith(".")) queue.push(new URL(specifier, url).href);
      else if (!specifier.startsWith("node:")) bare.push(`${url}: ${specifier}`);
    }
  }
  assert.deepEqual(bare, []);
  const places = [...seen].map((url) => url.slice(SRC.href.length).split("/")[0]);
  assert.deepEqual([...new Set(places)].sort(), ["lib", "protocol"]);
  assert.ok(seen.size > 5, "the walk found the library's files");
});
