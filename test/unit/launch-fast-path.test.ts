// A restart after a crash spawns in the same turn as the exit when nothing needs waiting for (issue 17): the
// pipe pool hands out pipes it holds at once (takeNow) and a job's sockets answer what they already hold
// (heldNow). Real FIFOs and real loopback sockets; each answers null whenever the asynchronous path is needed.

import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { test } from "node:test";
import { PipePool } from "../../src/daemon/pipe-pool.js";
import type { OutputPipe } from "../../src/logs/output-pipe.js";
import { JobSockets } from "../../src/sockets/job-sockets.js";
import { freePort } from "../helpers/http-load.js";

function discard(pipes: OutputPipe[]): void {
  for (const pipe of pipes) {
    pipe.closeWriteEnd();
    pipe.readable.destroy();
    if (pipe.path) rmSync(pipe.path, { force: true });
  }
}

test("takeNow: the pool's pipes at once, null when it holds too few", async () => {
  const pool = new PipePool(2);
  const taken: OutputPipe[] = [];
  try {
    assert.equal(pool.takeNow(1), null, "an empty pool");
    // The first take makes the one it needs and the two spares in one mkfifo.
    taken.push(...(await pool.take(1)));
    assert.equal(pool.takeNow(3), null, "two spares, not three");
    const now = pool.takeNow(2);
    assert.ok(now !== null);
    taken.push(...now);
    assert.equal(now.length, 2);
    assert.equal(pool.takeNow(1), null, "taken to the last; the refill is not done yet");
    pool.close();
    assert.equal(pool.takeNow(0), null, "a closed pool hands out nothing");
  } finally {
    pool.close();
    discard(taken);
  }
});

test("heldNow: what hold() holds for the same listen, null for new addresses or while a hold is pending", async () => {
  const log = { info: () => {}, error: () => {} };
  const sockets = new JobSockets("web", log);
  try {
    assert.deepEqual(sockets.heldNow({}), [], "a job with no listen needs nothing bound");
    const listen = { http: `tcp://127.0.0.1:${await freePort()}` };
    assert.equal(sockets.heldNow(listen), null, "an address not bound yet");
    const pending = sockets.hold(listen);
    assert.equal(sockets.heldNow({}), null, "a hold is pending");
    const held = await pending;
    assert.ok(!("error" in held), JSON.stringify(held));
    assert.deepEqual(sockets.heldNow(listen), held, "the same sockets, at once");
    assert.equal(sockets.heldNow({ http: `tcp://127.0.0.1:${await freePort()}` }), null, "another address");
    assert.equal(sockets.heldNow({}), null, "no listen would close what is held: hold() does that");
  } finally {
    sockets.close();
  }
});
