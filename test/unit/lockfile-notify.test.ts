// node-unix-socket (the optional package behind `ready: "notify"`) declares a binary package per platform, and
// some of them are not in the registry this project installs from. `npm install` skips those and leaves them
// out of package-lock.json, and then `npm ci` refuses the lock ("Missing: ... from lock file"). Their entries
// were added by hand with their os/cpu, so npm skips them without fetching; `npm install` keeps them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

type LockEntry = { version?: string; optional?: boolean; optionalDependencies?: Record<string, string> };

test("package-lock.json locks every platform package node-unix-socket declares, so `npm ci` accepts it", () => {
  const lock = JSON.parse(readFileSync(join(process.cwd(), "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const wrapper = lock.packages["node_modules/node-unix-socket"];
  assert.ok(wrapper, "node-unix-socket is not in package-lock.json (run the tests from the repo root)");
  const missing: string[] = [];
  for (const [name, version] of Object.entries(wrapper.optionalDependencies ?? {})) {
    const entry = lock.packages[`node_modules/${name}`];
    if (entry?.version !== version || entry.optional !== true) missing.push(`${name}@${version}`);
  }
  assert.deepEqual(
    missing,
    [],
    "add these to package-lock.json as optional entries with their os, cpu and libc (see the other node-unix-socket-* entries)",
  );
});
