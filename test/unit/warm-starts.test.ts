// The daemon's budget of warm starts: no more waiting shells than `god run --warm-starts N` allows, and a
// place given back is taken again.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_WARM_STARTS, WarmStarts } from "../../src/daemon/warm-start.js";

describe("WarmStarts", () => {
  it("gives at most max places, and one again once one is given back", () => {
    const budget = new WarmStarts(2);
    assert.equal(budget.take(), true);
    assert.equal(budget.take(), true);
    assert.equal(budget.take(), false, "a third is refused");
    assert.equal(budget.count, 2);
    budget.give();
    assert.equal(budget.take(), true);
    assert.equal(budget.count, 2);
  });

  it("0 gives none, and giving back more than was taken does not make room", () => {
    const none = new WarmStarts(0);
    none.give();
    assert.equal(none.take(), false);
    assert.equal(none.count, 0);
  });

  it("defaults to a handful", () => {
    assert.equal(new WarmStarts().max, DEFAULT_WARM_STARTS);
  });
});
