// The order of job names in status and /metrics: compareNames gives localeCompare's sign without loading ICU's
// collation data (issue 17), for every pair of names of up to two characters and many longer ones.

import assert from "node:assert/strict";
import { test } from "node:test";
import { compareNames } from "../../src/core/name-order.js";

const CHARS = "_-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

test("compareNames orders names as localeCompare does", () => {
  const names = [""];
  for (const c of CHARS) names.push(c);
  for (const c of CHARS) for (const d of CHARS) names.push(c + d);
  let seed = 7;
  const pick = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  for (let i = 0; i < 2000; i++) {
    let name = "";
    for (let j = 1 + pick(8); j > 0; j--) name += "aAbB_-.09zZ"[pick(11)];
    names.push(name, name.toUpperCase(), name.toLowerCase(), `${name}-x`, `${name}X`);
  }
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  assert.deepEqual([...names].sort(compareNames), sorted);
  for (const a of names.slice(0, 1200))
    for (const b of names.slice(0, 1200))
      assert.equal(Math.sign(compareNames(a, b)), Math.sign(a.localeCompare(b)), `${a} vs ${b}`);
});

test("compareNames leaves other strings to localeCompare", () => {
  for (const [a, b] of [
    ["é", "e"],
    ["job é", "job e"],
    ["a b", "a-b"],
    ["Ä", "b"],
  ] as const)
    assert.equal(Math.sign(compareNames(a!, b!)), Math.sign(a!.localeCompare(b!)));
});
