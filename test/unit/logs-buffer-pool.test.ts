// The pool of batch buffers: sizes by powers of two, a given-back buffer reused whole, odd buffers refused,
// and a bound on what it keeps.

import assert from "node:assert/strict";
import { test } from "node:test";
import { BufferPool } from "../../src/logs/buffer-pool.js";

test("take gives exactly the size asked; a buffer given back is reused for the same class", () => {
  const pool = new BufferPool();
  const a = pool.take(5000);
  assert.equal(a.length, 5000);
  assert.equal(a.buffer.byteLength, 8192);
  pool.give(a);
  assert.equal(pool.pooled, 8192);
  const b = pool.take(8000);
  assert.equal(b.buffer, a.buffer);
  assert.equal(pool.pooled, 0);
  assert.notEqual(pool.take(8000).buffer, a.buffer);
  assert.equal(pool.take(1).buffer.byteLength, 4096);
});

test("buffers not from the pool, and large ones, are not kept", () => {
  const pool = new BufferPool();
  pool.give(Buffer.from("small, from Buffer's own pool"));
  pool.give(Buffer.allocUnsafeSlow(5000));
  const big = pool.take(3 * 1024 * 1024);
  assert.equal(big.length, 3 * 1024 * 1024);
  pool.give(big);
  const offset = pool.take(8192);
  pool.give(offset.subarray(10));
  assert.equal(pool.pooled, 0);
});

test("the pool keeps at most 8 MiB", () => {
  const pool = new BufferPool();
  const taken = Array.from({ length: 20 }, () => pool.take(1024 * 1024));
  for (const buf of taken) pool.give(buf);
  assert.equal(pool.pooled, 8 * 1024 * 1024);
});
