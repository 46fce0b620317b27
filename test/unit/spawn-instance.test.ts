// spawnInstance's answers, with real spawns: a process that starts, and for each way a start fails the one
// sentence naming the cause and the fix. The cwd is looked at only once a spawn failed, so a missing or
// unusable cwd must still be told apart from a missing program (both are ENOENT from the child).

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  godEnvironment,
  jobEnvironment,
  spawnInstance,
  WARM_NAME,
  warmScript,
} from "../../src/process/spawn-instance.js";
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

  /** What a process spawned with Node's own pipes writes to stdout, once it has ended. */
  async function outputOf(result: Awaited<ReturnType<typeof spawnInstance>>): Promise<string> {
    assert.ok(result.ok, result.ok ? "" : result.message);
    let out = "";
    result.child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise((done) => result.child.once("close", done));
    return out;
  }

  /** Fires a warm start (spawned with Node's own pipes) and gives what the program wrote and its exit code. */
  async function fire(result: Awaited<ReturnType<typeof spawnInstance>>, line = "\n") {
    assert.ok(result.ok, result.ok ? "" : result.message);
    const out = outputOf(result);
    result.child.stdin!.end(line);
    const text = await out;
    return { code: result.child.exitCode, out: text };
  }

  it("a warm start waits for its line, then execs the program with the environment a direct spawn gives", async () => {
    const spec = config({ exec: ["env"], cwd: dir, env: { PWD: "/given by the job", A: "it's" } });
    const warm = await spawnInstance(spec, { warm: true });
    assert.ok(warm.ok, warm.ok ? "" : warm.message);
    assert.ok(warm.program?.endsWith("/env"), `the program's path, as PATH found it: ${warm.program}`);
    const cmdline = readFileSync(`/proc/${warm.pid}/cmdline`, "utf8").split("\0");
    const script = warmScript(false, jobEnvironment(godEnvironment(), spec.env));
    assert.deepEqual(cmdline, ["/bin/sh", "-c", script, WARM_NAME, "env", ""]);
    const fromWarm = await fire(warm);
    assert.equal(fromWarm.code, 0);
    const out = await outputOf(await spawnInstance(spec));
    const sorted = (text: string) => text.trim().split("\n").sort();
    assert.deepEqual(sorted(fromWarm.out), sorted(out), "the same environment as a direct spawn");
    assert.ok(sorted(out).includes("PWD=/given by the job"));
  });

  it("what dash drops or sets itself (odd names, PPID, OPTIND, IFS) reaches the program as a direct spawn gives it", async () => {
    const odd = {
      "spring.profiles.active": "prod",
      "FOO-BAR": "x y",
      PPID: "not mine",
      OPTIND: "abc",
      IFS: ":",
    };
    const spec = config({ exec: ["env"], cwd: dir, env: odd });
    const sorted = (text: string) => text.trim().split("\n").sort();
    const warm = await fire(await spawnInstance(spec, { warm: true }));
    assert.equal(warm.code, 0);
    const out = await outputOf(await spawnInstance(spec));
    assert.deepEqual(sorted(warm.out), sorted(out));
    for (const [name, value] of Object.entries(odd)) assert.ok(sorted(out).includes(`${name}=${value}`));
    // A socket job's start goes through the same shell (LISTEN_PID): the same environment, LISTEN_PID aside.
    const viaShell = await outputOf(await spawnInstance(spec, { extraEnv: { LISTEN_FDS: "0" } }));
    const withoutListen = (lines: string[]) => lines.filter((l) => !l.startsWith("LISTEN_"));
    assert.deepEqual(withoutListen(sorted(viaShell)), withoutListen(sorted(out)));
  });

  it("a warm start passes no PWD when the job's environment has none, and stdin is /dev/null", async () => {
    const noPwd = await fire(
      await spawnInstance(config({ exec: ["env"], cwd: dir, env: { PWD: null } }), { warm: true }),
    );
    assert.equal(noPwd.code, 0);
    assert.ok(!/^PWD=/m.test(noPwd.out), noPwd.out);
    const stdin = await fire(
      await spawnInstance(config({ exec: ["readlink", "/proc/self/fd/0"], cwd: dir }), { warm: true }),
    );
    assert.equal(stdin.out.trim(), "/dev/null");
  });

  it("a warm start whose stdin ends runs nothing and exits 0", async () => {
    const marker = join(dir, "never");
    const result = await spawnInstance(config({ exec: ["touch", marker], cwd: dir }), { warm: true });
    const { code } = await fire(result, "");
    assert.equal(code, 0);
    assert.throws(() => readFileSync(marker), /ENOENT/);
  });

  it("a warm start of a missing program fails as a direct spawn does", async () => {
    const result = await spawnInstance(config({ exec: ["god-no-such-program-x"], cwd: dir }), { warm: true });
    assert.equal(
      result.ok ? "" : result.message,
      '"god-no-such-program-x" was not found (looked up in PATH); fix exec[0] of job "t" or install it',
    );
  });
});
