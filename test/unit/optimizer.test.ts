// god defers V8's optimizing compiler until its jobs' output is heavy (issue 17, src/daemon/optimizer.ts). Each
// case runs a real Node process with --allow-natives-syntax, which asks V8 itself whether a hot function was
// optimized by TurboFan: deferred, it is not; after BUSY_BYTES of output (or its worth of checks) within the
// window, it is. A tiering flag of the user's own leaves the optimizer alone.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const OPTIMIZER = fileURLToPath(new URL("../../src/daemon/optimizer.js", import.meta.url));

/** V8's bit for "optimized by TurboFan" in %GetOptimizationStatus. */
const TURBOFANNED = 1 << 4;

/**
 * Runs `steps` (a script body with `optimizer` imported and `heat()` making a fresh function hot and returning
 * whether TurboFan optimized it) in a child and returns what it printed, one JSON value per line.
 */
function child(steps: string, env: NodeJS.ProcessEnv = {}, flags: string[] = []): unknown[] {
  const script = `
    const optimizer = await import(${JSON.stringify(OPTIMIZER)});
    let made = 0;
    const heat = () => {
      const f = new Function("x", "let s = 0; for (let i = 0; i < 50; i++) s += x * i + " + made + "; return s;");
      made++;
      let t = 0;
      for (let round = 0; round < 40; round++) for (let i = 0; i < 5000; i++) t += f(i);
      return (%GetOptimizationStatus(f) & ${TURBOFANNED}) !== 0;
    };
    const say = (value) => console.log(JSON.stringify(value));
    ${steps}
  `;
  const result = spawnSync(
    process.execPath,
    ["--allow-natives-syntax", "--no-use-osr", ...flags, "--input-type=module", "-e", script],
    { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", ...env }, timeout: 60_000 },
  );
  assert.equal(result.status, 0, `the child failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as unknown);
}

test("without deferOptimizer, a hot function is optimized (the check itself works)", () => {
  assert.deepEqual(child("say(heat());"), [true]);
});

test("deferred: no TurboFan, also for functions made hot later; output under the threshold keeps it off", () => {
  const out = child(`
    say(optimizer.deferOptimizer());
    say(heat());
    optimizer.noteOutput(optimizer.BUSY_BYTES - 1);
    say(optimizer.optimizerDeferred());
    say(heat());
  `);
  assert.deepEqual(out, [true, false, true, false]);
});

test("BUSY_BYTES of output within the window turns TurboFan on, once, with the sentence god logs", () => {
  const out = child(`
    const told = [];
    optimizer.onOptimizerEnabled((why) => told.push(why));
    optimizer.deferOptimizer();
    say(heat());
    for (let i = 0; i < 4; i++) optimizer.noteOutput(optimizer.BUSY_BYTES / 4);
    say(optimizer.optimizerDeferred());
    say(heat());
    optimizer.noteOutput(optimizer.BUSY_BYTES);
    say(told);
  `);
  assert.equal(out[0], false);
  assert.equal(out[1], false, "no longer deferred");
  assert.equal(out[2], true, "a hot function is optimized again");
  const told = out[3] as string[];
  assert.equal(told.length, 1, "told once");
  assert.match(
    told[0]!,
    /turned on V8's optimizing compiler: within 1000 ms its jobs wrote more than 256 KiB, or it ran more than 16 checks/,
  );
});

test("checks count too: BUSY_BYTES / CHECK_WEIGHT of them within the window turn it on, one fewer does not", () => {
  const out = child(`
    optimizer.deferOptimizer();
    const needed = optimizer.BUSY_BYTES / optimizer.CHECK_WEIGHT;
    for (let i = 0; i < needed - 1; i++) optimizer.noteCheck();
    say(optimizer.optimizerDeferred());
    optimizer.noteCheck();
    say(optimizer.optimizerDeferred());
    say(heat());
  `);
  assert.deepEqual(out, [true, false, true]);
});

test("output spread over more than a window does not add up", () => {
  const out = child(`
    optimizer.deferOptimizer();
    optimizer.noteOutput(optimizer.BUSY_BYTES - 1);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, optimizer.WINDOW_MS + 50);
    optimizer.noteOutput(optimizer.BUSY_BYTES - 1);
    say(optimizer.optimizerDeferred());
  `);
  assert.deepEqual(out, [true]);
});

test("a tiering flag of the user's own (command line or NODE_OPTIONS) leaves the optimizer alone", () => {
  assert.deepEqual(child("say(optimizer.deferOptimizer()); say(heat());", {}, ["--max-opt=4"]), [
    false,
    true,
  ]);
  // Node takes few V8 flags in NODE_OPTIONS; --jitless is one (and without a JIT nothing is optimized).
  assert.deepEqual(child("say(optimizer.deferOptimizer()); say(heat());", { NODE_OPTIONS: "--jitless" }), [
    false,
    false,
  ]);
});
