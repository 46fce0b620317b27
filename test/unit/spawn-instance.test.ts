// spawnInstance's answers, with real spawns: a process that starts, and for each way a start fails the one
// sentence naming the cause and the fix. The cwd is looked at only once a spawn failed, so a missing or
// unusable cwd must still be told apart from a missing program (both are ENOENT from the child).

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spawnInstance } from "../../src/process/spawn-instance.js";
import { type JobSpec, normalizeJobSpec } from "../../src/protocol/jobspec.js";

function config(spec: Partial<JobSpec>) {
  return normalizeJobSpec({ name: "t", exec: ["true"], ...spec });
}

describe("spawnInstance", () => {
  const dir = mkdtempSync(join(tmpdir(), "god-spawn-instance-"));
  const file = join(dir, "a-file");
  writeFileSync(file, "not a program\n");
  chmodSync(file, 0o644);
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

  it("starts the process in its cwd and reports its pid", async () => {
    const result = await spawnInstance(
      config({ exec: ["sh", "-c", 'test "$PWD" = "$1"', "sh", dir], cwd: dir }),
    );
    assert.ok(result.ok, result.ok ? "" : result.message);
    const code = await new Promise((done) => result.child.once("exit", done));
    assert.equal(code, 0, "the process ran in the job's cwd");
  });

  it("a missing cwd is named as such, not as a missing program", async () => {
    const missing = join(dir, "nowhere");
    const result = await spawnInstance(config({ exec: ["true"], cwd: missing }));
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.message, `cwd "${missing}" does not exist; fix the cwd of job "t"`);
  });

  it("a cwd that is a file is named as such", async () => {
    const result = await spawnInstance(config({ exec: ["true"], cwd: file }));
    assert.equal(result.ok ? "" : result.message, `cwd "${file}" is not a directory; fix the cwd of job "t"`);
  });

  it("a cwd below a file does not exist", async () => {
    const below = join(file, "sub");
    const result = await spawnInstance(config({ exec: ["true"], cwd: below }));
    assert.equal(result.ok ? "" : result.message, `cwd "${below}" does not exist; fix the cwd of job "t"`);
  });

  it("a missing program, in a cwd that exists", async () => {
    const result = await spawnInstance(config({ exec: ["god-no-such-program-x"], cwd: dir }));
    assert.equal(
      result.ok ? "" : result.message,
      '"god-no-such-program-x" was not found (looked up in PATH); fix exec[0] of job "t" or install it',
    );
  });

  it("a program that may not be executed", async () => {
    const result = await spawnInstance(config({ exec: [file], cwd: dir }));
    assert.equal(
      result.ok ? "" : result.message,
      `"${file}" is not executable (permission denied); fix its mode or exec[0] of job "t"`,
    );
  });
});
